// Traps on Xen. Every exception, the guest's system-call vector and the event upcall enter
// the wedge first (entry.S builds a frame and calls xen_trap). The wedge handles what is its
// own (shadow page faults, events, an unrewritten sensitive instruction's #GP, emulated by
// ia32/hole.c) and reflects the rest into the guest through the guest's virtual IDT
// (ia32/reflect.c turns Xen's bounce frame into the frame the guest's handler expects). Also here: the guest's GDT
// (installed as a ring-1 copy), the kernel stack for ring 3 -> ring 1 (from the guest's TSS),
// and CR0.TS.
#include "xen.h"
#include "vcpu.h"
#include "decode.h"
#include "trap.h"
#include "backend.h"
#include "lib.h"

#define V_UPCALL 0x100
#define V_FAILSAFE 0x101
#define T_GP 13
#define T_PF 14
#define T_SYSCALL 0x80

void xen_trap_entries(void);             // entry.S: the table of per-vector stubs
extern const u32 xen_trap_stub[20];
extern const u32 xen_syscall_stub;
void xen_upcall_entry(void);
void xen_failsafe_entry(void);

static int from_wedge(const struct tframe *f) { return (f->cs & 3) == 1 && f->eip >= xen_start_info->virt_base; }

// Called by entry.S. Returns 0 to resume the interrupted context, 1 to enter the guest handler.
u32 xen_trap(struct tframe *f)
{
  if (f->vector == V_UPCALL) {
    STAT(UPCALLS);
    xen_events_process();
    return trap_deliver_irq(f);
  }
  if (f->vector == V_FAILSAFE)
    wpanic("failsafe callback at eip 0x%08x", f->eip);
  if (f->vector == T_PF) {
    u32 cr2 = xen_shared.vcpu_info[0].cr2;
#ifdef WEDGE_DEVVIRT
    if (!(f->err & 1) && (f->cs & 3) == 1 && !from_wedge(f) && xen_ptd_device_fault(f, cr2))
      return 0;
#endif
    if (xen_ptd_fault(f, cr2))
      return 0;
    if (xen_mmu_fault(cr2, f->err)) {
      STAT(PF_SHADOW);
      return 0;
    }
    if (from_wedge(f))
      wpanic("page fault in the wedge at eip 0x%08x, address 0x%08x, error %x", f->eip, cr2, f->err);
    STAT(PF_GUEST);
    vcpu.cr2 = cr2;
  }
  // int3 / int $3 / into in the guest kernel: Xen's gates are DPL 0, so from ring 1 they raise
  // #GP naming IDT entry 3 or 4; in the guest's ring 0 they are the trap itself (Linux's int3
  // self-test and text patching), reflected with EIP past the instruction. Ring 3 keeps the #GP
  // or the trap as the guest's own gates would give (the DPL 0 gates of a kernel that has them).
  if (f->vector == T_GP && (f->cs & 3) == 1 && !from_wedge(f) && (f->err == 0x1A || f->err == 0x22)) {
    const u8 *ip = (const u8 *)f->eip;
    u32 len = ip[0] == 0xCC || ip[0] == 0xCE ? 1 : ip[0] == 0xCD && (ip[1] == 3 || ip[1] == 4) ? 2 : 0;
    if (len) {
      f->eip += len;
      STAT(TRAPS);
      return trap_reflect(f, f->err >> 3, 0);
    }
  }
  // In ring 1 only SS refuses the guest's RPL-0 selectors; another load faults on its own.
  if (f->vector == T_GP && (f->cs & 3) == 1 && !from_wedge(f) && trap_emulate(f, 1u << SR_SS))
    return 0;
  if (f->vector == T_GP && (f->cs & 3) == 3 && trap_user_io(f))
    return 0;
  if (from_wedge(f))
    wpanic("trap %u in the wedge at eip 0x%08x, error %x (edx 0x%x)", f->vector, f->eip, f->err, f->edx);
  STAT(TRAPS);
  return trap_reflect(f, f->vector, trap_has_error_code(f->vector));
}

// On every return to ring 3: Xen must know the guest's current kernel stack (its TSS.esp0,
// which the guest writes with plain stores when it switches processes).
void be_user_return(void)
{
  static u32 last_esp0, last_ss0;
  if (!vcpu.tss_base)
    return;
  u32 esp0 = *(volatile u32 *)(vcpu.tss_base + 4);
  u32 ss0 = *(volatile u16 *)(vcpu.tss_base + 8);
  if (esp0 == last_esp0 && ss0 == last_ss0) {
    xen_mmu_prefault(esp0 - 4);          // a flush may have dropped it since
    return;
  }
  xen_check(HC2(stack_switch, sel_to_real(ss0), esp0), "stack_switch");
  xen_mmu_prefault(esp0 - 4);
  last_esp0 = esp0;
  last_ss0 = ss0;
}

