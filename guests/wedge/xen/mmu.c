// Page tables under Xen: shadow paging. The guest keeps writing its own page tables with
// plain stores (arch_set_pte is an inline store); they stay ordinary writable memory. The
// wedge runs the guest on one shadow page directory of its own, validated by Xen, whose
// entries it fills from the guest's tables on demand (a page fault the guest's tables would
// not raise) and drops when the guest flushes: invlpg drops one entry, a CR3 load of the same
// directory drops everything, a CR3 load of another directory drops the user half and those
// kernel-half slots whose guest directory entry differs. The slides' "synchronize page tables
// on TLB flushes": a shadow entry lives exactly as long as a TLB entry could. The one
// heuristic: kernel-half mappings (slots of KERNEL_SPLIT and up) survive address-space
// switches like global pages, which is what Linux and the guest kernel here assume.
// A dropped shadow table is not cleaned at once: it keeps a snapshot of the guest table it
// mirrors (snap: shadow entry i is always shadow_pte of snapshot entry i), and when a slot is
// next filled from that same guest table, the table is compared with the snapshot (one
// `repe cmpsl`), the entries that differ are updated, and the shadow is put back instead of
// being rebuilt. A process switched away from and back to, the common case, then costs one
// directory update per slot rather than a copy of every entry; the shadow is the same either way.
// Why shadows and not the guest's own tables: Xen must type every page-table frame and forbid
// writable mappings of it, but the guest maps all its memory writable (page tables included)
// and writes page-table entries directly; only a copy can satisfy Xen without changing the
// guest. Guest physical == machine here (ABI.md section 1), so a guest entry needs no frame
// translation, only a check that it does not reach the wedge's memory.
#include "xen.h"
#include "vcpu.h"
#include "lib.h"

#define KERNEL_SPLIT 768                 // 0xC0000000 >> 22
#define NPOOL 160                        // shadow L1 frames
#define BATCH 1100

struct l1 {
  u32 va, mfn;
  u32 gpde;                              // the guest directory entry it was filled from (0: none)
  u32 age;                               // when it was last dropped (older ones are reused first)
  s16 slot;                              // shadow directory slot it serves, -1 when free
  u8 dirty;                              // may hold present entries (cleared before reuse)
};

static struct l1 pool[NPOOL];
static s16 slot_l1[1024];                // pool index per shadow slot, -1 if none
static u32 live[32];                     // bit s: slot_l1[s] >= 0 (walks skip empty slots)
// The guest directory's kernel half as of the last switch; for every shadowed kernel slot s,
// slot_gpde[s] == kdir[s], so a new directory whose kernel half equals kdir (the usual case:
// every process shares the kernel's entries) needs no per-slot check.
static u32 kdir[1024];
static u32 slot_gpde[1024];              // the guest directory entry a slot was filled from
static u32 *shadow_l2;                   // read-only view of the shadow directory
static u32 shadow_l2_mfn;
static u32 wedge_slot_lo, wedge_slot_hi; // the wedge's own directory slots
static u32 kmap_dir_va, kmap_pt_va, kmap_copy_va;
static u32 kmap_dir_pa = ~0u, kmap_pt_pa = ~0u;
static u32 guest_end, domain_end;

static u32 drop_clock;
static u32 snap[NPOOL][1024] __attribute__((aligned(4096)));  // see the top comment

static struct mmu_update batch[BATCH];
static u32 nbatch;

static void flush_batch(void)
{
  if (nbatch)
    xen_check(HC4(mmu_update, batch, nbatch, 0, DOMID_SELF), "mmu_update");
  nbatch = 0;
}

static void queue(u32 machine_addr, u32 val)
{
  if (nbatch == BATCH)
    flush_batch();
  batch[nbatch].ptr = machine_addr;
  batch[nbatch].val = val;
  nbatch++;
}

static void mmuext(u32 cmd, u32 arg)
{
  struct mmuext_op op = { cmd, arg, 0 };
  xen_check(HC4(mmuext_op, &op, 1, 0, DOMID_SELF), "mmuext_op");
}

// Map guest physical page pa at one of the wedge's window pages.
static void kmap(u32 va, u32 pa, u32 *cached)
{
  if (cached && *cached == pa)
    return;
  xen_check(HC3(update_va_mapping, va, pa | PTE_P | PTE_W | PTE_A | PTE_D, UVMF_INVLPG), "update_va_mapping (window)");
  if (cached)
    *cached = pa;
}

