// Traps of main, the thread that runs the guest kernel: entry.S builds a same-privilege frame
// (struct tframe, ia32/trap.h) for an interrupt the wedge delivers, an exception the monitor
// turned back into a jump (a guest #PF the guest's tables raise, a fault in guest code, or a
// sensitive instruction the rewriter left alone, which traps as #GP in ring 3). The wedge
// emulates the last kind (ia32/hole.c) and reflects the rest into the guest's IDT
// (ia32/reflect.c). The frame's IF is the guest's virtual one (the real IF is always 1 in an
// L4 thread).
#include "l4wedge.h"
#include "vcpu.h"
#include "trap.h"
#include "backend.h"
#include "stats.h"
#include "lib.h"
#ifdef WEDGE_DEVVIRT
#include "dp83820.h"
#endif

static u32 deliver_irq(struct tframe *f)
{
  l4_take_events();
  if (vcpu_irq_mask)
    return 0;
  return trap_deliver_irq(f);
}

// Called by entry.S. Returns 0 to resume at the frame's EIP, 1 to enter the guest handler.
// An L4 thread has no segment the guest's selectors name: every load of one faults.
u32 l4_ktrap(struct tframe *f)
{
  if (f->vector == V_IRQ)
    return deliver_irq(f);
  int masked = vcpu_irq_mask;
  f->eflags = masked ? f->eflags & ~FL_IF : f->eflags | FL_IF;
  if (f->eip >= l4_wedge_lo)
    wpanic("trap %u in the wedge at eip 0x%08x, error %x", f->vector, f->eip, f->err);
#ifdef WEDGE_DEVVIRT
  if (f->vector == V_DEV) {              // the monitor found an access to the emulated NIC's page
    nic_mmio_access(f, f->err & 0xFFF);
    if (!vcpu_irq_mask && vcpu_irq_pending)
      return deliver_irq(f);
    return 0;
  }
#endif
  if (f->vector == T_GP && trap_emulate(f, 0x3F)) {
    vcpu_irq_mask = !(f->eflags & FL_IF);  // an emulated cli/sti: the frame's IF is the guest's
    if (!vcpu_irq_mask && vcpu_irq_pending)
      return deliver_irq(f);             // the emulated sti (or port write) made one deliverable
    return 0;
  }
  STAT(TRAPS);
  return trap_reflect(f, f->vector, trap_has_error_code(f->vector));
}

// Segment registers are virtual: an L4 thread has only the flat user segments, which serve
// every guest selector alike.
// The stubs read and write vcpu_sregs themselves (ia32/stubs.S, WEDGE_FLAT_SREGS).
u32 vcpu_sregs[6] = { GUEST_KDS, GUEST_KCS, GUEST_KDS, GUEST_KDS, GUEST_KDS, GUEST_KDS };
void be_write_sreg(u32 s, u32 sel) { if (s < 6) vcpu_sregs[s] = sel; }
u32 be_read_sreg(u32 s) { return s < 6 ? vcpu_sregs[s] : 0; }

// lss: the selector is stored like any other; the thread keeps its flat SS (base 0; the stub
// only moves ESP), so a stack segment with a base (Linux's espfix) is not modelled here.
u32 be_lss(u32 sel, u32 *base)
{
  vcpu_sregs[2] = sel & 0xFFFF;
  *base = 0;
  return 0;
}

// Nothing to install: the guest's GDT is read where it lies (ltr), its TS bit is virtual (the
// wedge and the guest use no FPU state an L4 thread would have to switch).
void be_load_gdt(void) {}
void be_fpu_ts(int set) { (void)set; }

int be_guest_readable(u32 va)
{
  u32 pa, rights;
  return l4_walk(va, 0, 0, &pa, &rights) == 1 && pa < l4_guest_end;
}

// The guest's double-fault gate is a task gate: nothing to do. Main's exceptions arrive as the
// kernel's exception IPC, which the L4 kernel sends in place of delivering through any IDT, so
// no second fault while delivering one can arise in main or a guest process, and L4 never sends
// a double fault (its own) to a task (README.md, "Double fault").
void be_double_fault_task(u32 tss_sel)
{
  static u32 told = ~0u;
  if (tss_sel != told)
    wprintf("[wedge] IDT entry 8 is a task gate (TSS 0x%x): not entered, L4 delivers no double fault to a task\n", tss_sel);
  told = tss_sel;
}