// A guest descriptor as Xen accepts it: code and data segments move from DPL 0 to DPL 1
// and end below the hypervisor hole; system descriptors (the TSS) are virtual, so empty.
static u64 ring1_descriptor(u32 lo, u32 hi)
{
  if (!(hi & 0x8000) || !(hi & 0x1000))
    return 0;
  if (((hi >> 13) & 3) == 0)
    hi |= 1u << 13;
  u32 base = (lo >> 16) | (hi & 0xFF) << 16 | (hi & 0xFF000000);
  u32 limit = (lo & 0xFFFF) | (hi & 0xF0000);
  u32 last = (hi & 0x800000) ? base + (limit << 12 | 0xFFF) : base + limit;
  if (last < base || last >= HYPERVISOR_VIRT_START) {
    limit = (HYPERVISOR_VIRT_START - 1 - base) >> 12;
    hi = (hi & ~0xF0000u) | (limit & 0xF0000) | 0x800000;
    lo = (lo & 0xFFFF0000u) | (limit & 0xFFFF);
  }
  return ((u64)hi << 32) | lo;
}

// A descriptor a loaded segment register uses is not replaced while it is loaded: the CPU
// keeps its cached copy until the register is reloaded, but under Xen every return from a
// hypercall or a fault reloads the registers from the GDT (Linux's startup_32 loads a GDT
// without its boot data segment while SS still holds that selector). Such an entry keeps
// its old descriptor, marked stale, and is brought up to date once no register holds it.
static u32 *gdt;                         // the ring-1 copy (one page)
static u32 gdt_stale[512 / 32];
static u32 nstale;

static int sel_loaded(u32 i)
{
  u16 r[5];
  asm volatile("movw %%es, %0; movw %%ss, %1; movw %%ds, %2; movw %%fs, %3; movw %%gs, %4"
               : "=m"(r[0]), "=m"(r[1]), "=m"(r[2]), "=m"(r[3]), "=m"(r[4]));
  for (u32 k = 0; k < 5; k++)
    if ((r[k] >> 3) == i && !(r[k] & 4))
      return 1;
  return 0;
}

static void gdt_sync(u32 i, const u32 *src)
{
  u64 d = ring1_descriptor(src[2 * i], src[2 * i + 1]);
  if (gdt[2 * i] == (u32)d && gdt[2 * i + 1] == (u32)(d >> 32))
    return;
  u32 bit = 1u << (i & 31);
  if (sel_loaded(i)) {
    if (!(gdt_stale[i >> 5] & bit))
      nstale++;
    gdt_stale[i >> 5] |= bit;
    return;
  }
  if (gdt_stale[i >> 5] & bit) {
    gdt_stale[i >> 5] &= ~bit;
    nstale--;
  }
  u32 ma = (xen_va_to_mfn((u32)gdt) << 12) + i * 8;
  xen_check(HC4(update_descriptor, ma, 0, (u32)d, (u32)(d >> 32)), "update_descriptor");
}

static void gdt_sync_stale(void)
{
  u32 n = (vcpu.gdt_limit + 1) / 8;
  for (u32 i = 0; i < n && i < 512 && nstale; i++)
    if (gdt_stale[i >> 5] & (1u << (i & 31)))
      gdt_sync(i, (const u32 *)vcpu.gdt_base);
}

void be_load_gdt(void)
{
  static u32 installed;
  u32 n = (vcpu.gdt_limit + 1) / 8;
  if (n > 512)
    wpanic("lgdt: %u entries, the wedge copies at most 512", n);
  const u32 *src = (const u32 *)vcpu.gdt_base;
  if (!gdt) {
    gdt = (u32 *)xen_alloc_page();
    for (u32 i = 0; i < n; i++) {
      u64 d = ring1_descriptor(src[2 * i], src[2 * i + 1]);
      gdt[2 * i] = (u32)d;
      gdt[2 * i + 1] = (u32)(d >> 32);
    }
    const u32 *l2 = (const u32 *)xen_start_info->pt_base;
    u32 va = (u32)gdt, l1_mfn = l2[va >> 22] >> 12;
    struct mmu_update ro = { (l1_mfn << 12) + ((va >> 12) & 1023) * 4, (xen_va_to_mfn(va) << 12) | PTE_P | PTE_A };
    xen_check(HC4(mmu_update, &ro, 1, 0, DOMID_SELF), "mmu_update (GDT read-only)");
    u32 frame = xen_va_to_mfn(va);
    xen_check(HC2(set_gdt, &frame, 512), "set_gdt");
    installed = n;
    return;
  }
  for (u32 i = 0; i < n; i++)
    gdt_sync(i, src);
  if (n > installed)
    installed = n;
}

