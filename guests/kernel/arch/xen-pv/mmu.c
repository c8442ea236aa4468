// Page tables on Xen (ABI.md section 4). The kernel's vm code builds tables as it does natively;
// this file keeps Xen's rule that a page-table frame is never mapped writable. A directory is
// an ordinary page until it is first loaded: then its tables lose their writable mappings (in
// the direct map and in the directory's own tables), it is pinned and becomes the base pointer.
// From then on every write to it or its tables is an mmu_update, and a table linked into a
// pinned directory is made read-only first. pt_state mirrors what Xen has typed.
#include "../../arch.h"
#include "../../defs.h"
#include "../../memlayout.h"
#include "xen.h"

#define NFRAMES (DIRECTMAP_MAX / PGSIZE)
#define HOLE_PDX 0x3F0          // Xen's slots from here up (ABI.md section 1)
enum { PT_NONE, PT_L1, PT_L2, PT_NEW };

static u8 pt_state[NFRAMES];
static u32 *cur_pgdir;            // kernel address of the loaded directory
static u32 *boot_dir;             // start.c's directory, dropped at the first switch away
static int shared_mapped;         // the shared-info page is in the kernel's mapping window

static u8 state_of(u32 frame) { return frame < NFRAMES ? pt_state[frame] : PT_NONE; }

static void mmuext(u32 cmd, u32 arg)
{
  u32 op[3] = { cmd, arg, 0 };
  long rc = hypercall(HC_mmuext_op, (u32)op, 1, 0, DOMID_SELF);
  if (rc < 0)
    xen_crash("mmuext_op", rc);
}

// Set or clear the writable bit of the kernel's direct mapping of frame f (shared by every
// address space), if the loaded directory maps it.
static void direct_map_writable(u32 f, int writable)
{
  u32 va = KERNBASE + (f << 12);
  u32 pde = cur_pgdir[PDX(va)];
  if (f >= NFRAMES || !(pde & PTE_P))
    return;
  u32 e = ((u32 *)P2V(PTE_ADDR(pde)))[PTX(va)];
  u32 ne = writable ? e | PTE_W : e & ~PTE_W;
  if (!(e & PTE_P) || ne == e)
    return;
  long rc = hypercall(HC_update_va_mapping, va, ne, UVMF_INVLPG, 0);
  if (rc < 0)
    xen_crash("update_va_mapping", rc);
}

void arch_set_pte(u32 *pte, u32 val)
{
  u32 f = V2P(pte) >> 12;
  u8 s = state_of(f);
  u32 target = val >> 12;
  if (s == PT_L2 && (val & PTE_P) && state_of(target) == PT_NONE) {
    pt_state[target] = PT_L1;          // Xen types it when this entry is validated
    direct_map_writable(target, 0);
  }
  if (s == PT_L1 && (val & PTE_P) && state_of(target) != PT_NONE)
    val &= ~PTE_W;                     // the direct map of a table: read-only
  if (s == PT_NONE) {
    *(volatile u32 *)pte = val;
    return;
  }
  u32 req[4] = { V2P(pte), 0, val, 0 };
  long rc = hypercall(HC_mmu_update, (u32)req, 1, 0, DOMID_SELF);
  if (rc < 0)
    xen_crash("mmu_update", rc);
}

// First load of a directory: take its unpinned tables, strip writable mappings of tables from
// them, make them and the directory read-only in the direct map, and pin the directory.
static void pin_pgdir(u32 *pd)
{
  u32 f = V2P(pd) >> 12;
  pt_state[f] = PT_L2;
  for (u32 d = 0; d < HOLE_PDX; d++)
    if ((pd[d] & PTE_P) && state_of(pd[d] >> 12) == PT_NONE)
      pt_state[pd[d] >> 12] = PT_NEW;
  for (u32 d = 0; d < HOLE_PDX; d++) {
    if (!(pd[d] & PTE_P) || state_of(pd[d] >> 12) != PT_NEW)
      continue;
    u32 *pt = P2V(PTE_ADDR(pd[d]));
    for (u32 t = 0; t < 1024; t++)
      if ((pt[t] & (PTE_P | PTE_W)) == (PTE_P | PTE_W) && state_of(pt[t] >> 12) != PT_NONE)
        pt[t] &= ~PTE_W;
  }
  for (u32 d = 0; d < HOLE_PDX; d++) {
    if ((pd[d] & PTE_P) && state_of(pd[d] >> 12) == PT_NEW) {
      pt_state[pd[d] >> 12] = PT_L1;
      direct_map_writable(pd[d] >> 12, 0);
    }
  }
  direct_map_writable(f, 0);
  mmuext(MMUEXT_PIN_L2_TABLE, f);
}

void arch_load_pgdir(u32 pa)
{
  u32 *pd = P2V(pa);
  if (state_of(pa >> 12) != PT_L2)
    pin_pgdir(pd);
  mmuext(MMUEXT_NEW_BASEPTR, pa >> 12);
  cur_pgdir = pd;
  if (boot_dir && pd != boot_dir) {
    // Leaving start.c's tables for good: unpin them so their writable view of 0..4 MiB is gone.
    u32 bf = V2P(boot_dir) >> 12;
    mmuext(MMUEXT_UNPIN_TABLE, bf);
    pt_state[bf] = PT_NONE;
    for (u32 d = 0; d < HOLE_PDX; d++)
      if (boot_dir[d] & PTE_P)
        pt_state[boot_dir[d] >> 12] = PT_NONE;
    boot_dir = 0;
  }
  if (!shared_mapped) {
    long rc = hypercall(HC_update_va_mapping, SHARED_VA, xen_start.shared_info | PTE_P | PTE_W,
                        UVMF_INVLPG, 0);
    if (rc < 0)
      xen_crash("map shared info", rc);
    shared_mapped = 1;
  }
}

// A user directory that is not loaded, about to be freed: unpin it (Xen drops its tables'
// types with it) and give the frames their writable direct mapping back for kalloc.
void arch_pgdir_free(u32 *pgdir)
{
  u32 f = V2P(pgdir) >> 12;
  if (state_of(f) != PT_L2)
    return;
  mmuext(MMUEXT_UNPIN_TABLE, f);
  pt_state[f] = PT_NONE;
  direct_map_writable(f, 1);
  for (u32 d = 0; d < KERN_PDX; d++) {
    if (!(pgdir[d] & PTE_P))
      continue;
    pt_state[pgdir[d] >> 12] = PT_NONE;
    direct_map_writable(pgdir[d] >> 12, 1);
  }
}

u32 arch_read_pgdir(void) { return V2P(cur_pgdir); }
void arch_invlpg(u32 va) { mmuext(MMUEXT_INVLPG_LOCAL, va); }
void arch_flush_tlb(void) { mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0); }

// A Xen domain's CPU has no PGE (Xen keeps global pages for itself), so XenoLinux maps its
// kernel without the G bit.
u32 arch_global_pages(void) { return 0; }
u32 arch_read_fault_addr(void) { return *(volatile u32 *)(SHARED_VA + 8); }

// Called by start.c once its directory is loaded: record what Xen typed.
void xen_mmu_boot(u32 *pgdir, u32 *pt, u32 *kmap_pt)
{
  cur_pgdir = boot_dir = pgdir;
  pt_state[V2P(pgdir) >> 12] = PT_L2;
  pt_state[V2P(pt) >> 12] = PT_L1;
  pt_state[V2P(kmap_pt) >> 12] = PT_L1;
  shared_mapped = 0;
}
