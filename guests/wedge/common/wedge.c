// The wedge's common start: read its own options off the command line (they are removed
// before the guest sees it), rewrite every afterburner site of the guest image, load the
// image into guest physical memory, build the boot information the guest expects (a Linux
// vmlinux: the 32-bit boot protocol's zero page, linuxboot.c; any other: Multiboot), and
// enter the guest (enter.S) with virtual interrupts off, as either loader leaves them.
//   skip-site=N   leave site N (0-based, .afterburn order) as the afterburner padded it, so
//                 the hypervisor sees the raw instruction (a test of hole detection)
//   skip-pt-site=N|all  leave page-table site N (.afterburn_pt order), or all of them, plain
//                 stores, so the writes reach the page tables unannounced (the page-fault fallback)
//   pt=direct     profiling: run the guest on its own page tables with no page-table site
//                 rewritten (as if it marked none): every write to a table in use faults and is
//                 done by the wedge, which records the writing instruction (wedge_pt_profile:
//                 the profile for the afterburner), whatever an earlier profile annotated
//   count=all     rewrite cli/sti/popf into counting calls instead of inline sequences, so
//                 every sensitive operation is counted (slower; STATS.md)
//   wedge-initrd=N the module's last N bytes are the guest's initrd, not part of its image: the
//                 hypervisor hands the wedge one module, so a loader with an initrd passes the
//                 guest image, zeros to a page boundary, then the initrd (README.md, "Booting
//                 Linux"). A Linux guest finds it in its zero page; any other guest is refused.
#include "wedge.h"
#include "backend.h"
#include "elf.h"
#include "lib.h"
#include "sites.h"
#include "stats.h"
#include "ptsites.h"
#ifdef WEDGE_DEVVIRT
#include "dp83820.h"
#include "mmiosites.h"
extern u32 wedge_guest_virt_off;
#endif

struct stub_name { u32 slot, entry; char name[]; };
extern const u8 ws_names_start[], ws_names_end[];

static const struct stub_name *find_stub(const char *name)
{
  const u8 *p = ws_names_start;
  while (p < ws_names_end) {
    const struct stub_name *s = (const void *)p;
    u32 n = strlen(s->name);
    if (strcmp(s->name, name) == 0)
      return s;
    p += 8 + ((n + 1 + 3) & ~3u);
  }
  return NULL;
}

static u32 stub_slot(const char *name)
{
  const struct stub_name *s = find_stub(name);
  return s ? s->slot : 0;
}

static u32 stub_entry(const char *name)
{
  const struct stub_name *s = find_stub(name);
  return s ? s->entry : 0;
}

static char guest_cmdline[1024];

// The guest's first stack: its boot code calls wedge stubs before it sets up its own, so ESP
// must point somewhere mapped in every address space (the wedge's own image is).
static u8 guest_boot_stack[16384] __attribute__((aligned(16)));

void wedge_enter_guest(u32 entry, u32 eax, u32 ebx, u32 esi, u32 esp) __attribute__((noreturn));

// Copy cmdline without the wedge's own options, reading them on the way.
static void parse_options(const char *cmdline, s32 *skip, s32 *skip_pt, int *pt_direct, int *count_all, u32 *initrd_len)
{
  u32 n = 0;
  const char *s = cmdline;
  while (*s) {
    while (*s == ' ')
      s++;
    const char *w = s;
    while (*s && *s != ' ')
      s++;
    u32 len = (u32)(s - w);
    if (len > 13 && strncmp(w, "skip-pt-site=", 13) == 0) {
      *skip_pt = len == 16 && strncmp(w + 13, "all", 3) == 0 ? PT_SKIP_ALL : (s32)parse_uint(w + 13, NULL);
      continue;
    }
    if (len == 9 && strncmp(w, "pt=direct", 9) == 0) {
      *pt_direct = 1;
      continue;
    }
    if (len > 10 && strncmp(w, "skip-site=", 10) == 0) {
      *skip = (s32)parse_uint(w + 10, NULL);
      continue;
    }
    if (len == 9 && strncmp(w, "count=all", 9) == 0) {
      *count_all = 1;
      continue;
    }
    if (len > 13 && strncmp(w, "wedge-initrd=", 13) == 0) {
      *initrd_len = parse_uint(w + 13, NULL);
      continue;
    }
    if (len && n + len + 2 < sizeof guest_cmdline) {
      if (n)
        guest_cmdline[n++] = ' ';
      memcpy(guest_cmdline + n, w, len);
      n += len;
    }
  }
  guest_cmdline[n] = 0;
}