static u32 guest_pde(u32 slot)
{
  kmap(kmap_dir_va, PGROUNDDOWN(vcpu.cr3), &kmap_dir_pa);
  return ((const u32 *)kmap_dir_va)[slot];
}

// The shadow entry for a guest entry: the directory's W and U folded in, frame checked.
static u32 shadow_pte(u32 gpte, u32 gpde, u32 va)
{
  u32 frame = gpte & ~0xFFFu;
  if (frame >= guest_end && frame < domain_end)
    wpanic("guest maps 0x%08x to 0x%08x: the wedge's memory", va, frame);
  u32 e = gpte & (0xFFFFF000u | PTE_P | PTE_W | PTE_U | 0x18u | PTE_A | PTE_D);
  if (!(gpde & PTE_W))
    e &= ~PTE_W;
  if (!(gpde & PTE_U))
    e &= ~PTE_U;
  return e;
}

static void clean(struct l1 *l)
{
  if (!l->dirty)
    return;
  const u32 *e = (const u32 *)l->va;
  for (u32 i = 0; i < 1024; i++)
    if (e[i])
      queue((l->mfn << 12) + i * 4, 0);
  flush_batch();
  l->dirty = 0;
}

static void drop_slot(u32 slot)
{
  s16 i = slot_l1[slot];
  if (i < 0)
    return;
  queue((shadow_l2_mfn << 12) + slot * 4, 0);
  pool[i].slot = -1;
  pool[i].age = ++drop_clock;
  slot_l1[slot] = -1;
  live[slot >> 5] &= ~(1u << (slot & 31));
}

static int fill_slot(u32 slot);

// The slot holding the stack we run on: it must never be unmapped, not even for an instant,
// or Xen could not push the next trap frame (and neither could our own calls). Dropping it
// means refilling it from the guest's current tables in the same batch instead.
static u32 stack_slot(void)
{
  u32 esp;
  asm volatile("movl %%esp, %0" : "=r"(esp));
  return esp >> 22;
}

static void drop_or_refill(u32 s)
{
  if (s == stack_slot()) {
    if (fill_slot(s))
      return;
    wpanic("the guest's new page tables do not map its stack (slot 0x%x)", s);
  }
  drop_slot(s);
}

static void drop_all(void)
{
  for (u32 s = 0; s < 1024; s++)
    if ((s < wedge_slot_lo || s >= wedge_slot_hi) && slot_l1[s] >= 0)
      drop_or_refill(s);
  flush_batch();
  mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0);
}

// A free shadow table: a clean one if there is one, else the one dropped longest ago (its
// cached copy is the least likely to be wanted again), cleaned.
static struct l1 *alloc_l1(void)
{
  for (int pass = 0; pass < 2; pass++) {
    struct l1 *best = 0;
    for (u32 i = 0; i < NPOOL; i++) {
      struct l1 *l = &pool[i];
      if (l->slot >= 0)
        continue;
      if (!l->dirty)
        return l;
      if (!best || l->age < best->age)
        best = l;
    }
    if (best) {
      clean(best);
      best->gpde = 0;
      return best;
    }
    STAT(FLUSHES);                       // pool exhausted: start over, like a full TLB flush
    for (u32 s = 0; s < wedge_slot_lo; s++)
      if (slot_l1[s] >= 0 && s != stack_slot())
        drop_slot(s);
    flush_batch();
    mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0);
  }
  wpanic("shadow pool empty");
}

// A free shadow table last filled from the guest table gpde names (same frame, same W/U
// bits), or 0.
static struct l1 *cached_l1(u32 gpde)
{
  for (u32 i = 0; i < NPOOL; i++)
    if (pool[i].slot < 0 && pool[i].dirty && pool[i].gpde == gpde)
      return &pool[i];
  return 0;
}

static int same_words(const u32 *a, const u32 *b, u32 n)
{
  u8 eq;
  asm volatile("cld; repe cmpsl; sete %3" : "+S"(a), "+D"(b), "+c"(n), "=q"(eq) : : "cc", "memory");
  return eq && n == 0;
}

