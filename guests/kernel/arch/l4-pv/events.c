// Interrupts on L4: the PIC and PIT belong to the microkernel, so the kernel's pic.c and pit.c
// drivers talk to a stand-in here. PIT channel 0's divisor becomes the period of the
// interrupt thread's receive timeout (the kernel's IRQ 0). Unmasking a device line at the PIC
// attaches its L4 interrupt thread to ours the first time (ThreadControl); after that, an
// unmask ends the interrupt L4 delivered (the acknowledgement the interrupt thread sends, since
// only the attached handler may send it). Masks and pending lines are the kernel's own view.
#include "../../arch.h"
#include "../../defs.h"
#include "l4pv.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define PIT_CH0 0x40
#define PIT_MODE 0x43
#define PIT_HZ 1193182ull
#define ATTACHABLE ((1u << 3) | (1u << 4) | (1u << 9) | (1u << 10) | (1u << 11))

volatile u16 l4pv_pic_mask = 0xFFFF;
volatile u32 l4pv_irq_unacked;
volatile u32 l4pv_ack_wanted;
volatile u32 l4pv_timer_period_ns;
static int icw_left[2];
static u32 pit_divisor, pit_bytes, period_ns;
static u32 attached;

int l4pv_virtual_port(u16 port)
{
  return port == PIC1_CMD || port == PIC1_DATA || port == PIC2_CMD || port == PIC2_DATA ||
         (port >= PIT_CH0 && port <= PIT_MODE);
}

u8 l4pv_virtual_in(u16 port)
{
  if (port == PIC1_DATA)
    return l4pv_pic_mask & 0xFF;
  if (port == PIC2_DATA)
    return l4pv_pic_mask >> 8;
  return 0;
}

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

static void set_mask(u16 mask)
{
  u16 unmasked = l4pv_pic_mask & ~mask;
  int kick = 0;
  l4pv_pic_mask = mask;
  for (int irq = 0; irq < NIRQ; irq++) {
    u32 bit = 1u << irq;
    if (!(unmasked & bit) || irq == 2)
      continue;
    if (irq == 0) {
      if (period_ns && !l4pv_timer_period_ns) {
        l4pv_timer_period_ns = period_ns;
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

void l4pv_virtual_out(u16 port, u8 v)
{
  int pic = port == PIC2_CMD || port == PIC2_DATA;
  if (port == PIC1_CMD || port == PIC2_CMD) {
    if (v & 0x10)
      icw_left[pic] = 3;           // ICW1: ICW2..4 follow on the data port
  } else if (port == PIC1_DATA || port == PIC2_DATA) {
    if (icw_left[pic] > 0)
      icw_left[pic]--;
    else
      set_mask(pic ? (l4pv_pic_mask & 0x00FF) | (v << 8) : (l4pv_pic_mask & 0xFF00) | v);
  } else if (port == PIT_MODE) {
    pit_bytes = 0;
  } else if (port == PIT_CH0) {
    pit_divisor = pit_bytes++ == 0 ? v : pit_divisor | (v << 8);
    if (pit_bytes == 2)
      period_ns = l4pv_div64((pit_divisor ? pit_divisor : 65536) * 1000000000ull, PIT_HZ);
  }
}
