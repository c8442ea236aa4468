// The 8254 programmable interval timer, channel 0 in rate-generator mode at HZ interrupts
// per second (HZ is fixed at build time, default 1000). Each tick drives the scheduler.
#include "config.h"
#include "defs.h"
#include "arch.h"

#define PIT_CH0  0x40
#define PIT_MODE 0x43
#define PIT_HZ   1193182u
#define MODE_CH0_LOHI_RATE 0x34   // channel 0, lobyte/hibyte, mode 2, binary

_Static_assert(HZ >= 19 && HZ <= 10000, "HZ must give a 16-bit PIT divisor and sane tick rate");

#define DIVISOR ((PIT_HZ + HZ / 2) / HZ)

void pit_init(void)
{
  u32 flags = arch_irq_save();
  arch_outb(PIT_MODE, MODE_CH0_LOHI_RATE);
  arch_outb(PIT_CH0, DIVISOR & 0xFF);
  arch_outb(PIT_CH0, DIVISOR >> 8);
  arch_irq_restore(flags);
  irq_register(0, timer_tick, 1);
  kprintf("[kernel] pit: HZ=%d divisor=%u\n", HZ, DIVISOR);
}
