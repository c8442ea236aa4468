// Entering a Linux vmlinux by the Linux/x86 32-bit boot protocol (the kernel's
// Documentation/x86/boot.rst, "32-bit boot protocol") instead of Multiboot: Linux's startup_32
// copies its zero page (struct boot_params) from ESI and takes the memory map, command line and
// initrd only from there. A Linux image is told by its ELF note of owner "Linux" (every vmlinux
// has one, from include/linux/elfnote.h; a Multiboot kernel has none).
// Why vmlinux and not bzImage: the wedge rewrites the guest's sites before it runs, from the
// ELF's .afterburn section; a bzImage holds the kernel compressed, with no sections, so there is
// nothing to rewrite until its own decompressor has run.
// The zero page and command line go where the bare machine's loader puts them
// (emulator/boot-linux.ts): 0x10000 and 0x20000, below the EBDA, which Linux does not allocate
// before it has copied both. The setup header a bzImage would contribute is absent from a
// vmlinux; the fields the kernel reads are filled as a loader of protocol 2.15 would.
// The wedge and the hypervisor own the top of every address space (from wedge_start_va up), so
// the command line gets Linux's own `reservetop=`: its fixmap, and the GDT it loads there,
// move below the wedge (arch/x86/mm/pgtable.c, reserve_top_address).
#include "wedge.h"
#include "backend.h"
#include "elf.h"
#include "lib.h"

#define ZERO_PAGE 0x10000u
#define CMDLINE_PA 0x20000u
#define CMDLINE_MAX 2047u                // COMMAND_LINE_SIZE - 1 on x86
#define LOW_END 0x9FC00u                 // as the Multiboot map and the bare machine's e820

// Offsets in struct boot_params (arch/x86/include/uapi/asm/bootparam.h).
#define BP_ALT_MEM_K 0x1e0
#define BP_E820_ENTRIES 0x1e8
#define BP_BOOT_FLAG 0x1fe
#define BP_HDR_MAGIC 0x202
#define BP_VERSION 0x206
#define BP_TYPE_OF_LOADER 0x210
#define BP_LOADFLAGS 0x211
#define BP_CODE32_START 0x214
#define BP_RAMDISK_IMAGE 0x218
#define BP_RAMDISK_SIZE 0x21c
#define BP_CMD_LINE_PTR 0x228
#define BP_CMDLINE_SIZE 0x238
#define BP_E820_TABLE 0x2d0

// Built in guest memory directly (no buffer in the wedge's own image, whose layout the
// Multiboot guests' runs keep).
extern const u8 wedge_start_va[];

// "reservetop=0x...": hex, as memparse reads it.
static u32 put_reservetop(u32 pa)
{
  static const char hex[] = "0123456789abcdef";
  char p[32];
  const char *k = "reservetop=0x";
  u32 n = 0, v = 0u - (u32)wedge_start_va;
  while (k[n])
    p[n] = k[n], n++;
  for (int sh = 28; sh >= 0; sh -= 4)
    p[n++] = hex[(v >> sh) & 15];
  p[n] = 0;
  be_copy_to_phys(pa, p, n + 1);
  return n;
}

int linux_is_vmlinux(const u8 *img, u32 len)
{
  const struct elf32_ehdr *h = (const void *)img;
  for (u32 i = 0; i < h->phnum; i++) {
    const struct elf32_phdr *p = elf_phdr(img, i);
    if (p->type != PT_NOTE)
      continue;
    u32 off = p->offset, end = p->offset + p->filesz;
    if (end > len || end < off)
      continue;
    while (off + 12 <= end) {
      const u32 *n = (const void *)(img + off);
      u32 namesz = n[0], descsz = n[1], next = off + 12 + ((namesz + 3) & ~3u) + ((descsz + 3) & ~3u);
      if (next > end || next <= off)
        break;
      if (namesz == 6 && memcmp(img + off + 12, "Linux", 6) == 0)
        return 1;
      off = next;
    }
  }
  return 0;
}

static void put8(u32 off, u32 v) { u8 b = (u8)v; be_copy_to_phys(ZERO_PAGE + off, &b, 1); }
static void put16(u32 off, u32 v) { put8(off, v); put8(off + 1, v >> 8); }
static void put32(u32 off, u32 v) { put16(off, v & 0xFFFF); put16(off + 2, v >> 16); }

static void e820(u32 i, u32 base, u32 size, u32 type)
{
  u32 e = BP_E820_TABLE + 20 * i;
  put32(e, base);
  put32(e + 8, size);
  put32(e + 16, type);
}

u32 linux_boot_params(const char *cmdline, u32 mem_end, u32 code32_start, u32 initrd_pa, u32 initrd_len)
{
  be_zero_phys(ZERO_PAGE, 4096);
  e820(0, 0, LOW_END, 1);
  e820(1, LOW_END, 0xA0000 - LOW_END, 2);
  e820(2, 0xF0000, 0x10000, 2);
  e820(3, 0x100000, mem_end - 0x100000, 1);
  put8(BP_E820_ENTRIES, 4);
  put32(BP_ALT_MEM_K, (mem_end - 0x100000) / 1024);
  put16(BP_BOOT_FLAG, 0xAA55);
  put32(BP_HDR_MAGIC, 0x53726448);       // "HdrS"
  put16(BP_VERSION, 0x020F);
  put8(BP_TYPE_OF_LOADER, 0xFF);          // a loader without an assigned ID
  put8(BP_LOADFLAGS, 1);                 // LOADED_HIGH
  put32(BP_CODE32_START, code32_start);
  put32(BP_CMD_LINE_PTR, CMDLINE_PA);
  put32(BP_CMDLINE_SIZE, CMDLINE_MAX);
  if (initrd_len) {
    put32(BP_RAMDISK_IMAGE, initrd_pa);
    put32(BP_RAMDISK_SIZE, initrd_len);
  }
  u32 clen = strlen(cmdline);
  if (clen > CMDLINE_MAX - 32)
    clen = CMDLINE_MAX - 32;
  be_copy_to_phys(CMDLINE_PA, cmdline, clen);
  if (clen)
    be_copy_to_phys(CMDLINE_PA + clen++, " ", 1);
  put_reservetop(CMDLINE_PA + clen);
  return ZERO_PAGE;
}
