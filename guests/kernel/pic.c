// The two cascaded 8259A interrupt controllers, remapped to vectors 32..47. Like Linux's
// i8259 driver, an interrupt is masked and acknowledged (specific EOI) before its handler
// runs and unmasked after, each step under irqsave: three port writes per interrupt.
#include "defs.h"
#include "arch.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xA0
#define PIC2_DATA 0xA1
#define ICW1_INIT 0x11         // edge triggered, cascade, ICW4 follows
#define ICW4_8086 0x01
#define OCW2_SEOI 0x60         // specific end of interrupt, | irq number
#define IRQ_CASCADE 2

static u16 cached_mask = 0xFFFF;   // bit set = masked (Linux: cached_irq_mask)

static void write_mask(int irq)
{
  if (irq < 8)
    arch_outb(PIC1_DATA, cached_mask & 0xFF);
  else
    arch_outb(PIC2_DATA, cached_mask >> 8);
}

void pic_init(void)
{
  u32 flags = arch_irq_save();
  arch_outb(PIC1_DATA, 0xFF);
  arch_outb(PIC2_DATA, 0xFF);
  arch_outb(PIC1_CMD, ICW1_INIT);
  arch_outb(PIC1_DATA, 32);              // vector base
  arch_outb(PIC1_DATA, 1 << IRQ_CASCADE); // slave on IRQ 2
  arch_outb(PIC1_DATA, ICW4_8086);
  arch_outb(PIC2_CMD, ICW1_INIT);
  arch_outb(PIC2_DATA, 40);
  arch_outb(PIC2_DATA, IRQ_CASCADE);     // slave identity
  arch_outb(PIC2_DATA, ICW4_8086);
  cached_mask = 0xFFFF & ~(1 << IRQ_CASCADE);
  write_mask(0);
  write_mask(8);
  arch_irq_restore(flags);
}

void pic_mask_and_ack(int irq)
{
  u32 flags = arch_irq_save();
  cached_mask |= 1 << irq;
  write_mask(irq);
  if (irq >= 8) {
    arch_outb(PIC2_CMD, OCW2_SEOI | (irq & 7));
    arch_outb(PIC1_CMD, OCW2_SEOI | IRQ_CASCADE);
  } else {
    arch_outb(PIC1_CMD, OCW2_SEOI | irq);
  }
  arch_irq_restore(flags);
}

void pic_unmask(int irq)
{
  u32 flags = arch_irq_save();
  cached_mask &= ~(1 << irq);
  write_mask(irq);
  arch_irq_restore(flags);
}
