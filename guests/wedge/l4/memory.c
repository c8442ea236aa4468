// Guest memory on L4. Guest physical memory is machine memory [0, l4_guest_end) that σ0 maps
// to the task once, for good, in the wedge's window above VIRT_BASE (how the wedge reads the
// guest's page tables and loads the guest, and what the guest processes' mappings derive
// from: user.c); main's own accesses below the wedge are mapped from σ0 on demand where the
// guest's tables put them (monitor.c). The guest's page tables stay ordinary guest memory the
// guest writes with plain stores; the task's mappings below the wedge play main's TLB: a CR3
// load of another directory unmaps the task's user half [0, 3 GiB), a CR3 reload or a paging
// switch unmaps everything below the wedge, invlpg unmaps one page. The processes' spaces are
// their own TLBs, kept across switches: every CR3 load bumps l4_tlb_epoch, and a process whose
// space has not been checked since is re-validated against its directory before it runs again
// (user.c). As on Xen, the kernel half survives address-space switches like global pages,
// which the guest kernel assumes.
#include "l4wedge.h"
#include "vcpu.h"
#include "backend.h"
#include "stats.h"
#include "lib.h"

#define PTE_P 0x001u
#define PTE_W 0x002u
#define PTE_U 0x004u
#define PTE_PS 0x080u
#define USER_END 0xC0000000u
#define MMIO_LO 0xFEB00000u             // the PCI memory window σ0 hands out (ABI.md section 7)
#define MMIO_HI 0xFEC00000u

static u32 log2_fit(u32 pa, u32 va, u32 len)
{
  u32 s = 22;
  while (s > 12 && (((pa | va) & ((1u << s) - 1)) || (1u << s) > len))
    s--;
  return s;
}

void l4_sigma0_map(u32 pa, u32 va, u32 len, u32 rights)
{
  while (len) {
    u32 s = log2_fit(pa, va, len);
    STAT(HYPERCALLS);
    STAT(FILLS);
    u32 err = l4_sigma0_request(L4_FPAGE(pa, s, rights), L4_FPAGE(va, s, 0));
    if (err)
      wpanic("sigma0: no 0x%08x (+%u KiB) at 0x%08x: error 0x%x", pa, (1u << s) / 1024, va, err);
    pa += 1u << s, va += 1u << s, len -= 1u << s;
  }
}

static int frame_ok(u32 pa) { return pa < l4_guest_end || (pa >= MMIO_LO && pa < MMIO_HI); }

static u32 phys32(u32 pa) { return *(volatile u32 *)L4_PHYS(pa); }

// Walk the guest's tables for an access (identity while its paging is off). 1: *pa and *rights
// are what to map; 0: not present; -1: present but the access is not allowed (a guest #PF
// either way).
int l4_walk(u32 va, int write, int user, u32 *pa, u32 *rights)
{
  if (!(vcpu.cr0 & CR0_PG)) {
    if (va >= l4_guest_end)
      return 0;
    *pa = PGROUNDDOWN(va);
    *rights = L4_RWX;
    return 1;
  }
  u32 pde = phys32(PGROUNDDOWN(vcpu.cr3) + (va >> 22) * 4);
  if (!(pde & PTE_P))
    return 0;
  u32 e = pde, frame;
  if (pde & PTE_PS) {
    frame = (pde & 0xFFC00000u) | (va & 0x3FF000u);
  } else {
    if (PGROUNDDOWN(pde) >= l4_guest_end)
      wpanic("guest page table at 0x%08x is outside its memory", PGROUNDDOWN(pde));
    u32 pte = phys32(PGROUNDDOWN(pde) + ((va >> 12) & 1023) * 4);
    if (!(pte & PTE_P))
      return 0;
    e &= pte | ~(PTE_W | PTE_U);
    frame = PGROUNDDOWN(pte);
  }
  if ((write && !(e & PTE_W)) || (user && !(e & PTE_U)))
    return -1;
  if (!frame_ok(frame))
    wpanic("guest maps 0x%08x to 0x%08x: not guest memory", va, frame);
  *pa = frame;
  *rights = L4_R | L4_X | (e & PTE_W ? L4_W : 0);
  return 1;
}

// What a user access to va may use under the current directory: the frame | L4 rights, or 0
// if the guest's tables do not give user mode the page (a process's mapping of va must then go).
u32 l4_user_entry(u32 va)
{
  u32 pa, rights;
  if (va >= USER_END || l4_walk(va, 0, 1, &pa, &rights) != 1)
    return 0;
  return pa | rights;
}

