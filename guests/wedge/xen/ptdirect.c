// Page tables under Xen, direct: the way XenoLinux keeps them, for a guest whose page-table
// writes are annotated (the afterburner's page-table sites, ia32/ptsites.c). The guest's own
// directories and tables are the ones the CPU walks: a directory is pinned (validated by Xen)
// when it is first loaded and stays pinned across address-space switches, so a switch is one
// NEW_BASEPTR with nothing refilled. Xen forbids writable mappings of a page-table frame, so
// the wedge makes every table frame read-only in the guest's linear map of its memory (the
// image's virtual - physical offset) and in tables about to be validated; the annotated writes
// arrive in be_pt_store and go to Xen as mmu_update when they hit a table, as plain stores
// otherwise. A write that no site covers faults on the read-only mapping and is caught here
// (xen_ptd_fault): a frame of a directory that is not running is being reused by the guest
// (its directory was freed), so that directory is unpinned and the write retried; a write to a
// table in use is decoded and done as the annotated write would be. The guest runs on the
// wedge's shadow tables (mmu.c) until it turns paging on; then its first directory is pinned,
// and left unpinned once it is left, as it maps the frames of its own tables writable.
#include "xen.h"
#include "vcpu.h"
#include "trap.h"
#include "decode.h"
#include "lib.h"
#ifdef WEDGE_DEVVIRT
#include "dp83820.h"
// An entry naming the emulated NIC's register page stays not present (its frame kept), so
// every access the guest makes to it faults into the wedge.
static u32 device_entry(u32 e) { return (e & PTE_P) && nic_owns(e & ~0xFFFu) ? e & ~PTE_P : e; }
#endif

#define HOLE_SLOT 0x3F0                 // Xen's slots from here up (ABI.md section 1)
#define MAXF 65536                      // guest frames the wedge tracks (256 MiB)
#define NUB 64

enum { F_L1 = 1, F_L2 = 2, F_NEW = 4, F_WP = 8, F_PINNED = 16 };
static u8 fl[MAXF];                     // per guest frame: type as Xen has it, and F_WP: the
                                        // wedge cleared W of its linear-map entry
static u16 l1refs[MAXF];                // present entries of pinned directories naming an L1
static u16 l1owner[MAXF];               // the pinned directory that last linked an L1
static u32 nframes, virt_off, wedge_lo, wedge_hi;
static u32 cur_l2 = ~0u, boot_l2 = ~0u;
static u32 rd_dir_va, rd_pt_va, wr_va;  // windows: two read-only, one writable (unmapped after use)
static u32 rd_dir_pa = ~0u, rd_pt_pa = ~0u;
static int wanted;
static int no_sites;                    // the guest announces none (Linux; pt=direct): every
                                        // write to a table is found by write protection
static int linux_guest;                 // a Linux vmlinux, with profiled sites or none
int xen_ptd_on;

// The profile: every guest instruction whose write to a page table in use no site announced
// (so the wedge took a fault and did the write), once each. The emulator reads it at the symbol
// wedge_pt_profile: magic, count, capacity, then count EIPs (guests/wedge/STATS.md).
#define PROFILE_MAX 256
struct { u32 magic, n, cap, eip[PROFILE_MAX]; } wedge_pt_profile = { 0x50505457, 0, PROFILE_MAX, { 0 } };

static void profile(u32 eip)
{
  for (u32 i = 0; i < wedge_pt_profile.n; i++)
    if (wedge_pt_profile.eip[i] == eip)
      return;
  if (wedge_pt_profile.n < PROFILE_MAX)
    wedge_pt_profile.eip[wedge_pt_profile.n++] = eip;
}

static struct mmu_update ub[NUB];
static u32 nub;

static void uflush(void)
{
  if (nub)
    xen_check(HC4(mmu_update, ub, nub, 0, DOMID_SELF), "mmu_update (guest page tables)");
  nub = 0;
}

static void uq(u32 ma, u32 v)
{
  if (nub == NUB)
    uflush();
  ub[nub].ptr = ma;
  ub[nub].val = v;
  nub++;
  STAT(PT_UPDATES);
}

static void ext(u32 cmd, u32 arg, const char *what)
{
  struct mmuext_op op = { cmd, arg, 0 };
  xen_check(HC4(mmuext_op, &op, 1, 0, DOMID_SELF), what);
}

