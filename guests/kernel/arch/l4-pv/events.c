// Interrupts on L4: the PIC and PIT belong to the microkernel, so the kernel's pic.c and pit.c
// drivers talk to the shared stand-in (arch/pv/picpit.c); what it means on L4 is here. PIT
// channel 0's period becomes the interrupt thread's receive timeout (the kernel's IRQ 0).
// Unmasking a device line at the PIC attaches its L4 interrupt thread to ours the first time
// (ThreadControl); after that, an unmask ends the interrupt L4 delivered (the acknowledgement
// the interrupt thread sends, since only the attached handler may send it). Masks and pending
// lines are the kernel's own view.
#include "../../arch.h"
#include "../../defs.h"
#include "l4pv.h"

#define ATTACHABLE ((1u << 3) | (1u << 4) | (1u << 9) | (1u << 10) | (1u << 11))

volatile u32 l4pv_irq_unacked;
volatile u32 l4pv_ack_wanted;
volatile u32 l4pv_timer_period_ns;
static u32 attached;

static void attach(int irq)
{
  l4_word err;
  if (!(ATTACHABLE & (1u << irq)))
    panic("l4-pv: IRQ %d cannot be attached under L4", irq);
  u32 flags = arch_irq_save();
  l4_word ok = l4_thread_control(L4_IRQ_TID(irq), L4_IRQ_TID(irq), l4pv_irq_tid, &err);
  arch_irq_restore(flags);
  if (!ok)
    panic("l4-pv: attaching IRQ %d failed (error %u)", irq, err);
  attached |= 1u << irq;
}

void pv_pic_unmasked(u16 unmasked)
{
  int kick = 0;
  for (int irq = 0; irq < NIRQ; irq++) {
    u32 bit = 1u << irq;
    if (!(unmasked & bit) || irq == 2)
      continue;
    if (irq == 0) {
      if (pv_pit_period_ns && !l4pv_timer_period_ns) {
        l4pv_timer_period_ns = pv_pit_period_ns;
        kick = 1;
      }
    } else if (!(attached & bit)) {
      attach(irq);
    } else if (l4pv_irq_unacked & bit) {
      __atomic_and_fetch(&l4pv_irq_unacked, ~bit, __ATOMIC_SEQ_CST);
      __atomic_or_fetch(&l4pv_ack_wanted, bit, __ATOMIC_SEQ_CST);
      kick = 1;
    }
  }
  if (kick)
    l4pv_kick();
}
