// The virtual interrupt flag of the kernel's main thread (Linux: local_irq_* under L4Ka::Linux).
// cli and sti become a store to virq_on; interrupts the interrupt thread (irqthread.c) takes
// while it is clear stay in irq_pending, and every path that sets it again runs them first, as
// the processor would take a pending interrupt right after sti.
#include "../../arch.h"
#include "../../defs.h"
#include "l4pv.h"

volatile u32 virq_on;
volatile u32 irq_pending;

void trap(struct trapframe *tf);

#define barrier() asm volatile("" : : : "memory")

int l4pv_deliverable(void)
{
  return (irq_pending & ~(u32)pv_pic_mask) != 0;
}

// Run trap() once per pending line the PIC stand-in lets through, with tf as the interrupted
// frame (a user frame on the way back to a process, or a kernel frame). The virtual IF is
// clear throughout, as behind an interrupt gate.
void l4pv_dispatch(struct trapframe *tf)
{
  u32 ready;
  while ((ready = irq_pending & ~(u32)pv_pic_mask) != 0) {
    int irq = __builtin_ctz(ready);
    __atomic_and_fetch(&irq_pending, ~(1u << irq), __ATOMIC_SEQ_CST);
    tf->trapno = T_IRQ0 + irq;
    tf->err = 0;
    trap(tf);
    virq_on = 0;
    barrier();
  }
}

// An interrupt frame for kernel code that was running with the virtual IF set.
static void deliver_in_kernel(void)
{
  struct trapframe tf;
  memset(&tf, 0, sizeof tf);
  tf.cs = KERNEL_CS;
  tf.ds = tf.es = tf.fs = tf.gs = tf.ss = KERNEL_DS;
  tf.eflags = FL_IF | FL_RESERVED;
  l4pv_dispatch(&tf);
}

static void virtual_sti(void)
{
  for (;;) {
    virq_on = 1;
    barrier();
    if (!l4pv_deliverable())
      return;
    virq_on = 0;
    barrier();
    deliver_in_kernel();
  }
}

u32 arch_irq_save(void)
{
  u32 flags = virq_on ? (FL_IF | FL_RESERVED) : FL_RESERVED;
  virq_on = 0;
  barrier();
  return flags;
}

void arch_irq_restore(u32 flags)
{
  if (flags & FL_IF)
    virtual_sti();
  else
    virq_on = 0;
  barrier();
}

void arch_irq_disable(void) { virq_on = 0; barrier(); }
void arch_irq_enable(void) { virtual_sti(); }
int arch_irqs_enabled(void) { return virq_on != 0; }

// arch_trapret with a kernel frame (built by l4pv_irq_entry): restore the interrupted code's
// virtual IF before entry.S restores its registers and flags.
void l4pv_kernel_return(struct trapframe *tf)
{
  if (tf->eflags & FL_IF)
    virtual_sti();
}

// The interrupt thread redirected main to l4pv_irq_entry: handle what is pending.
void l4pv_irq_kernel(struct trapframe *tf)
{
  l4pv_dispatch(tf);
}
