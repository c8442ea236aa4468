// Start of day on Xen: what the domain builder gave us (start_info, the bootstrap region),
// the shared-info page, the shadow page tables, traps and events; then the common part
// rewrites and loads the guest and enters it the way a Multiboot loader would, in ring 1.
#include "xen.h"
#include "vcpu.h"
#include "backend.h"
#include "wedge.h"
#include "lib.h"

struct start_info *xen_start_info;
struct shared_info xen_shared __attribute__((aligned(4096), section(".bss.page")));
static u32 free_va, free_end;

void xen_check(s32 r, const char *what)
{
  if (r < 0)
    wpanic("%s failed: %d", what, r);
}

u32 xen_alloc_page(void)
{
  if (free_va >= free_end)
    wpanic("bootstrap region exhausted (%u KiB): give the wedge more room", xen_start_info->boot_len / 1024);
  u32 va = free_va;
  free_va += PGSIZE;
  memset((void *)va, 0, PGSIZE);
  return va;
}

u32 xen_va_to_mfn(u32 va)
{
  const struct start_info *si = xen_start_info;
  return (va - si->virt_base + si->boot_phys) >> 12;
}

void be_console_write(const char *s, u32 n)
{
  HC3(console_io, CONSOLEIO_write, n, s);
}

void be_crash(void)
{
  u32 reason = SHUTDOWN_crash;
  for (;;)
    HC2(sched_op, SCHEDOP_shutdown, &reason);
}

static void map_shared_info(void)
{
  u32 maddr = xen_start_info->shared_info;
  xen_check(HC3(update_va_mapping, (u32)&xen_shared, maddr | PTE_P | PTE_W | PTE_A | PTE_D, UVMF_INVLPG),
            "update_va_mapping (shared info)");
}

// Called by entry.S with the start_info pointer and the first free address after the stack.
void xen_start(struct start_info *si, u32 first_free)
{
  xen_start_info = si;
  free_va = PGROUNDUP(first_free);
  free_end = si->virt_base + si->boot_len;
  map_shared_info();
  xen_mmu_init();
  xen_traps_init();
  xen_events_init();
  wedge_start((u8 *)si->mod_start, si->mod_len, si->cmd_line);
}
