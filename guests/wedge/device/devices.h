// The devices the wedge emulates because the hypervisor keeps the real ones: the 8259A pair
// and the 8254 timer. Port accesses reach them through dev_port_in/out; the back-end feeds
// them (pit_timer_event when its timer fires, pic_raise for a physical interrupt) and takes
// interrupts from them (pic_pending, pic_ack).
#ifndef WEDGE_DEVICES_H
#define WEDGE_DEVICES_H

#include "types.h"

// Port dispatch: 1 if the port belongs to an emulated device (value in *v for reads).
int dev_port_in(u32 port, u32 size, u32 *v);
int dev_port_out(u32 port, u32 size, u32 v);

// 8259A pair (master 0x20/0x21, slave 0xA0/0xA1, slave on IRQ 2).
void pic_raise(u32 irq);          // an edge on the line
int pic_pending(void);            // 1 if an unmasked request outranks everything in service
int pic_ack(void);                // the CPU's INTA: highest request -> in service; its vector or -1
u8 pic_read(u32 port);
void pic_write(u32 port, u8 v);

// 8254 channel 0 (IRQ 0); channels 1-2 accept programming and count but raise nothing.
u8 pit_read(u32 port);
void pit_write(u32 port, u8 v);
u8 pit_read_port61(void);          // port 0x61: channel 2's gate and output
void pit_write_port61(u8 v);
void pit_timer_event(void);       // the back-end's timer fired: raise the ticks that are due

#endif
