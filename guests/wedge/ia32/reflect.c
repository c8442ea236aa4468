// Reflection: a trap or interrupt the guest must handle enters it through its own IDT, read
// where the guest keeps it (vcpu_gate). The wedge turns the frame its entry stub built into
// the frame the guest's handler expects: the guest's own code selector (RPL 0, where a
// back-end runs the guest kernel in ring 1), and the virtual IF off for an interrupt gate.
#include "trap.h"
#include "vcpu.h"
#include "backend.h"
#include "devices.h"
#include "stats.h"
#include "lib.h"

int trap_has_error_code(u32 v) { return v == 8 || (v >= 10 && v <= 14) || v == 17; }

u32 trap_reflect(struct tframe *f, u32 vector, int keep_err)
{
  u32 handler;
  int intgate;
  int g = vcpu_gate(vector, &handler, &intgate);
  // Linux's double-fault gate is a task gate to a TSS of its own: a task switch the hypervisor
  // does not offer, and a double fault means the guest kernel is dying (Linux's handler only
  // prints and panics). The wedge stops, naming it, instead.
  if (g == -2)
    wpanic("trap %u at eip 0x%08x: the guest's gate is a task gate; the wedge does not switch tasks", vector, f->eip);
  if (g < 0)
    wpanic("trap %u at eip 0x%08x: the guest has no gate for it", vector, f->eip);
  f->cs = sel_to_virtual(f->cs);
  vcpu_irq_mask = intgate ? 1 : !(f->eflags & FL_IF);
  if (keep_err) {
    f->vector = handler;
  } else {
    f->err = handler;
    f->vector = ~0u;
  }
  return 1;
}

u32 trap_deliver_irq(struct tframe *f)
{
  if (!(f->eflags & FL_IF))
    return 0;
  int v = pic_ack();
  if (v < 0)
    return 0;
  STAT(IRQS);
  vcpu_delivered++;
  if (pic_pending())
    vcpu_irq_pending = 1;
  return trap_reflect(f, (u32)v, 0);
}