// Bring a cached shadow table up to date with the guest table g: only the entries that
// changed since its snapshot are rewritten.
static void resync(struct l1 *l, const u32 *g, u32 gpde, u32 slot)
{
  u32 *sn = snap[l - pool];
  if (same_words(g, sn, 1024))
    return;
  for (u32 i = 0; i < 1024; i++) {
    if (g[i] == sn[i])
      continue;
    queue((l->mfn << 12) + i * 4, (g[i] & PTE_P) ? shadow_pte(g[i], gpde, (slot << 22) | (i << 12)) : 0);
    sn[i] = g[i];
  }
}

// Fill shadow slot from the guest's tables (or the identity map while paging is off).
static int fill_slot(u32 slot)
{
  u32 gpde = 0;
  if (vcpu.cr0 & CR0_PG) {
    gpde = guest_pde(slot);
    if (!(gpde & PTE_P))
      return 0;
    if (gpde & PTE_PS)
      wpanic("guest uses a 4 MiB page at 0x%08x: not supported", slot << 22);
    if (PGROUNDDOWN(gpde) >= guest_end)
      wpanic("guest page table at 0x%08x is outside its memory", PGROUNDDOWN(gpde));
  }
  s16 old = slot_l1[slot];
  struct l1 *l = (vcpu.cr0 & CR0_PG) ? cached_l1(gpde) : 0;
  if (l) {
    kmap(kmap_pt_va, PGROUNDDOWN(gpde), &kmap_pt_pa);
    resync(l, (const u32 *)kmap_pt_va, gpde, slot);
    STAT(REUSES);
  } else if (vcpu.cr0 & CR0_PG) {
    l = alloc_l1();
    kmap(kmap_pt_va, PGROUNDDOWN(gpde), &kmap_pt_pa);
    const u32 *g = (const u32 *)kmap_pt_va;
    u32 *sn = snap[l - pool];
    for (u32 i = 0; i < 1024; i++) {
      sn[i] = g[i];
      if (g[i] & PTE_P)
        queue((l->mfn << 12) + i * 4, shadow_pte(g[i], gpde, (slot << 22) | (i << 12)));
    }
    STAT(FILLS);
  } else {
    l = alloc_l1();
    for (u32 i = 0; i < 1024; i++) {
      u32 pa = (slot << 22) | (i << 12);
      if (pa < guest_end)
        queue((l->mfn << 12) + i * 4, pa | PTE_P | PTE_W | PTE_A | PTE_D);
    }
    STAT(FILLS);
  }
  queue((shadow_l2_mfn << 12) + slot * 4, (l->mfn << 12) | PTE_P | PTE_W | PTE_U | PTE_A);
  flush_batch();                         // one switch of the directory entry: never unmapped
  if (old >= 0) {
    pool[old].slot = -1;
    pool[old].age = ++drop_clock;
  }
  l->dirty = 1;
  l->gpde = gpde;
  l->slot = (s16)slot;
  slot_l1[slot] = (s16)(l - pool);
  live[slot >> 5] |= 1u << (slot & 31);
  slot_gpde[slot] = gpde;
  kdir[slot] = gpde;
  return 1;
}

int xen_mmu_fault(u32 va, u32 err)
{
  u32 slot = va >> 22;
  if (xen_ptd_on)
    return 0;                            // the guest's own tables: its fault
  if (slot >= wedge_slot_lo)
    return 0;
  if (!(vcpu.cr0 & CR0_PG)) {
    if (va >= guest_end || slot_l1[slot] >= 0)
      return 0;
    return fill_slot(slot);
  }
  u32 gpde = guest_pde(slot);
  if (!(gpde & PTE_P))
    return 0;
  kmap(kmap_pt_va, PGROUNDDOWN(gpde), &kmap_pt_pa);
  u32 gpte = ((const u32 *)kmap_pt_va)[(va >> 12) & 1023];
  if (!(gpte & PTE_P))
    return 0;
  if ((err & 2) && !(gpde & gpte & PTE_W))
    return 0;
  if ((err & 4) && !(gpde & gpte & PTE_U))
    return 0;
  if (slot_l1[slot] >= 0 && slot_gpde[slot] == gpde) {
    // The slot is shadowed but this entry is stale (the guest changed it without a flush,
    // which a native TLB would also have to re-walk): refresh just the entry.
    u32 e = shadow_pte(gpte, gpde, va);
    xen_check(HC3(update_va_mapping, PGROUNDDOWN(va), e, UVMF_INVLPG), "update_va_mapping (refresh)");
    snap[slot_l1[slot]][(va >> 12) & 1023] = gpte;
    return 1;
  }
  int r = fill_slot(slot);               // replaces a stale slot in one directory update
  mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0);
  return r;
}

