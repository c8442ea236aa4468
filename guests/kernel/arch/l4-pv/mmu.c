// Page tables on L4 (L4Ka::Linux style). The kernel's page tables stay its own data: vm.c
// builds them as natively and this file mirrors each write into L4 mappings.
//   Kernel half: the direct map was mapped from σ0 at start of day; any other kernel entry (the
//     KMAP window: device registers, vmalloc-style buffers) is asked from σ0 when written.
//   User half: recorded only. Each page directory is an L4 space with one thread (user.c runs
//     it); its page faults come to main, which maps the page its directory names from the
//     direct map. A present user entry that is changed or cleared is revoked at once with
//     Unmap (everything derived from that direct-map page), which is at least what the x86
//     TLB rules ask of invlpg, a TLB flush or a CR3 load.
//   The kernel touching user memory: main's user half is an alias of the loaded directory,
//     filled by its pager (irqthread.c) and flushed when another process's directory is loaded.
// A frame's role (directory, user or kernel page table and the 4 MiB slot it maps) is known
// from the writes that link it: a directory entry names a page table, and a new directory's
// first write copies the kernel's first kernel-half entry (vm.c's uvm_create).
#include "../../arch.h"
#include "../../defs.h"
#include "../../memlayout.h"
#include "l4pv.h"

#define NFRAMES (DIRECTMAP_MAX / PGSIZE)
#define NSPACES 64
enum { FR_NONE, FR_DIR, FR_PT, FR_DEAD };   // low 2 bits; bits 4..13: the table's PDX

u32 *l4pv_cur_pgdir;
u32 l4pv_direct_top;
volatile u32 l4pv_alias_mapped;
l4_word l4pv_next_thread, l4pv_last_thread;
static u16 frame_info[NFRAMES];
static struct l4pv_space spaces[NSPACES];

static u32 frame_of(const void *kva) { return V2P(kva) >> 12; }

static void set_info(u32 frame, u32 kind, u32 pdx)
{
  if (frame < NFRAMES)
    frame_info[frame] = kind | (pdx << 4);
}

static u32 kind_of(u32 frame, u32 idx, u32 val)
{
  if (kpgdir && frame == frame_of(kpgdir))
    return FR_DIR;
  if (kpgdir && idx == KERN_PDX && val && val == kpgdir[KERN_PDX] && frame < NFRAMES)
    frame_info[frame] = FR_DIR;          // uvm_create's first copy: a new directory
  return frame < NFRAMES ? frame_info[frame] & 3 : FR_NONE;
}

// Unmap `fpage` (of the kernel's own space): with flush the kernel's own mapping goes too,
// without only what was derived from it (the processes' and the alias's copies).
static void unmap_one(u32 fpage, int flush)
{
  u32 flags = arch_irq_save();
  L4_UTCB->mr[0] = fpage;
  l4_unmap(1, flush);
  arch_irq_restore(flags);
}

static void revoke_user_page(u32 pa)
{
  if (pa < l4pv_direct_top)
    unmap_one(L4_FPAGE(KERNBASE + pa, 12, L4_RWX), 0);
}

static void kernel_entry(u32 va, u32 old, u32 val)
{
  if (val & PTE_P) {
    u32 pa = PTE_ADDR(val);
    if (va - KERNBASE < l4pv_direct_top && pa == va - KERNBASE)
      return;                            // the direct map, mapped at start of day
    u32 flags = arch_irq_save();
    u32 err = l4_sigma0_request(L4_FPAGE(pa, 12, L4_RWX), L4_FPAGE(va, 12, 0));
    L4_UTCB->br[0] = L4_NIL_FPAGE;
    arch_irq_restore(flags);
    if (err)
      panic("l4-pv: σ0 refused 0x%08x for 0x%08x (error %u)", pa, va, err);
  } else if (old & PTE_P) {
    unmap_one(L4_FPAGE(va, 12, L4_RWX), 1);
  }
}

static void user_entry(u32 old, u32 val)
{
  if (!(old & PTE_P))
    return;
  u32 lost = (old & (PTE_W | PTE_U)) & ~val;
  if (!(val & PTE_P) || PTE_ADDR(old) != PTE_ADDR(val) || lost)
    revoke_user_page(PTE_ADDR(old));
}