// Where the guest maps its physical memory: virtual minus physical address of its first
// loaded segment (Multiboot kernels linked high and loaded low, as Linux's PAGE_OFFSET).
static u32 guest_virt_offset(const u8 *img)
{
  const struct elf32_ehdr *h = (const void *)img;
  for (u32 i = 0; i < h->phnum; i++) {
    const struct elf32_phdr *p = elf_phdr(img, i);
    if (p->type == PT_LOAD && p->memsz)
      return p->vaddr - p->paddr;
  }
  return 0;
}

// Loads the image's segments; *image_end: the end of the highest one (physical).
static int load(const u8 *img, u32 *image_end)
{
  const struct elf32_ehdr *h = (const void *)img;
  u32 end = be_guest_mem_end();
  *image_end = 0;
  for (u32 i = 0; i < h->phnum; i++) {
    const struct elf32_phdr *p = elf_phdr(img, i);
    if (p->type != PT_LOAD || !p->memsz)
      continue;
    if (p->paddr < 0x100000 || p->paddr + p->memsz > end || p->paddr + p->memsz < p->paddr) {
      wprintf("[wedge] guest segment at 0x%08x (+%u) is outside guest memory [1 MiB, 0x%08x)\n",
              p->paddr, p->memsz, end);
      return -1;
    }
    be_copy_to_phys(p->paddr, img + p->offset, p->filesz);
    be_zero_phys(p->paddr + p->filesz, p->memsz - p->filesz);
    if (p->paddr + p->memsz > *image_end)
      *image_end = p->paddr + p->memsz;
  }
  return 0;
}

// The initrd at the top of guest memory, page-aligned, as the bare machine's loader and QEMU
// place it (emulator/boot-linux.ts): Linux reserves it from the zero page before it allocates.
// Returns its physical address, 0 if it does not fit above the image.
static u32 load_initrd(const u8 *rd, u32 n, u32 image_end)
{
  u32 end = be_guest_mem_end();
  if (n > end)
    return 0;
  u32 pa = (end - n) & ~(PGSIZE - 1);
  if (pa < image_end)
    return 0;
  be_copy_to_phys(pa, rd, n);
  return pa;
}