// The guest's entry for va as a frame and rights, or 0 if it is not a present 4 KiB mapping.
static u32 pte_of(const u32 *pt, u32 va)
{
  u32 pte = pt[(va >> 12) & 1023];
  return pte & PTE_P ? pte : 0;
}

// Fault-around for main: the largest aligned block around va (up to 4 MiB, the kernel's direct
// map) that the guest maps to contiguous frames with the same rights, so one σ0 mapping serves
// many faults, as a TLB may cache translations it was never asked for. Grows from 4 KiB while
// it holds, so a sparse table costs a couple of entry reads. Returns log2 of the block size.
u32 l4_extent(u32 va, u32 pa, u32 rights)
{
  u32 delta = PGROUNDDOWN(va) - pa, s = 12, pde = 0;
  const u32 *pt = NULL;
  if (vcpu.cr0 & CR0_PG) {
    pde = phys32(PGROUNDDOWN(vcpu.cr3) + (va >> 22) * 4);
    if ((pde & PTE_PS) || pa >= l4_guest_end)
      return 12;
    pt = L4_PHYS(PGROUNDDOWN(pde));
  }
  for (u32 n = 13; n <= 22; n++) {
    u32 base = va & ~((1u << n) - 1), end = base + (1u << n);
    if ((base - delta) & ((1u << n) - 1) || base - delta + (1u << n) > l4_guest_end || end > l4_wedge_lo)
      break;
    u32 half = (va & (1u << (n - 1))) ? base : base + (1u << (n - 1));   // the half not yet checked
    int ok = 1;
    for (u32 a = half; ok && a < half + (1u << (n - 1)); a += PGSIZE) {
      if (!pt)
        continue;
      u32 e = pte_of(pt, a);
      u32 r = L4_R | L4_X | (e & pde & PTE_W ? L4_W : 0);
      ok = e && PGROUNDDOWN(e) == a - delta && r == rights;
    }
    if (!ok)
      break;
    s = n;
  }
  return s;
}

static void unmap_below(u32 end)
{
  static const u32 parts[][2] = {
    { 0x00000000u, 31 }, { 0x80000000u, 30 }, { 0xC0000000u, 29 }, { 0xE0000000u, 28 }, { 0xF0000000u, 27 },
  };
  u32 n = 0;
  for (u32 i = 0; i < ARRAY_SIZE(parts) && parts[i][0] < end; i++)
    L4_UTCB->mr[n++] = L4_FPAGE(parts[i][0], parts[i][1], L4_RWX);
  STAT(HYPERCALLS);
  l4_unmap(n, 1);
}

// Main's user half. What main maps there (the guest kernel touching a process's memory, e.g.
// copying a send buffer) is gone after every CR3 load of another directory. So the switch back
// does not cost one fault per page again, the pages main mapped under a directory are kept as
// that directory's hint; main's first fault in the user half under it maps, besides the page
// asked for, each hinted page the directory still maps to the same frame (the rights are the
// current ones), all in one reply. A hint is only a guess to check, never a translation.
#define NHINT 8                          // directories remembered
#define HINT_PAGES 16                    // pages per directory (also: map items per reply - 1)
struct hint {
  u32 cr3, n;
  u32 va[HINT_PAGES];
};
static struct hint hints[NHINT], mapped; // mapped: main's user half since the last unmap
static u32 hint_next;
u32 l4_task_user_mapped;                 // main's user half may hold something

static struct hint *hint_of(u32 cr3)
{
  for (u32 i = 0; i < NHINT; i++)
    if (hints[i].n && hints[i].cr3 == cr3)
      return &hints[i];
  return NULL;
}

// Keep what main mapped under the directory being left as its hint.
static void hint_save(void)
{
  if (!mapped.n)
    return;
  struct hint *h = hint_of(mapped.cr3);
  if (!h) {
    h = &hints[hint_next];
    hint_next = (hint_next + 1) % NHINT;
  }
  *h = mapped;
  mapped.n = 0;
}

static void note_mapped(u32 va)
{
  if (!mapped.n)
    mapped.cr3 = PGROUNDDOWN(vcpu.cr3);
  if (mapped.n < HINT_PAGES)
    mapped.va[mapped.n++] = va;
  l4_task_user_mapped = 1;
}

