// Holes: a sensitive instruction the rewriter left alone (skip-site, or a site it did not
// know) faults with #GP when the guest runs deprivileged. Emulate the simple ones on the
// virtual CPU with trap-and-emulate semantics and step over them; what is left is the guest's
// own fault. The same on every back-end: only which segment loads fault differs (trap.h).
#include "trap.h"
#include "vcpu.h"
#include "decode.h"
#include "stats.h"

static u32 *frame_reg(struct tframe *f, u32 r)
{
  u32 *map[8] = { &f->eax, &f->ecx, &f->edx, &f->ebx, &f->oesp, &f->ebp, &f->esi, &f->edi };
  return map[r & 7];
}

int trap_emulate(struct tframe *f, u32 sregs)
{
  struct insn in;
  if (decode((const u8 *)f->eip, 16, &in) < 0)
    return 0;
  switch (in.op) {
  case OP_CLI: f->eflags &= ~FL_IF; break;
  case OP_STI: f->eflags |= FL_IF; break;
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
  case OP_MOV_TO_SREG:
    if (in.mem || !(sregs & (1u << in.sreg)))
      return 0;
    vcpu_write_sreg(in.sreg, *frame_reg(f, in.reg));
    break;
  case OP_LTR: vcpu_ltr(*frame_reg(f, in.reg)); break;
  default:
    return 0;
  }
  STAT(TRAPPED);
  f->eip += in.len;
  return 1;
}