static void win(u32 va, u32 pa, int rw, u32 *cached)
{
  if (cached && *cached == pa)
    return;
  u32 e = pa | PTE_P | PTE_A | (rw ? PTE_W | PTE_D : 0);
  xen_check(HC3(update_va_mapping, va, e, UVMF_INVLPG), "update_va_mapping (page-table window)");
  if (cached)
    *cached = pa;
}

static void wr_unmap(void) { xen_check(HC3(update_va_mapping, wr_va, 0, UVMF_INVLPG), "update_va_mapping (unmap)"); }

static u32 frame_entry(u32 f, u32 i)
{
  win(rd_pt_va, f << 12, 0, &rd_pt_pa);
  return ((volatile const u32 *)rd_pt_va)[i];
}

// The loaded directory's entry for va and the machine address of that entry, or 0.
static u32 lookup(u32 va, u32 *ma)
{
  if (cur_l2 == ~0u)
    return 0;
  win(rd_dir_va, cur_l2 << 12, 0, &rd_dir_pa);
  u32 pde = ((volatile const u32 *)rd_dir_va)[va >> 22];
  if (!(pde & PTE_P) || (pde & PTE_PS))
    return 0;
  *ma = (pde & ~0xFFFu) + ((va >> 12) & 1023) * 4;
  return frame_entry(pde >> 12, (va >> 12) & 1023);
}

static int is_table(u32 f) { return f < nframes && (fl[f] & (F_L1 | F_L2)); }

// Clear or give back the W bit of frame f's entry in the guest's linear map (when that entry
// lies in a table Xen has typed; a table still untyped was stripped before its validation).
static void set_writable(u32 f, int on)
{
  u32 ma = 0, e = lookup(virt_off + (f << 12), &ma);
  if (!(e & PTE_P) || (e >> 12) != f || !is_table(ma >> 12) || !(fl[ma >> 12] & F_L1))
    return;
  if (!on && (e & PTE_W)) {
    uq(ma, e & ~PTE_W);
    fl[f] |= F_WP;
  } else if (on && !(e & PTE_W) && (fl[f] & F_WP)) {
    uq(ma, e | PTE_W);
    fl[f] &= ~F_WP;
  }
}

// An L1 frame about to be validated: clear W in its entries that map a table (or a frame
// being made one). It is untyped, so the wedge writes it through its writable window.
static void strip_new_l1(u32 t)
{
  win(wr_va, t << 12, 1, 0);
  u32 *e = (u32 *)wr_va;
  for (u32 i = 0; i < 1024; i++) {
#ifdef WEDGE_DEVVIRT
    e[i] = device_entry(e[i]);
#endif
    if ((e[i] & (PTE_P | PTE_W)) != (PTE_P | PTE_W))
      continue;
    u32 g = e[i] >> 12;
    if (g < nframes && (fl[g] & (F_L1 | F_L2 | F_NEW))) {
      e[i] &= ~PTE_W;
      fl[g] |= F_WP;
    }
  }
}

static u32 pdes[1024];

// First load of a directory: put the wedge's slots in, make it and its new tables read-only
// wherever a typed table maps them, and pin it.
static void pin(u32 l2)
{
  static u32 fresh[1024];
  u32 n = 0;
  fl[l2] |= F_NEW;
  win(wr_va, l2 << 12, 1, 0);
  u32 *d = (u32 *)wr_va;
  const u32 *boot = (const u32 *)xen_start_info->pt_base;
  for (u32 s = wedge_lo; s < wedge_hi; s++) {
    if ((d[s] & PTE_P) && d[s] != boot[s])
      wpanic("guest directory 0x%08x maps 0x%08x, the wedge's slot", l2 << 12, s << 22);
    d[s] = boot[s];
  }
  // Xen's slots are Xen's: Linux's first directory links its early fixmap table in the last
  // slot (it uses it only after reservetop= has moved the fixmap below the wedge, as under
  // the shadow tables, which never fill these slots); Xen refuses any entry of the guest's
  // there. Done only for Linux and a guest without page-table sites, so the others' pins are
  // unchanged.
  if (no_sites || linux_guest)
    for (u32 s = HOLE_SLOT; s < 1024; s++)
      d[s] = boot[s];
  memcpy(pdes, d, sizeof pdes);
  for (u32 s = 0; s < HOLE_SLOT; s++) {
    u32 t = pdes[s] >> 12;
    if (!(pdes[s] & PTE_P) || (s >= wedge_lo && s < wedge_hi) || t >= nframes || (fl[t] & (F_L1 | F_NEW)))
      continue;
    if (fl[t] & F_L2)
      wpanic("guest directory 0x%08x links directory 0x%08x as a table", l2 << 12, t << 12);
    fl[t] |= F_NEW;
    fresh[n++] = t;
  }
  for (u32 i = 0; i < n; i++)
    strip_new_l1(fresh[i]);
  wr_unmap();
  set_writable(l2, 0);
  for (u32 i = 0; i < n; i++)
    set_writable(fresh[i], 0);
  uflush();
  ext(MMUEXT_PIN_L2_TABLE, l2, "mmuext_op (pin a guest directory)");
  STAT(PT_PINS);
  fl[l2] = (u8)((fl[l2] & F_WP) | F_L2 | F_PINNED);
  for (u32 s = 0; s < HOLE_SLOT; s++) {
    u32 t = pdes[s] >> 12;
    if (!(pdes[s] & PTE_P) || t >= nframes)
      continue;
    fl[t] = (u8)((fl[t] & ~F_NEW) | F_L1);
    l1refs[t]++;
    l1owner[t] = (u16)l2;
  }
}

