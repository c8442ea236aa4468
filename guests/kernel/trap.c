// Traps: trap() is called by the arch entry stub for every exception, hardware interrupt and
// system call, with the saved state in a trapframe. Interrupts are masked and acknowledged at
// the PIC, then handled with interrupts off (fast handlers) or on; on the way back to user
// mode a pending reschedule runs first (Linux: work_resched on the return path).
#include "defs.h"
#include "arch.h"
#include "proc.h"

#define T_PGFLT   14
#define T_IRQ0    32
#define T_SYSCALL 128
#define NIRQ      16
#define KILLED_STATUS 64   // exit status of a process killed by trap n: 64 + n (fits QEMU's exit code)

struct irq_action {
  void (*handler)(void);
  int fast;          // run with interrupts disabled (Linux: SA_INTERRUPT)
};

static struct irq_action irqs[NIRQ];
int irq_depth;           // interrupt handlers running (nested when a slow one is interrupted)

void irq_register(int irq, void (*handler)(void), int fast)
{
  u32 flags = arch_irq_save();
  irqs[irq].handler = handler;
  irqs[irq].fast = fast;
  arch_irq_restore(flags);
  pic_unmask(irq);
}

static void irq_dispatch(int irq)
{
  struct irq_action *a = &irqs[irq];
  pic_mask_and_ack(irq);
  if (!a->handler)
    return;                  // spurious or unclaimed: leave it masked
  irq_depth++;
  if (!a->fast)
    arch_irq_enable();
  a->handler();
  if (!a->fast)
    arch_irq_disable();
  irq_depth--;
  pic_unmask(irq);
}

static const char *trap_name(u32 n)
{
  static const char *names[] = {
    "divide error", "debug", "nmi", "breakpoint", "overflow", "bound", "invalid opcode",
    "no coprocessor", "double fault", "coprocessor overrun", "bad tss", "segment not present",
    "stack fault", "general protection", "page fault", "reserved", "fpu error", "alignment check",
    "machine check", "simd error",
  };
  return n < sizeof names / sizeof names[0] ? names[n] : "unknown trap";
}

static void fault(struct trapframe *tf)
{
  u32 cr2 = tf->trapno == T_PGFLT ? arch_read_fault_addr() : 0;
  if ((tf->cs & 3) == 3) {
    kprintf("[kernel] pid %d (%s): %s at eip 0x%08x err %x addr 0x%08x, killed\n",
            current->pid, current->name, trap_name(tf->trapno), tf->eip, tf->err, cr2);
    arch_irq_enable();
    proc_exit(KILLED_STATUS + tf->trapno);
  }
  panic("%s in kernel at eip 0x%08x err %x addr 0x%08x", trap_name(tf->trapno), tf->eip, tf->err, cr2);
}

void trap(struct trapframe *tf)
{
  if (tf->trapno == T_SYSCALL)
    syscall(tf);
  else if (tf->trapno >= T_IRQ0 && tf->trapno < T_IRQ0 + NIRQ)
    irq_dispatch(tf->trapno - T_IRQ0);
  else
    fault(tf);

  if ((tf->cs & 3) != 3)
    return;
  // Returning to user mode: give up the CPU if the timer or a wakeup asked for it.
  while (need_resched) {
    if (schedule() && tf->trapno == T_IRQ0)
      current->npreempt++;
    arch_irq_disable();
  }
}