// Paging just turned on: every kernel-half slot the guest's directory maps is shadowed now. A
// guest may move its stack into the kernel half with a plain instruction right after (Linux's
// startup_32 adds PAGE_OFFSET to ESP), and Xen pushes an exception frame on that stack before
// the wedge could fill the slot on demand.
static int paging_was_on;

static void fill_kernel_half(void)
{
  for (u32 s = KERNEL_SPLIT; s < wedge_slot_lo; s++)
    if (guest_pde(s) & PTE_P)
      fill_slot(s);
}

void be_mmu_reload(int flush)
{
  if (xen_ptd_reload(flush))
    return;                              // the guest's tables are direct (ptdirect.c)
  kmap_dir_pa = ~0u;                     // the directory may have changed under the window
  kmap_pt_pa = ~0u;
  if (flush || !(vcpu.cr0 & CR0_PG)) {
    STAT(FLUSHES);
    drop_all();
    if ((vcpu.cr0 & CR0_PG) && !paging_was_on)
      fill_kernel_half();
    paging_was_on = (vcpu.cr0 & CR0_PG) != 0;
    return;
  }
  STAT(SWITCHES);
  kmap(kmap_dir_va, PGROUNDDOWN(vcpu.cr3), &kmap_dir_pa);
  const u32 *gd = (const u32 *)kmap_dir_va;
  int kernel_same = same_words(gd + KERNEL_SPLIT, kdir + KERNEL_SPLIT, wedge_slot_lo - KERNEL_SPLIT);
  u32 last = kernel_same ? KERNEL_SPLIT : wedge_slot_lo;
  for (u32 w = 0; w < 32; w++) {
    for (u32 bits = live[w]; bits; bits &= bits - 1) {
      u32 s = w * 32 + (u32)__builtin_ctz(bits);
      if (s >= last)
        break;
      if (s < KERNEL_SPLIT || guest_pde(s) != slot_gpde[s])
        drop_or_refill(s);
    }
  }
  if (!kernel_same) {
    kmap(kmap_dir_va, PGROUNDDOWN(vcpu.cr3), &kmap_dir_pa);
    memcpy(kdir + KERNEL_SPLIT, (const u32 *)kmap_dir_va + KERNEL_SPLIT, (wedge_slot_lo - KERNEL_SPLIT) * 4);
  }
  flush_batch();
  mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0);
}

// Make sure a guest address is shadowed now (for stacks Xen pushes frames on).
void xen_mmu_prefault(u32 va)
{
  u32 slot = va >> 22;
  if (!xen_ptd_on && slot < wedge_slot_lo && slot_l1[slot] < 0 && (vcpu.cr0 & CR0_PG))
    fill_slot(slot);
}

void be_invlpg(u32 va)
{
  u32 slot = va >> 22;
  if (xen_ptd_on) {
    xen_ptd_invlpg(va);
    return;
  }
  kmap_pt_pa = ~0u;                      // the guest may have rewritten any table page
  kmap_dir_pa = ~0u;
  if (slot >= wedge_slot_lo || slot_l1[slot] < 0)
    return;
  xen_check(HC3(update_va_mapping, PGROUNDDOWN(va), 0, UVMF_INVLPG), "update_va_mapping (invlpg)");
  snap[slot_l1[slot]][(va >> 12) & 1023] = 0;
}

// The guest's own tables take over (ptdirect.c): no shadow table may keep a mapping of guest
// memory (Xen would refuse to type a frame mapped writable there), nor any of the windows.
void xen_shadow_retire(void)
{
  for (u32 i = 0; i < NPOOL; i++)
    clean(&pool[i]);
  for (u32 s = 0; s < wedge_slot_lo; s++)
    if (slot_l1[s] >= 0)
      drop_slot(s);
  flush_batch();
  xen_check(HC3(update_va_mapping, kmap_dir_va, 0, UVMF_INVLPG), "update_va_mapping (unmap)");
  xen_check(HC3(update_va_mapping, kmap_pt_va, 0, UVMF_INVLPG), "update_va_mapping (unmap)");
  xen_check(HC3(update_va_mapping, kmap_copy_va, 0, UVMF_INVLPG), "update_va_mapping (unmap)");
  kmap_dir_pa = kmap_pt_pa = ~0u;
}