// A directory that is not loaded: unpin it; tables no pinned directory names any more become
// ordinary memory again, writable in the linear map.
static void unpin(u32 l2)
{
  ext(MMUEXT_UNPIN_TABLE, l2, "mmuext_op (unpin a guest directory)");
  STAT(PT_UNPINS);
  fl[l2] &= (u8)~(F_L2 | F_PINNED);
  for (u32 s = 0; s < HOLE_SLOT; s++)
    pdes[s] = frame_entry(l2, s);
  for (u32 s = 0; s < HOLE_SLOT; s++) {
    u32 t = pdes[s] >> 12;
    if (!(pdes[s] & PTE_P) || t >= nframes || !l1refs[t])
      continue;
    if (--l1refs[t] == 0) {
      fl[t] &= (u8)~F_L1;
      set_writable(t, 1);
    }
  }
  set_writable(l2, 1);
  uflush();
  ext(MMUEXT_TLB_FLUSH_LOCAL, 0, "mmuext_op (flush)");
}

// The write of val to the entry at physical address pa (virtual va) of a typed table.
static void typed_store(u32 va, u32 pa, u32 val)
{
  u32 f = pa >> 12, i = (pa & 0xFFF) >> 2;
  if (fl[f] & F_L2) {
    if (i >= HOLE_SLOT || (i >= wedge_lo && i < wedge_hi))
      return;                           // Xen's and the wedge's slots stay theirs
    u32 old = frame_entry(f, i);
    u32 nt = (val & PTE_P) ? val >> 12 : ~0u, ot = (old & PTE_P) ? old >> 12 : ~0u;
    if (nt != ot && nt < nframes && !(fl[nt] & F_L1)) {
      if (fl[nt] & F_L2)
        wpanic("guest links directory 0x%08x as a table", nt << 12);
      fl[nt] |= F_NEW;                  // a new table: read-only before Xen validates it
      strip_new_l1(nt);
      wr_unmap();
      set_writable(nt, 0);
    }
    uq(pa, val);
    uflush();
    if (nt != ot && nt < nframes) {
      fl[nt] = (u8)((fl[nt] & ~F_NEW) | F_L1);
      l1refs[nt]++;
      l1owner[nt] = (u16)f;
    }
    if (nt != ot && ot < nframes && l1refs[ot] && --l1refs[ot] == 0) {
      fl[ot] &= (u8)~F_L1;
      set_writable(ot, 1);
      uflush();
    }
    return;
  }
  u32 owner = l1owner[f];
  if (!(val & PTE_P) && l1refs[f] == 1 && owner != cur_l2 && (fl[owner] & F_PINNED)) {
    // Clearing an entry of a directory that is not running: the kernel is tearing it down.
    // Unpin it, as XenoLinux does before freeing, so the rest of the teardown is plain stores.
    unpin(owner);
    *(volatile u32 *)va = val;
    return;
  }
#ifdef WEDGE_DEVVIRT
  val = device_entry(val);
#endif
  if ((val & (PTE_P | PTE_W)) == (PTE_P | PTE_W) && is_table(val >> 12)) {
    val &= ~PTE_W;                      // a mapping of a table: read-only
    fl[val >> 12] |= F_WP;
  }
  uq(pa, val);
  uflush();
}

