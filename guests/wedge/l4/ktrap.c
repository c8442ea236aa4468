// Traps of main, the thread that runs the guest kernel: entry.S builds a same-privilege frame
// (struct kframe) for an interrupt the wedge delivers, an exception the monitor turned back
// into a jump (a guest #PF the guest's tables raise, a fault in guest code, or a sensitive
// instruction the rewriter left alone, which traps as #GP in ring 3). The wedge emulates the
// last kind as xen/traps.c does and reflects the rest into the guest's IDT. The frame's IF is
// the guest's virtual one (the real IF is always 1 in an L4 thread).
#include "l4wedge.h"
#include "vcpu.h"
#include "decode.h"
#include "backend.h"
#include "devices.h"
#include "stats.h"
#include "lib.h"

static int has_error_code(u32 v) { return v == 8 || (v >= 10 && v <= 14) || v == 17; }

// Make the frame the guest handler's: the handler replaces the vector slot (error code kept)
// or the error-code slot (vector slot = -1, entry.S skips it).
static u32 reflect(struct kframe *f, u32 vector, int keep_err)
{
  u32 handler;
  int intgate;
  if (vcpu_gate(vector, &handler, &intgate) < 0)
    wpanic("trap %u at eip 0x%08x: the guest has no gate for it", vector, f->eip);
  f->cs = GUEST_KCS;
  vcpu_irq_mask = intgate ? 1 : !(f->eflags & FL_IF);
  if (keep_err) {
    f->vector = handler;
  } else {
    f->err = handler;
    f->vector = ~0u;
  }
  return 1;
}

static u32 deliver_irq(struct kframe *f)
{
  l4_take_events();
  if (!(f->eflags & FL_IF) || vcpu_irq_mask)
    return 0;
  int v = pic_ack();
  if (v < 0)
    return 0;
  STAT(IRQS);
  vcpu_delivered++;
  if (pic_pending())
    vcpu_irq_pending = 1;
  return reflect(f, (u32)v, 0);
}

static u32 *frame_reg(struct kframe *f, u32 r)
{
  u32 *map[8] = { &f->eax, &f->ecx, &f->edx, &f->ebx, &f->oesp, &f->ebp, &f->esi, &f->edi };
  return map[r & 7];
}

// A sensitive instruction the rewriter left alone (skip-site) faulted: emulate the simple
// ones. cli/sti change the mask, which is the guest's IF.
static int emulate_hole(struct kframe *f)
{
  struct insn in;
  if (decode((const u8 *)f->eip, 16, &in) < 0)
    return 0;
  switch (in.op) {
  case OP_CLI: vcpu_irq_mask = 1; break;
  case OP_STI: vcpu_irq_mask = 0; break;
  case OP_HLT: break;                    // returns at once: the guest's idle loop halts again
  case OP_IN: {
    u32 port = in.port_imm ? in.port : f->edx & 0xFFFF;
    u32 v = vcpu_port_in(port, in.size);
    u32 keep = in.size == 4 ? 0 : in.size == 2 ? 0xFFFF0000u : 0xFFFFFF00u;
    f->eax = (f->eax & keep) | (v & ~keep);
    break;
  }
  case OP_OUT:
    vcpu_port_out(in.port_imm ? in.port : f->edx & 0xFFFF, in.size, f->eax);
    break;
  case OP_MOV_TO_CR: vcpu_write_cr(in.cr, *frame_reg(f, in.reg)); break;
  case OP_MOV_FROM_CR: *frame_reg(f, in.reg) = vcpu_read_cr(in.cr); break;
  case OP_MOV_TO_SREG: vcpu_write_sreg(in.sreg, *frame_reg(f, in.reg)); break;
  case OP_LTR: vcpu_ltr(*frame_reg(f, in.reg)); break;
  default:
    return 0;
  }
  STAT(TRAPPED);
  f->eip += in.len;
  return 1;
}

// Called by entry.S. Returns 0 to resume at the frame's EIP, 1 to enter the guest handler.
u32 l4_ktrap(struct kframe *f)
{
  if (f->vector == V_IRQ)
    return deliver_irq(f);
  int masked = vcpu_irq_mask;
  f->eflags = masked ? f->eflags & ~FL_IF : f->eflags | FL_IF;
  if (f->eip >= l4_wedge_lo)
    wpanic("trap %u in the wedge at eip 0x%08x, error %x", f->vector, f->eip, f->err);
  if (f->vector == T_GP && emulate_hole(f)) {
    if (!vcpu_irq_mask && vcpu_irq_pending)
      return deliver_irq(f);             // the emulated sti (or port write) made one deliverable
    return 0;
  }
  STAT(TRAPS);
  return reflect(f, f->vector, has_error_code(f->vector));
}

// Segment registers are virtual: an L4 thread has only the flat user segments, which serve
// every guest selector alike.
static u32 sregs[6] = { GUEST_KDS, GUEST_KCS, GUEST_KDS, GUEST_KDS, GUEST_KDS, GUEST_KDS };
void be_write_sreg(u32 s, u32 sel) { if (s < 6) sregs[s] = sel; }
u32 be_read_sreg(u32 s) { return s < 6 ? sregs[s] : 0; }

// Nothing to install: the guest's GDT is read where it lies (ltr), its TS bit is virtual (the
// wedge and the guest use no FPU state an L4 thread would have to switch).
void be_load_gdt(void) {}
void be_fpu_ts(int set) { (void)set; }
