// The 8259A master/slave pair (remapped to vectors 0x20-0x2f) and channel 0 of the 8254 PIT.
#include "lib.h"

#define PIC1 0x20
#define PIC2 0xa0
#define PIT_CH0 0x40
#define PIT_CMD 0x43

void pic_init(u8 mask_master, u8 mask_slave) {
  outb(PIC1, 0x11);  // ICW1: edge, cascade, ICW4 follows
  outb(PIC2, 0x11);
  outb(PIC1 + 1, 0x20);  // ICW2: vector base
  outb(PIC2 + 1, 0x28);
  outb(PIC1 + 1, 0x04);  // ICW3: slave on IR2
  outb(PIC2 + 1, 0x02);
  outb(PIC1 + 1, 0x01);  // ICW4: 8086 mode, normal EOI
  outb(PIC2 + 1, 0x01);
  pic_set_mask(mask_master, mask_slave);
}

void pic_set_mask(u8 master, u8 slave) {
  outb(PIC1 + 1, master);
  outb(PIC2 + 1, slave);
}

void pic_eoi(int irq) {
  if (irq >= 8) outb(PIC2, 0x20);
  outb(PIC1, 0x20);
}

u8 pic_read_irr(int slave) {
  u16 port = slave ? PIC2 : PIC1;
  outb(port, 0x0a);
  return inb(port);
}

u8 pic_read_isr(int slave) {
  u16 port = slave ? PIC2 : PIC1;
  outb(port, 0x0b);
  return inb(port);
}

void pit_oneshot(u16 count) {
  outb(PIT_CMD, 0x30);  // channel 0, lobyte/hibyte, mode 0 (interrupt on terminal count)
  outb(PIT_CH0, count & 0xff);
  outb(PIT_CH0, count >> 8);
}

// Firmware leaves channel 0 ticking on host time under QEMU; a tick latched in IRR at the wrong
// moment makes output depend on the host's speed. Mode 1 waits for a gate edge channel 0 never
// gets (its gate is tied high), so OUT holds still until the next count is programmed.
void pit_stop(void) {
  outb(PIT_CMD, 0x32);  // channel 0, lobyte/hibyte, mode 1, no count written
}

void pit_periodic(u16 count) {
  outb(PIT_CMD, 0x34);  // channel 0, lobyte/hibyte, mode 2 (rate generator)
  outb(PIT_CH0, count & 0xff);
  outb(PIT_CH0, count >> 8);
}