void be_pt_store(u32 va, u32 val)
{
  STAT(PT_WRITES);
  u32 ma = 0, e = xen_ptd_on ? lookup(va, &ma) : 0;
  if (!(e & PTE_P) || !is_table(e >> 12)) {
    *(volatile u32 *)va = val;          // not a table (yet): ordinary memory
    return;
  }
  typed_store(va, (e & ~0xFFFu) | (va & 0xFFF), val);
}

// A bit operation on an entry of a table in use (decode_pte_rmw): done on the entry's value and
// written as a whole entry; the flags as the instruction leaves them (andb: CF, OF clear, ZF,
// SF, PF of the result; btr: CF the bit's old value).
static void bit_op(struct tframe *tf, u32 cr2, u32 f, int kind, u32 imm)
{
  u32 va = cr2 & ~3u, sh = (cr2 & 3) * 8, old = frame_entry(f, (va & 0xFFF) >> 2), val;
  u32 fl = tf->eflags;
  if (kind == RMW_ANDB) {
    u32 r = (old >> sh) & imm & 0xFF;
    val = (old & ~(0xFFu << sh)) | (r << sh);
    u32 ones = r ^ (r >> 4);
    ones ^= ones >> 2;
    ones ^= ones >> 1;
    fl &= ~(0x1u | 0x4u | 0x40u | 0x80u | 0x800u);                 // CF PF ZF SF OF
    fl |= (ones & 1 ? 0 : 0x4u) | (r ? 0 : 0x40u) | (r & 0x80 ? 0x80u : 0);
  } else {
    u32 bit = 1u << (imm & 31);
    val = old & ~bit;
    fl = (fl & ~1u) | (old & bit ? 1u : 0);
  }
  tf->eflags = fl;
  typed_store(va, (f << 12) | (va & 0xFFF), val);
}

// A write fault in the guest kernel (present, write): 1 when it hit a table and was handled.
int xen_ptd_fault(struct tframe *tf, u32 cr2)
{
  if (!xen_ptd_on || (tf->err & 3) != 3 || (tf->cs & 3) == 3)
    return 0;
  u32 ma = 0, e = lookup(cr2, &ma);
  u32 f = e >> 12;
  if (!(e & PTE_P) || f >= nframes)
    return 0;
  if (!is_table(f)) {
    if (!(e & PTE_W))
      return 0;                         // the guest's own read-only page
    ext(MMUEXT_INVLPG_LOCAL, cr2, "mmuext_op (invlpg)");   // a TLB entry from before W came back
    return 1;
  }
  STAT(PT_FAULTS);
  u32 owner = (fl[f] & F_L2) ? f : l1owner[f];
  if (owner != cur_l2 && (fl[owner] & F_PINNED) && ((fl[f] & F_L2) || l1refs[f] == 1)) {
    unpin(owner);                       // the guest reuses a frame of a directory not running
    return 1;
  }
  struct store st;
  int kind, plain = decode_store((const u8 *)tf->eip, 16, &st) == 0;
  if (!plain && decode_pte_rmw((const u8 *)tf->eip, 16, &st, &kind) == 0) {
    STAT(PT_EMULATED);
    profile(tf->eip);
    bit_op(tf, cr2, f, kind, st.imm);
    tf->eip += st.len;
    return 1;
  }
  if (!plain || (cr2 & 3) || (!st.imm_src && st.reg == 4))
    wpanic("write to a page table at 0x%08x by eip 0x%08x that is not an annotated or plain 32-bit store", cr2, tf->eip);
  const u32 regs[8] = { tf->eax, tf->ecx, tf->edx, tf->ebx, 0, tf->ebp, tf->esi, tf->edi };
  STAT(PT_EMULATED);
  profile(tf->eip);
  typed_store(cr2, (f << 12) | (cr2 & 0xFFF), st.imm_src && !st.moffs ? st.imm : regs[st.reg]);
  tf->eip += st.len;
  return 1;
}

// The switch from the shadow tables to the guest's first directory. Retiring the shadows
// unmaps every guest address, so this runs on a stack of the wedge's (its slots are in every
// directory), not on the guest's: Linux's startup_32 turns paging on with its stack at a
// physical address, which only the shadow's identity map covered until the guest's own
// directory is loaded, and hypercall arguments and Xen's bounce frames live on the stack.
// A guest with page-table sites (the guest kernel here) turns paging on while still on the
// boot stack the wedge gave it, inside the wedge's image, and switches where it is.
extern u8 wedge_stack_top[];            // entry.S: the wedge's start-of-day stack, unused
                                        // once the guest runs
