// Interrupts on Xen: the PIC and PIT are Xen's, so the kernel's pic.c and pit.c drivers talk to
// the shared stand-in (arch/pv/picpit.c); what it means on Xen is here. PIT channel 0's period
// drives a one-shot timer re-armed on each VIRQ_TIMER (the kernel's IRQ 0); unmasking an IRQ
// line at the PIC binds it to an event channel (the timer VIRQ for IRQ 0, a physical IRQ
// otherwise) or, for a bound physical IRQ, ends it with PHYSDEVOP_eoi. The upcall turns
// pending ports into IRQ numbers and feeds the kernel's trap() exactly as the native
// interrupt stubs do.
#include "../../arch.h"
#include "../../defs.h"
#include "../pv/pv.h"
#include "xen.h"

#define NPORTS 64

#define EVTCHNOP_bind_virq 1
#define EVTCHNOP_bind_pirq 2
#define PHYSDEVOP_eoi 12

static u64 deadline_ns;
static u8 port_irq[NPORTS];       // IRQ + 1 of each bound port, 0 = unbound
static u32 irq_bound;             // IRQ lines with a port
static volatile u32 irq_pending;  // events taken while their line was masked

void trap(struct trapframe *tf);

static u64 now_ns(void)
{
  u32 lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  u32 mul = *(volatile u32 *)(SHARED_VA + 32 + 24);
  return (u64)hi * mul + (((u64)lo * mul) >> 32);
}

static void arm_timer(void)
{
  u64 now = now_ns();
  deadline_ns += pv_pit_period_ns;
  if (deadline_ns <= now)
    deadline_ns = now + pv_pit_period_ns;
  hypercall(HC_set_timer_op, (u32)deadline_ns, (u32)(deadline_ns >> 32), 0, 0);
}

static void bind(int irq)
{
  u32 arg[3] = { irq == 0 ? 0 : (u32)irq, 0, 0 };
  long rc = hypercall(HC_event_channel_op, irq == 0 ? EVTCHNOP_bind_virq : EVTCHNOP_bind_pirq,
                      (u32)arg, 0, 0);
  if (rc < 0 || arg[2] >= NPORTS)
    xen_crash("bind irq", rc);
  port_irq[arg[2]] = irq + 1;
  irq_bound |= 1u << irq;
  if (irq == 0) {
    deadline_ns = now_ns();
    arm_timer();
  }
}

void pv_pic_unmasked(u16 unmasked)
{
  if (irq_pending & unmasked)
    VCPU_PENDING = 1;              // the next virtual sti makes Xen run the upcall
  for (int irq = 0; irq < NIRQ; irq++) {
    if (!(unmasked & (1u << irq)) || irq == 2)
      continue;
    if (!(irq_bound & (1u << irq))) {
      if (irq == 0 && !pv_pit_period_ns)
        continue;
      bind(irq);
    } else if (irq != 0) {
      u32 eoi = irq;
      hypercall(HC_physdev_op, PHYSDEVOP_eoi, (u32)&eoi, 0, 0);
    }
  }
}

// Called by the upcall stub with interrupts (events) masked and a trapframe whose trapno is
// not yet set. Each pending port is cleared before its IRQ is handled, as Xen requires.
void xen_upcall(struct trapframe *tf)
{
  volatile u32 *sel = (volatile u32 *)(SHARED_VA + 4);
  volatile u32 *pending = (volatile u32 *)(SHARED_VA + 2048);
  volatile u32 *masked = (volatile u32 *)(SHARED_VA + 2176);
  VCPU_PENDING = 0;
  u32 words = __atomic_exchange_n(sel, 0, __ATOMIC_SEQ_CST);
  for (u32 w = 0; w < NPORTS / 32; w++) {
    if (!(words & (1u << w)))
      continue;
    u32 bits = pending[w] & ~masked[w];
    __atomic_and_fetch(&pending[w], ~bits, __ATOMIC_SEQ_CST);
    for (u32 b = 0; b < 32; b++)
      if ((bits & (1u << b)) && port_irq[w * 32 + b])
        irq_pending |= 1u << (port_irq[w * 32 + b] - 1);
  }
  u32 ready;
  while ((ready = irq_pending & ~pv_pic_mask) != 0) {
    int irq = __builtin_ctz(ready);
    irq_pending &= ~(1u << irq);
    if (irq == 0)
      arm_timer();
    tf->trapno = T_IRQ0 + irq;
    trap(tf);
  }
}