// Segment registers are real: the guest's selector loads from the ring-1 GDT copy, with RPL 1
// where the CPU insists.
void be_write_sreg(u32 s, u32 sel)
{
  u16 r = (u16)sel_to_real(sel);
  switch (s) {
  case 0: asm volatile("movw %0, %%es" : : "r"(r)); break;
  case 2: asm volatile("movw %0, %%ss" : : "r"(r)); break;
  case 3: asm volatile("movw %0, %%ds" : : "r"(r)); break;
  case 4: asm volatile("movw %0, %%fs" : : "r"(r)); break;
  case 5: asm volatile("movw %0, %%gs" : : "r"(r)); break;
  }
  if (nstale)
    gdt_sync_stale();                    // the register that held a stale entry may have moved
}

u32 be_read_sreg(u32 s)
{
  u16 v = 0;
  switch (s) {
  case 0: asm volatile("movw %%es, %0" : "=r"(v)); break;
  case 1: asm volatile("movw %%cs, %0" : "=r"(v)); break;
  case 2: asm volatile("movw %%ss, %0" : "=r"(v)); break;
  case 3: asm volatile("movw %%ds, %0" : "=r"(v)); break;
  case 4: asm volatile("movw %%fs, %0" : "=r"(v)); break;
  case 5: asm volatile("movw %%gs, %0" : "=r"(v)); break;
  }
  return sel_to_virtual(v);
}

// The real SS is the ring-1 copy of the guest's selector, over the guest's descriptor.
u32 be_lss(u32 sel, u32 *base)
{
  *base = vcpu_seg_base(sel);
  return sel_to_real(sel);
}

void be_fpu_ts(int set) { HC1(fpu_taskswitch, set ? 1 : 0); }

// The guest's double-fault gate is a task gate, which Xen's trap table cannot express (its
// entries are trap or interrupt gates: a handler address) and which the wedge does not switch
// to. Xen never bounces a double fault to a guest (a fault while it delivers one crashes the
// domain), so vector 8 of the trap table is given to a stub that stops the domain naming the
// gate, instead of the common stub that would reflect through the gate as if it held a handler.
void xen_df_entry(void);                 // entry.S
static u32 df_tss;

void be_double_fault_task(u32 tss_sel)
{
  static struct trap_info df[2];
  if (df_tss == tss_sel)
    return;
  wprintf("[wedge] IDT entry 8 is a task gate (TSS 0x%x): not entered, a double fault stops the domain\n", tss_sel);
  df_tss = tss_sel;
  df[0] = (struct trap_info){ 8, 0, FLAT_RING1_CS, (u32)xen_df_entry };
  xen_check(HC1(set_trap_table, df), "set_trap_table (double fault)");
}

// Called by xen_df_entry with Xen's bounce frame as its arguments (error code, EIP).
void xen_double_fault(u32 err, u32 eip)
{
  wpanic("double fault at eip 0x%08x (error %x): the guest's IDT entry 8 is a task gate (TSS 0x%x), which the wedge does not switch to",
         eip, err, df_tss);
}

void xen_traps_init(void)
{
  static struct trap_info table[22];
  u32 n = 0;
  for (u32 v = 0; v < 20; v++)
    table[n++] = (struct trap_info){ (u8)v, 4, FLAT_RING1_CS, xen_trap_stub[v] };
  table[n++] = (struct trap_info){ T_SYSCALL, 4 | 3, FLAT_RING1_CS, xen_syscall_stub };
  table[n] = (struct trap_info){ 0, 0, 0, 0 };
  xen_check(HC1(set_trap_table, table), "set_trap_table");
  xen_check(HC4(set_callbacks, FLAT_RING1_CS, (u32)xen_upcall_entry, FLAT_RING1_CS, (u32)xen_failsafe_entry),
            "set_callbacks");
}