u32 be_guest_mem_end(void) { return guest_end; }

int be_guest_readable(u32 va)
{
  if (!(vcpu.cr0 & CR0_PG))
    return va < guest_end;
  if (xen_ptd_on)
    return xen_ptd_readable(va);
  u32 gpde = guest_pde(va >> 22);
  if (!(gpde & PTE_P) || (gpde & PTE_PS) || PGROUNDDOWN(gpde) >= guest_end)
    return 0;
  kmap(kmap_pt_va, PGROUNDDOWN(gpde), &kmap_pt_pa);
  u32 e = ((const u32 *)kmap_pt_va)[(va >> 12) & 1023];
  return (e & PTE_P) && PGROUNDDOWN(e) < guest_end;
}

void be_copy_to_phys(u32 pa, const void *src, u32 n)
{
  const u8 *s = src;
  while (n) {
    u32 off = pa & (PGSIZE - 1), chunk = PGSIZE - off < n ? PGSIZE - off : n;
    kmap(kmap_copy_va, PGROUNDDOWN(pa), NULL);
    if (s)
      memcpy((u8 *)kmap_copy_va + off, s, chunk), s += chunk;
    else
      memset((u8 *)kmap_copy_va + off, 0, chunk);
    pa += chunk, n -= chunk;
  }
}

void be_zero_phys(u32 pa, u32 n) { be_copy_to_phys(pa, NULL, n); }

// Make a page of the bootstrap region read-only in the wedge's view (Xen types it next).
static void protect(u32 va)
{
  const u32 *l2 = (const u32 *)xen_start_info->pt_base;
  u32 l1_mfn = l2[va >> 22] >> 12;
  queue((l1_mfn << 12) + ((va >> 12) & 1023) * 4, (xen_va_to_mfn(va) << 12) | PTE_P | PTE_A);
}

void xen_mmu_init(void)
{
  const struct start_info *si = xen_start_info;
  guest_end = si->boot_phys;
  domain_end = si->domain_end;
  wedge_slot_lo = si->virt_base >> 22;
  wedge_slot_hi = (si->virt_base + si->boot_len + (4u << 20) - 1) >> 22;
  kmap_dir_va = xen_alloc_page();
  kmap_pt_va = xen_alloc_page();
  kmap_copy_va = xen_alloc_page();
  for (u32 s = 0; s < 1024; s++)
    slot_l1[s] = -1;

  // The shadow directory: the wedge's slots as the bootstrap directory has them.
  shadow_l2 = (u32 *)xen_alloc_page();
  shadow_l2_mfn = xen_va_to_mfn((u32)shadow_l2);
  const u32 *boot_l2 = (const u32 *)si->pt_base;
  for (u32 s = wedge_slot_lo; s < wedge_slot_hi; s++)
    shadow_l2[s] = boot_l2[s];
  for (u32 i = 0; i < NPOOL; i++) {
    pool[i].va = xen_alloc_page();
    pool[i].mfn = xen_va_to_mfn(pool[i].va);
    pool[i].slot = -1;
    protect(pool[i].va);
  }
  protect((u32)shadow_l2);
  flush_batch();
  static struct mmuext_op pins[NPOOL + 2];
  for (u32 i = 0; i < NPOOL; i++)
    pins[i] = (struct mmuext_op){ MMUEXT_PIN_L1_TABLE, pool[i].mfn, 0 };
  pins[NPOOL] = (struct mmuext_op){ MMUEXT_PIN_L2_TABLE, shadow_l2_mfn, 0 };
  pins[NPOOL + 1] = (struct mmuext_op){ MMUEXT_NEW_BASEPTR, shadow_l2_mfn, 0 };
  xen_check(HC4(mmuext_op, pins, NPOOL + 2, 0, DOMID_SELF), "mmuext_op (pin the shadow tables)");
}
