// Virtual memory: the kernel page directory (all usable physical memory mapped at KERNBASE,
// 4 KiB pages) and user address spaces, each a page directory whose kernel half is shared.
// Every page-table write goes through arch_set_pte, so a para-virtual arch can validate or
// mirror it (Xen's mmu_update, an L4 map).
#include "defs.h"
#include "arch.h"
#include "memlayout.h"

u32 *kpgdir;

// The page-table entry for va, allocating its page table if alloc is set.
static u32 *walk(u32 *pgdir, u32 va, int alloc)
{
  u32 *pde = &pgdir[PDX(va)];
  u32 *pt;
  if (*pde & PTE_P) {
    pt = P2V(PTE_ADDR(*pde));
  } else {
    if (!alloc || !(pt = kalloc()))
      return NULL;
    memset(pt, 0, PGSIZE);
    arch_set_pte(pde, V2P(pt) | PTE_P | PTE_W | (va < KERNBASE ? PTE_U : 0));
  }
  return &pt[PTX(va)];
}

// Map [KERNBASE, KERNBASE + memtop) to physical [0, memtop) and switch to it. Every kernel
// page table exists from here on, so user page directories can share them by copying PDEs.
void kvm_init(u32 memtop)
{
  kpgdir = kalloc();
  if (!kpgdir)
    panic("kvm_init: no memory");
  memset(kpgdir, 0, PGSIZE);
  // The direct map is the same in every address space: global where the CPU allows (Linux 2.6).
  u32 global = arch_global_pages();
  for (u32 pa = 0; pa < memtop; pa += PGSIZE) {
    u32 *pte = walk(kpgdir, KERNBASE + pa, 1);
    if (!pte)
      panic("kvm_init: no memory for page tables");
    arch_set_pte(pte, pa | PTE_P | PTE_W | global);
  }
  // The page tables of the mapping window exist from the start (empty), so every user page
  // directory, which copies the kernel's PDEs once at creation, sees later mappings there.
  for (u32 va = KMAP_BASE; va < KMAP_TOP; va += PGSIZE << 10)
    if (!walk(kpgdir, va, 1))
      panic("kvm_init: no memory for the mapping window");
  vm_switch(kpgdir);
}

// The mapping window [KMAP_BASE, KMAP_TOP): device registers and virtually contiguous kernel
// buffers (Linux: ioremap and vmalloc). Addresses are handed out upwards and never reused
// except by kvm_unmap of the most recent mapping; the few users map once and keep it.
static u32 kmap_next = KMAP_BASE;

static u32 kmap_reserve(u32 size)
{
  u32 va = kmap_next;
  if (size > KMAP_TOP - va)
    return 0;
  kmap_next += PGROUNDUP(size);
  return va;
}

// Map the physical range [pa, pa + size) (device memory above RAM, e.g. a PCI BAR) into the
// kernel, uncached. Returns the kernel address of pa, or NULL when the window is full.
void *kvm_map_mmio(u32 pa, u32 size)
{
  u32 off = pa % PGSIZE;
  u32 len = PGROUNDUP(off + size);
  u32 va = kmap_reserve(len);
  if (!va)
    return NULL;
  for (u32 a = 0; a < len; a += PGSIZE)
    arch_set_pte(walk(kpgdir, va + a, 0), (PGROUNDDOWN(pa) + a) | PTE_P | PTE_W | PTE_PWT | PTE_PCD);
  return (void *)(va + off);
}

// Allocate size bytes of zeroed pages, virtually contiguous in the mapping window.
void *kvm_alloc(u32 size)
{
  u32 len = PGROUNDUP(size);
  u32 va = kmap_reserve(len);
  if (!va)
    return NULL;
  for (u32 a = 0; a < len; a += PGSIZE) {
    void *page = kalloc();
    if (!page)
      panic("kvm_alloc: out of memory after %u of %u bytes", a, len);
    memset(page, 0, PGSIZE);
    arch_set_pte(walk(kpgdir, va + a, 0), V2P(page) | PTE_P | PTE_W);
  }
  return (void *)va;
}

// The page directory loaded now: the idle loop borrows it (see switch_to in sched.c).
static u32 *loaded_pgdir;

void vm_switch(u32 *pgdir)
{
  loaded_pgdir = pgdir;
  arch_load_pgdir(V2P(pgdir));
}