static int prepare(u8 *img, u32 len, const char *cmdline, u32 *entry, u32 *mbi_pa, int *is_linux)
{
  s32 skip = -1, skip_pt = -1;
  int count_all = 0, pt_direct = 0;
  u32 initrd_len = 0;
  parse_options(cmdline, &skip, &skip_pt, &pt_direct, &count_all, &initrd_len);
  if (pt_direct)
    skip_pt = PT_SKIP_ALL;
  if (initrd_len > len) {
    wprintf("[wedge] wedge-initrd=%u: the module holds only %u bytes\n", initrd_len, len);
    return -1;
  }
  const u8 *initrd = img + len - initrd_len;
  len -= initrd_len;
  const char *bad = img && len ? elf_check(img, len) : "no guest image";
  if (bad) {
    wprintf("[wedge] guest kernel: %s\n", bad);
    return -1;
  }
  struct rw_env env = { (u32)&vcpu_irq_mask, (u32)&vcpu_irq_pending, stub_slot, stub_entry, count_all };
  struct site_report rep;
  if (rewrite_guest(img, len, &env, skip, &rep, NULL) < 0)
    return -1;
  wedge_stats.v[ST_SITES] = rep.rewritten;
  wedge_stats.v[ST_SITES_INLINE] = rep.inlined;
  wedge_stats.v[ST_SITES_SKIPPED] = rep.skipped;
  int npt = pt_sites_count(img, len);
  // Sites left out (skip-pt-site) are not told to the back-end: it cannot tell a complete
  // profile from one that missed a path, so it must catch a write no site announces either way.
  // A Linux vmlinux built without profile feedback carries no page-table sites: it is offered
  // to the back-end with none, so that every write to a table in use is found by write
  // protection (on Xen; the L4 back-end takes only a guest with sites). Built with feedback, its
  // sites are offered like any guest's, and the back-end is told it is Linux either way.
  // README.md, "Booting Linux".
  int linux_guest = linux_is_vmlinux(img, len);
  if ((npt > 0 || pt_direct || linux_guest) && be_pt_sites((u32)npt, guest_virt_offset(img), linux_guest)) {
    int done = rewrite_pt_sites(img, len, stub_slot("pt_store"), skip_pt);
    if (done < 0)
      return -1;
    wedge_stats.v[ST_PT_SITES] = (u32)done;
  }
#ifdef WEDGE_DEVVIRT
  // Device-memory sites (profile feedback) that have room become calls; the rest fault.
  u32 mmio_left = 0;
  int mmio_done = rewrite_mmio_sites(img, len, stub_slot("mmio"), &mmio_left);
  if (mmio_done < 0)
    return -1;
  wedge_stats.v[ST_NIC_SITES] = (u32)mmio_done;
  wedge_stats.v[ST_NIC_SITES_LEFT] = mmio_left;
#endif
  u32 image_end, initrd_pa = 0;
  if (load(img, &image_end) < 0)
    return -1;
#ifdef WEDGE_DEVVIRT
  wedge_guest_virt_off = guest_virt_offset(img);
  nic_init();
#endif
  *entry = ((const struct elf32_ehdr *)img)->entry;
  *is_linux = linux_is_vmlinux(img, len);
  if (initrd_len && !*is_linux) {
    wprintf("[wedge] an initrd needs a Linux vmlinux (an ELF note of owner \"Linux\"); a Multiboot guest takes none\n");
    return -1;
  }
  if (initrd_len && !(initrd_pa = load_initrd(initrd, initrd_len, image_end))) {
    wprintf("[wedge] the %u-byte initrd does not fit between the guest image (up to 0x%08x) and the end of guest memory (0x%08x)\n",
            initrd_len, image_end, be_guest_mem_end());
    return -1;
  }
  if (*is_linux) {
    // Linux's command line is what follows the image name (as a boot loader's append line)
    const char *args = guest_cmdline;
    while (*args && *args != ' ')
      args++;
    while (*args == ' ')
      args++;
    *mbi_pa = linux_boot_params(args, be_guest_mem_end(), *entry, initrd_pa, initrd_len);
  } else {
    *mbi_pa = multiboot_build(guest_cmdline, be_guest_mem_end());
  }
  wprintf("[wedge] %u sites rewritten (%u inline, %u left as they were), guest memory %u KiB\n",
          rep.rewritten, rep.inlined, rep.skipped, be_guest_mem_end() / 1024);
  return 0;
}

void wedge_start(u8 *img, u32 len, const char *cmdline)
{
  u32 entry, info_pa;
  int is_linux;
  if (prepare(img, len, cmdline, &entry, &info_pa, &is_linux) < 0)
    be_crash();
  vcpu_irq_mask = 1;
  u32 esp = (u32)guest_boot_stack + sizeof guest_boot_stack;
  if (is_linux)
    wedge_enter_guest(entry, 0, 0, info_pa, esp);    // ESI: the zero page
  wedge_enter_guest(entry, 0x2BADB002, info_pa, 0, esp);
}