void arch_set_pte(u32 *pte, u32 val)
{
  u32 f = frame_of(pte), idx = ((u32)pte & 0xFFF) >> 2;
  u32 kind = kind_of(f, idx, val);
  u32 old = *pte;
  *(volatile u32 *)pte = val;
  if (kind == FR_DIR) {
    if (val & PTE_P)
      set_info(val >> 12, FR_PT, idx);
    if ((old & PTE_P) && PTE_ADDR(old) != PTE_ADDR(val) && idx < KERN_PDX) {
      const u32 *pt = P2V(PTE_ADDR(old));  // a user table unlinked: revoke what it mapped
      for (u32 t = 0; t < 1024; t++)
        user_entry(pt[t], 0);
    }
  } else if (kind == FR_PT) {
    u32 va = ((u32)(frame_info[f] >> 4) << 22) | (idx << 12);
    if (va >= KERNBASE)
      kernel_entry(va, old, val);
    else
      user_entry(old, val);
  }
}

int l4pv_user_pte(u32 *pgdir, u32 va, u32 *pte_out)
{
  u32 pde = pgdir[PDX(va)];
  if (!(pde & PTE_P)) {
    *pte_out = 0;
    return 0;
  }
  *pte_out = ((const u32 *)P2V(PTE_ADDR(pde)))[PTX(va)];
  return 1;
}

// Main's user half: drop the alias of the directory it belongs to.
static void flush_alias(void)
{
  if (!l4pv_alias_mapped)
    return;
  u32 flags = arch_irq_save();
  L4_UTCB->mr[0] = L4_FPAGE(0, 31, L4_RWX);
  L4_UTCB->mr[1] = L4_FPAGE(0x80000000u, 30, L4_RWX);
  l4_unmap(2, 1);
  l4pv_alias_mapped = 0;
  arch_irq_restore(flags);
}

// The alias stays while the kernel's own directory (the idle loop's, with an empty user half)
// is loaded, so switching idle -> process -> idle -> the same process keeps it: every entry it
// maps is still the directory's, since changed entries are revoked as they are written.
static u32 *alias_pgdir;

void arch_load_pgdir(u32 pa)
{
  u32 *pd = P2V(pa);
  if (pd != kpgdir && pd != alias_pgdir) {
    flush_alias();
    alias_pgdir = pd;
  }
  l4pv_cur_pgdir = pd;
}

u32 arch_read_pgdir(void) { return V2P(l4pv_cur_pgdir); }

// Present user entries were revoked when they changed; what is left is main's own alias.
void arch_invlpg(u32 va)
{
  if (va < KERNBASE && l4pv_alias_mapped)
    unmap_one(L4_FPAGE(PGROUNDDOWN(va), 12, L4_RWX), 1);
}

void arch_flush_tlb(void) { flush_alias(); }

// The L4 task's mappings are L4's to make: the guest kernel has no global pages of its own.
u32 arch_global_pages(void) { return 0; }

// The space of a page directory, created (one thread, main as its pager) on first use.
struct l4pv_space *l4pv_space_of(u32 *pgdir)
{
  struct l4pv_space *free = 0;
  for (int i = 0; i < NSPACES; i++) {
    if (spaces[i].tid && spaces[i].pgdir_pa == V2P(pgdir))
      return &spaces[i];
    if (!spaces[i].tid && !free)
      free = &spaces[i];
  }
  if (!free)
    panic("l4-pv: more than %d address spaces", NSPACES);
  l4_word n = l4pv_next_thread + (free - spaces);
  if (n > l4pv_last_thread)
    panic("l4-pv: no thread number left");
  l4_word tid = L4_TID(n), err;
  u32 flags = arch_irq_save();
  l4_word ok = l4_thread_control(tid, tid, L4_MAIN, &err);
  arch_irq_restore(flags);
  if (!ok)
    panic("l4-pv: creating the space of directory 0x%08x failed (error %u)", V2P(pgdir), err);
  free->tid = tid;
  free->pgdir_pa = V2P(pgdir);
  free->state = SP_NEW;
  return free;
}

void arch_pgdir_free(u32 *pgdir)
{
  if (pgdir == alias_pgdir) {
    flush_alias();
    alias_pgdir = 0;
  }
  for (int i = 0; i < NSPACES; i++) {
    if (!spaces[i].tid || spaces[i].pgdir_pa != V2P(pgdir))
      continue;
    l4_word err;
    u32 flags = arch_irq_save();
    l4_word ok = l4_thread_control(spaces[i].tid, 0, L4_NILTHREAD, &err);
    arch_irq_restore(flags);
    if (!ok)
      panic("l4-pv: deleting thread 0x%x failed (error %u)", spaces[i].tid, err);
    spaces[i].tid = 0;
  }
  // Its tables are emptied and freed next (vm.c): plain stores from now on.
  for (u32 d = 0; d < KERN_PDX; d++)
    if (pgdir[d] & PTE_P)
      set_info(pgdir[d] >> 12, FR_DEAD, 0);
  set_info(frame_of(pgdir), FR_NONE, 0);
}