u32 *vm_loaded(void)
{
  return loaded_pgdir;
}

u32 *uvm_create(void)
{
  u32 *pgdir = kalloc();
  if (!pgdir)
    return NULL;
  memset(pgdir, 0, PGSIZE);
  for (u32 d = KERN_PDX; d < 1024; d++)
    arch_set_pte(&pgdir[d], kpgdir[d]);
  return pgdir;
}

// Back [va, va + size) with zeroed, user-writable pages (pages already mapped are kept).
int uvm_alloc(u32 *pgdir, u32 va, u32 size)
{
  for (u32 a = PGROUNDDOWN(va); a < va + size; a += PGSIZE) {
    u32 *pte = walk(pgdir, a, 1);
    if (!pte)
      return -1;
    if (*pte & PTE_P)
      continue;
    void *page = kalloc();
    if (!page)
      return -1;
    memset(page, 0, PGSIZE);
    arch_set_pte(pte, V2P(page) | PTE_P | PTE_W | PTE_U);
  }
  return 0;
}

// Copy into pgdir's user memory through the direct map, whichever address space is loaded.
int uvm_copyout(u32 *pgdir, u32 va, const void *src, u32 n)
{
  const u8 *s = src;
  while (n > 0) {
    u32 *pte = walk(pgdir, va, 0);
    if (!pte || !(*pte & PTE_P))
      return -1;
    u32 off = va % PGSIZE;
    u32 chunk = PGSIZE - off < n ? PGSIZE - off : n;
    memcpy((u8 *)P2V(PTE_ADDR(*pte)) + off, s, chunk);
    s += chunk, va += chunk, n -= chunk;
  }
  return 0;
}

// Is [va, va + n) mapped user-accessible (and writable if asked) in pgdir?
int uvm_check(u32 *pgdir, u32 va, u32 n, int write)
{
  if (va + n < va || va + n > USERTOP)
    return 0;
  for (u32 a = PGROUNDDOWN(va); a < va + n; a += PGSIZE) {
    u32 *pte = walk(pgdir, a, 0);
    u32 need = PTE_P | PTE_U | (write ? PTE_W : 0);
    if (!pte || (*pte & need) != need)
      return 0;
  }
  return 1;
}

// Copy a NUL-terminated user string of at most max bytes (with the NUL) into dst.
int uvm_copyin_str(u32 *pgdir, u32 va, char *dst, u32 max)
{
  for (u32 i = 0; i < max; i++) {
    if ((i == 0 || (va + i) % PGSIZE == 0) && !uvm_check(pgdir, va + i, 1, 0))
      return -1;
    dst[i] = *(const char *)(va + i);
    if (!dst[i])
      return 0;
  }
  return -1;
}

// Pages unmapped at once above which the loaded address space's TLB is dropped by one full
// flush (a CR3 reload) instead of one invlpg per page, as Linux's tlb_single_page_flush_ceiling
// does; none by default (command line flush-ceiling=N).
u32 tlb_flush_ceiling = ~0u;

// Free every user page. If pgdir is the loaded one, each unmapped page also leaves the TLB.
void uvm_unmap_user(u32 *pgdir, int live)
{
  u32 n = 0;
  for (u32 d = 0; d < KERN_PDX; d++) {
    if (!(pgdir[d] & PTE_P))
      continue;
    u32 *pt = P2V(PTE_ADDR(pgdir[d]));
    for (u32 t = 0; t < 1024; t++) {
      if (!(pt[t] & PTE_P))
        continue;
      kfree(P2V(PTE_ADDR(pt[t])));
      arch_set_pte(&pt[t], 0);
      if (live && ++n <= tlb_flush_ceiling)
        arch_invlpg((d << 22) | (t << 12));
    }
  }
  if (live && n > tlb_flush_ceiling)
    arch_flush_tlb();
}

// Free a user address space that is not loaded: its pages, page tables and directory.
void uvm_free(u32 *pgdir)
{
  // Still loaded because the idle loop borrowed it: move to the kernel's before it goes.
  if (pgdir == loaded_pgdir)
    vm_switch(kpgdir);
  arch_pgdir_free(pgdir);
  uvm_unmap_user(pgdir, 0);
  for (u32 d = 0; d < KERN_PDX; d++)
    if (pgdir[d] & PTE_P)
      kfree(P2V(PTE_ADDR(pgdir[d])));
  kfree(pgdir);
}
