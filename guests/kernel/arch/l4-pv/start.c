// Start of day on L4: turn the boot-info page into what main() expects. Stage 1 runs on the
// model's bootstrap mappings: it saves the boot info and a Multiboot-shaped info structure
// (memory map [0, boot_phys), the model's command line; built by arch/pv/mbinfo.c) in the
// image and asks σ0 for physical 0..4 MiB at a scratch address, for boot.S to copy the image
// to its load address. Stage 2 runs on the copy: it maps the rest of guest physical memory at
// KERNBASE (the direct map, in large flexpages), the devices' ports (UART, PCI configuration,
// debug exit) with I/O flexpages, starts the interrupt thread and calls main.
#include "../../defs.h"
#include "../../arch.h"
#include "../../memlayout.h"
#include "l4pv.h"

#define SCRATCH_VA 0x40000000u
#define BOOT_MAP (4u << 20)

extern u8 end[];
struct l4_bootinfo l4pv_boot;

// Raw serial output and the debug exit: usable from any thread before or without the console.
static void raw_puts(const char *s)
{
  for (; *s; s++) {
    for (int i = 0; i < 100000; i++) {
      u8 lsr;
      asm volatile("inb %1, %0" : "=a"(lsr) : "Nd"((u16)0x3FD));
      if (lsr & 0x20)
        break;
    }
    asm volatile("outb %0, %1" : : "a"(*s), "Nd"((u16)0x3F8));
  }
}

void l4pv_fatal(const char *what, u32 v)
{
  char hex[12] = " 0x00000000";
  for (int i = 0; i < 8; i++)
    hex[10 - i] = "0123456789abcdef"[(v >> (4 * i)) & 15];
  raw_puts("[kernel] l4-pv: ");
  raw_puts(what);
  raw_puts(hex);
  raw_puts("\n");
  asm volatile("outb %0, %1" : : "a"((u8)3), "Nd"((u16)0xF4));
  for (;;)
    l4_ipc(L4_NILTHREAD, L4_UTCB->my_global_id, L4_NEVER, 0);
}

static int magic_ok(const struct l4_bootinfo *bi)
{
  const char *m = "l4-x2-model";
  for (int i = 0; m[i]; i++)
    if (bi->magic[i] != m[i])
      return 0;
  return bi->version == 1;
}

void l4pv_stage1(const struct l4_bootinfo *bi)
{
  if (!magic_ok(bi))
    l4pv_fatal("not started by the L4 model: boot info version", bi->version);
  l4pv_boot = *bi;
  pv_mbinfo_build(bi->cmd_line, bi->boot_phys);
  if ((u32)end - KERNLINK > BOOT_MAP - 0x100000u)
    l4pv_fatal("image too large for the first 4 MiB: end", (u32)end);
  u32 err = l4_sigma0_request(L4_FPAGE(0, 22, L4_RWX), L4_FPAGE(SCRATCH_VA, 22, 0));
  if (err)
    l4pv_fatal("σ0 refused physical 0..4 MiB: error", err);
}

static void sigma0(u32 fpage, u32 window, const char *what)
{
  u32 err = l4_sigma0_request(fpage, window);
  if (err)
    l4pv_fatal(what, err);
}

// Physical [BOOT_MAP, top) at KERNBASE in the largest aligned flexpages that fit.
static void map_direct(u32 top)
{
  for (u32 pa = BOOT_MAP; pa < top;) {
    u32 s = 22;
    while (s < 28 && pa % (2u << s) == 0 && pa + (2u << s) <= top)
      s++;
    sigma0(L4_FPAGE(pa, s, L4_RWX), L4_FPAGE(KERNBASE + pa, s, 0), "σ0 refused memory: error");
    pa += 1u << s;
  }
}

void l4pv_stage2(u32 err)
{
  if (err)
    l4pv_fatal("σ0 refused the direct map: error", err);
  u32 top = l4pv_boot.boot_phys < DIRECTMAP_MAX ? l4pv_boot.boot_phys : DIRECTMAP_MAX;
  top &= ~(BOOT_MAP - 1);
  map_direct(top);
  l4pv_direct_top = top;
  sigma0(L4_IOFPAGE(0x3F8, 3, L4_RWX), L4_COMPLETE_FPAGE, "σ0 refused the UART ports: error");
  sigma0(L4_IOFPAGE(0xCF8, 3, L4_RWX), L4_COMPLETE_FPAGE, "σ0 refused the PCI ports: error");
  sigma0(L4_IOFPAGE(0xF4, 2, L4_RWX), L4_COMPLETE_FPAGE, "σ0 refused the debug exit: error");
  L4_UTCB->br[0] = L4_NIL_FPAGE;
  L4_UTCB->mr[0] = L4_FPAGE(SCRATCH_VA, 22, L4_RWX);
  l4_unmap(1, 1);
  l4pv_irq_init();
  pv_enter_main();
}