// Main faulted at va in the user half, which the guest maps to frame pa (guest memory) with
// rights, s = log2 of the block to map: the reply's map items, from the window, in mr[1..].
// Returns the typed words.
u32 l4_main_user_fill(u32 va, u32 pa, u32 rights, u32 s)
{
  volatile l4_word *mr = L4_UTCB->mr;
  u32 mask = (1u << s) - 1, off = va & mask & ~(PGSIZE - 1);
  while (s > 12 && ((l4_window + pa - off) & mask)) {   // the window page must be aligned too
    s--;
    mask >>= 1;
    off = va & mask & ~(PGSIZE - 1);
  }
  u32 t = 0;
  mr[++t] = L4_MAP_ITEM0(va & ~mask);
  mr[++t] = L4_FPAGE(l4_window + pa - off, s, rights);
  note_mapped(PGROUNDDOWN(va));
  struct hint *h = hint_of(PGROUNDDOWN(vcpu.cr3));
  if (!h)
    return t;
  for (u32 i = 0; i < h->n; i++) {
    u32 a = h->va[i], e = l4_user_entry(a);
    if (!e || (a & ~mask) == (va & ~mask) || PGROUNDDOWN(e) >= l4_guest_end)
      continue;
    mr[++t] = L4_MAP_ITEM0(a);
    mr[++t] = L4_FPAGE(l4_window + PGROUNDDOWN(e), 12, e & L4_RWX);
    note_mapped(a);
  }
  h->n = 0;                              // used up: what main touches now is the next hint
  return t;
}

void l4_user_flush(void)
{
  hint_save();
  if (!l4_task_user_mapped)
    return;                              // nothing to unmap (e.g. leaving the idle directory)
  l4_task_user_mapped = 0;
  unmap_below(USER_END);
}

u32 l4_tlb_epoch = 1;

void be_mmu_reload(int flush)
{
  l4_tlb_epoch++;                        // every process space is checked before it runs again
  if (flush || !(vcpu.cr0 & CR0_PG)) {
    STAT(FLUSHES);
    hint_save();
    l4_task_user_mapped = 0;
    unmap_below(l4_wedge_lo);
    return;
  }
  STAT(SWITCHES);
  l4_user_flush();
}

void be_invlpg(u32 va)
{
  if (va >= l4_wedge_lo)
    return;
  l4_user_invlpg(PGROUNDDOWN(va));
  L4_UTCB->mr[0] = L4_FPAGE(PGROUNDDOWN(va), 12, L4_RWX);
  STAT(HYPERCALLS);
  l4_unmap(1, 1);
}

// The guest's page-table sites (.afterburn_pt): an announced write that changes or removes a
// mapping is revoked from the process spaces when it is written (user.c). CR3 loads still bump
// l4_tlb_epoch whatever the sites say: no page-table frame is write-protected on L4, so a write
// no site announces (a path the profile missed) is caught at the guest's next TLB flush, as the
// hardware's TLB would see it. Built with PT=shadow (WEDGE_PT_SHADOW) the wedge ignores the sites.
int be_pt_sites(u32 nsites, u32 virt_offset, int is_linux)
{
  (void)virt_offset, (void)is_linux;    // a Linux guest's sites are taken as any guest's
#ifdef WEDGE_PT_SHADOW
  (void)nsites;
  return 0;
#else
  return nsites > 0;
#endif
}

void be_pt_store(u32 va, u32 val)
{
  STAT(PT_WRITES);
  u32 pa = 0, rights;
  volatile u32 *e = (volatile u32 *)va;
  u32 old = *e;
  *e = val;
  if (l4_walk(va, 0, 0, &pa, &rights) == 1 && pa < l4_guest_end)
    l4_user_pt_changed(pa | (va & 0xFFF), old, val);
}

u32 be_guest_mem_end(void) { return l4_guest_end; }

void be_copy_to_phys(u32 pa, const void *src, u32 n) { memcpy(L4_PHYS(pa), src, n); }
void be_zero_phys(u32 pa, u32 n) { memset(L4_PHYS(pa), 0, n); }

// The window: as much guest memory as fits between the bootstrap region and the kernel area.
void l4_memory_init(void)
{
  const struct l4_bootinfo *bi = l4_boot;
  l4_window = PGROUNDUP(bi->virt_base + bi->boot_len);
  u32 room = L4_KERNEL_AREA - l4_window, mem = bi->boot_phys;
  l4_guest_end = PGROUNDDOWN(mem < room ? mem : room);
  if (l4_guest_end < (4u << 20))
    wpanic("guest memory: %u KiB, the guest needs at least 4 MiB", l4_guest_end / 1024);
  l4_sigma0_map(0, l4_window, l4_guest_end, L4_RWX);
}