static u32 switch_arg;
static void (*switch_fn)(u32);
void ptd_on_stack_entry(void) { switch_fn(switch_arg); }
static void on_switch_stack(void (*fn)(u32), u32 arg)
{
  switch_fn = fn;
  switch_arg = arg;
  asm volatile("movl %%esp, %%ebx\n\tmovl %0, %%esp\n\tcall ptd_on_stack_entry\n\tmovl %%ebx, %%esp"
               : : "r"(wedge_stack_top) : "ebx", "eax", "ecx", "edx", "memory", "cc");
}

// xen_ptd_reload's first switch: the shadow tables retired, the guest's directory pinned and
// loaded, and kept pinned as the boot directory until the guest loads another.
static void first_switch(u32 f)
{
  xen_shadow_retire();                  // its tables map all guest memory writable
  boot_l2 = f;
  STAT(SWITCHES);
  pin(f);
  ext(MMUEXT_NEW_BASEPTR, f, "mmuext_op (new base pointer)");
  cur_l2 = f;
  rd_dir_pa = ~0u;
  xen_ptd_on = 1;
}

// be_mmu_reload with paging on, once the guest's tables are direct (or about to become so).
// Returns 0 when the shadow tables stay in charge.
int xen_ptd_reload(int flush)
{
  if (!wanted)
    return 0;
  if (!(vcpu.cr0 & CR0_PG)) {
    if (xen_ptd_on)
      wpanic("the guest turned paging off: not supported with direct page tables");
    return 0;
  }
  u32 f = vcpu.cr3 >> 12;
  if (f >= nframes)
    wpanic("guest page directory 0x%08x is outside its memory", vcpu.cr3);
  if (!xen_ptd_on) {
    if (no_sites || linux_guest)
      on_switch_stack(first_switch, f);
    else
      first_switch(f);
    return 1;
  }
  if (f == cur_l2) {
    STAT(FLUSHES);
    ext(MMUEXT_TLB_FLUSH_LOCAL, 0, "mmuext_op (flush)");
    return 1;
  }
  STAT(SWITCHES);
  if (!(fl[f] & F_L2))
    pin(f);
  ext(MMUEXT_NEW_BASEPTR, f, "mmuext_op (new base pointer)");
  cur_l2 = f;
  rd_dir_pa = ~0u;
  xen_ptd_on = 1;
  if (boot_l2 != ~0u && f != boot_l2) {
    unpin(boot_l2);
    boot_l2 = ~0u;
  }
  return 1;
}

int xen_ptd_readable(u32 va)
{
  u32 ma = 0, e = lookup(va, &ma);
  return (e & PTE_P) && (e >> 12) < nframes;
}

void xen_ptd_invlpg(u32 va) { ext(MMUEXT_INVLPG_LOCAL, va, "mmuext_op (invlpg)"); }

int be_pt_sites(u32 nsites, u32 voff, int is_linux)
{
  // A write no site announces faults on the write-protected table and is done here.
#ifdef WEDGE_PT_SHADOW
  (void)nsites, (void)voff, (void)is_linux;
  return 0;                             // this wedge keeps shadow tables whatever the guest marks
#else
  const struct start_info *si = xen_start_info;
  if (si->boot_phys / PGSIZE > MAXF)
    return 0;
  nframes = si->boot_phys / PGSIZE;
  virt_off = voff;
  wedge_lo = si->virt_base >> 22;
  wedge_hi = (si->virt_base + si->boot_len + (4u << 20) - 1) >> 22;
  rd_dir_va = xen_alloc_page();
  rd_pt_va = xen_alloc_page();
  wr_va = xen_alloc_page();
  wanted = 1;
  no_sites = nsites == 0;
  linux_guest = is_linux;
  return 1;
#endif
}

#ifdef WEDGE_DEVVIRT
// A not-present fault in the guest kernel on a page its tables map to the emulated NIC.
int xen_ptd_device_fault(struct tframe *tf, u32 cr2)
{
  u32 ma = 0, e = xen_ptd_on ? lookup(cr2, &ma) : 0;
  if ((e & PTE_P) || !nic_owns(e & ~0xFFFu))
    return 0;
  return nic_mmio_access(tf, cr2 & 0xFFF);
}

int be_device_page(u32 va)
{
  u32 ma = 0, e = xen_ptd_on ? lookup(va, &ma) : 0;
  return !(e & PTE_P) && nic_owns(e & ~0xFFFu);
}
#endif
