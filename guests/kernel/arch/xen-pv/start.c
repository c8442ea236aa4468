// Start of day on Xen: turn start_info into what main() expects. Stage 1 runs on Xen's
// bootstrap mappings: it saves start_info and a Multiboot-shaped info structure (memory map
// [0, boot_phys), Xen's command line; built by arch/pv/mbinfo.c) in the image, copies the
// image to its physical load address through a scratch mapping, and fills a boot page
// directory that maps physical 0..4 MiB at KERNBASE (its own table frames read-only) plus the
// shared-info page. Stage 2 runs there: it drops Xen's bootstrap tables from our view and
// calls main.
#include "../../defs.h"
#include "../../arch.h"
#include "../../memlayout.h"
#include "../pv/pv.h"
#include "xen.h"

#define SCRATCH_VA KERNBASE      // below the image: mapped by Xen's bootstrap tables, unused

extern u8 end[];
struct start_info xen_start;
static u32 boot_pgdir[1024] __attribute__((aligned(4096)));
static u32 boot_pt[1024] __attribute__((aligned(4096)));
static u32 boot_kmap_pt[1024] __attribute__((aligned(4096)));
static u32 switch_ops[6];

void xen_mmu_boot(u32 *pgdir, u32 *pt, u32 *kmap_pt);

// Map machine frame pa at SCRATCH_VA, writable.
static void *scratch(u32 pa)
{
  hypercall(HC_update_va_mapping, SCRATCH_VA, pa | PTE_P | PTE_W, UVMF_INVLPG, 0);
  return (void *)SCRATCH_VA;
}

static void copy_page(void *dst, const void *src)
{
  const u32 *s = src;
  u32 *d = dst;
  for (int i = 0; i < 1024; i++)
    d[i] = s[i];
}

// Write entry i of the table at kernel address table (in the copy) through the scratch page.
static void boot_entry(u32 *table, u32 i, u32 val)
{
  ((u32 *)scratch(V2P(table)))[i] = val;
}

u32 xen_stage1(const struct start_info *si)
{
  xen_start = *si;
  pv_mbinfo_build(si->cmd_line, si->boot_phys);
  switch_ops[0] = MMUEXT_PIN_L2_TABLE;
  switch_ops[1] = V2P(boot_pgdir) >> 12;
  switch_ops[3] = MMUEXT_NEW_BASEPTR;
  switch_ops[4] = V2P(boot_pgdir) >> 12;

  // The image, page by page (BSS included: it holds what we just saved).
  for (u32 va = KERNLINK; va < (u32)end; va += PGSIZE)
    copy_page(scratch(V2P(va)), (void *)va);

  // Physical 0..4 MiB at KERNBASE; the three table frames read-only (Xen refuses otherwise).
  for (u32 i = 0; i < 1024; i++) {
    u32 pa = i << 12;
    u32 w = (pa == V2P(boot_pgdir) || pa == V2P(boot_pt) || pa == V2P(boot_kmap_pt)) ? 0 : PTE_W;
    boot_entry(boot_pt, i, pa | PTE_P | w);
  }
  boot_entry(boot_kmap_pt, PTX(SHARED_VA), si->shared_info | PTE_P | PTE_W);
  boot_entry(boot_pgdir, PDX(KERNBASE), V2P(boot_pt) | PTE_P | PTE_W);
  boot_entry(boot_pgdir, PDX(SHARED_VA), V2P(boot_kmap_pt) | PTE_P | PTE_W);
  hypercall(HC_update_va_mapping, SCRATCH_VA, 0, UVMF_INVLPG, 0);
  return (u32)switch_ops;
}

void xen_stage2(void)
{
  VCPU_MASK = 1;
  xen_mmu_boot(boot_pgdir, boot_pt, boot_kmap_pt);
  pv_enter_main();
}

void xen_crash(const char *what, long rc)
{
  panic("xen: %s failed (%d)", what, (int)rc);
}
