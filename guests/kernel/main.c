// Boot: read what the Multiboot loader passed (command line, memory map), bring up the
// descriptor tables, memory, interrupt controller and timer, start the workload's first
// program and become the idle loop. Also the way out: shutdown through QEMU's isa-debug-exit.
#include "config.h"
#include "defs.h"
#include "arch.h"
#include "memlayout.h"
#include "multiboot.h"
#include "desc.h"
#include "proc.h"
#include "net/socket.h"

#define DEBUG_EXIT_PORT 0xf4   // isa-debug-exit: QEMU exits with status (value << 1) | 1
#define BOOT_MAP_TOP    (4u << 20)   // what boot.S mapped at KERNBASE

extern u8 end[];               // first address after the kernel image (kernel.ld)
static char cmdline[256];       // (a longer command line is cut at 255 bytes)
static u32 memtop;             // end of the usable RAM region that holds the kernel

// The boot page tables map only the first 4 MiB: the loader's structures must lie there.
static const void *boot_ptr(u32 pa, u32 size, const char *what)
{
  if (pa + size < pa || pa + size > BOOT_MAP_TOP)
    panic("multiboot %s at 0x%08x is not below 4 MiB", what, pa);
  return P2V(pa);
}

// Copy what we need out of the Multiboot structures before the allocator may reuse their
// memory (QEMU puts them just above the kernel).
static void read_multiboot(u32 info_pa)
{
  const struct mb_info *mb = boot_ptr(info_pa, sizeof *mb, "info");
  if ((mb->flags & MB_INFO_CMDLINE) && mb->cmdline)
    strlcpy(cmdline, boot_ptr(mb->cmdline, 1, "cmdline"), sizeof cmdline);
  if (mb->flags & MB_INFO_MMAP) {
    boot_ptr(mb->mmap_addr, mb->mmap_length, "memory map");
    u32 a = mb->mmap_addr;
    while (a < mb->mmap_addr + mb->mmap_length) {
      const struct mb_mmap *m = P2V(a);
      if (m->type == MB_MMAP_RAM && m->addr <= 0x100000 && m->addr + m->len > 0x100000)
        memtop = m->addr + m->len > 0xFFFFF000ull ? 0xFFFFF000u : (u32)(m->addr + m->len);
      a += m->size + 4;
    }
  } else if (mb->flags & MB_INFO_MEM) {
    memtop = 0x100000 + mb->mem_upper * 1024;
  }
  if (memtop > DIRECTMAP_MAX)
    memtop = DIRECTMAP_MAX;
  memtop = PGROUNDDOWN(memtop);
}

// The value of key=value on the command line, or def. Values end at a space.
static void cmdline_get(const char *key, char *out, u32 size, const char *def)
{
  u32 klen = strlen(key);
  for (const char *s = cmdline; *s; s++) {
    if ((s == cmdline || s[-1] == ' ') && memcmp(s, key, klen) == 0 && s[klen] == '=') {
      s += klen + 1;
      u32 n = 0;
      while (s[n] && s[n] != ' ' && n + 1 < size)
        out[n] = s[n], n++;
      out[n] = 0;
      return;
    }
  }
  strlcpy(out, def, size);
}

void shutdown(int status)
{
  kprintf("[kernel] shutdown status=%d ticks=%u switches=%u\n", status, ticks, nr_switches);
  uart_drain();
  arch_outb(DEBUG_EXIT_PORT, (u8)status);
  arch_irq_disable();
  for (;;)
    arch_halt();
}

static void memory_init(void)
{
  if (memtop < 6u << 20)
    panic("need at least 6 MiB of RAM, found %u KiB", memtop / 1024);
  kalloc_add(V2P(end), BOOT_MAP_TOP);
  kvm_init(memtop);
  kalloc_add(BOOT_MAP_TOP, memtop);
  kprintf("[kernel] memory: %u KiB mapped at 0x%08x, %u pages free\n", memtop / 1024, KERNBASE,
          kalloc_free_pages());
}

void main(u32 magic, u32 info_pa)
{
  char prog[16], arg[128];
  console_init();
  kprintf("[kernel] world guest kernel, arch=%s HZ=%d\n", ARCH_NAME, HZ);
  if (magic != MB_BOOT_MAGIC)
    panic("not started by a Multiboot loader (magic %x)", magic);
  read_multiboot(info_pa);
  kprintf("[kernel] cmdline: %s\n", cmdline);
  desc_init();
  memory_init();
  pic_init();
  pit_init();
  proc_init();
  net_init();
  char ceiling[12];
  cmdline_get("flush-ceiling", ceiling, sizeof ceiling, "");
  if (ceiling[0]) {
    tlb_flush_ceiling = 0;
    for (const char *c = ceiling; *c >= '0' && *c <= '9'; c++)
      tlb_flush_ceiling = tlb_flush_ceiling * 10 + (u32)(*c - '0');
  }
  cmdline_get("run", prog, sizeof prog, "init");
  cmdline_get("arg", arg, sizeof arg, "");
  int pid = proc_spawn(prog, arg, NULL);
  if (pid < 0) {
    kprintf("[kernel] run: no program '%s'\n", prog);
    shutdown(2);
  }
  kprintf("[kernel] run: %s arg='%s' pid=%d\n", prog, arg, pid);
  need_resched = 1;
  cpu_idle();
}
