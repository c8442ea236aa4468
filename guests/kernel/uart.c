// The 16550 UART at COM1 (0x3f8), polled, 115200 8N1: the kernel's only output device.
#include "defs.h"
#include "arch.h"

#define COM1 0x3f8
#define RBR 0   // receive buffer / transmit holding (DLAB=0)
#define IER 1   // interrupt enable (DLAB=0), divisor high (DLAB=1)
#define FCR 2   // FIFO control
#define LCR 3   // line control
#define MCR 4   // modem control
#define LSR 5   // line status
#define LSR_THRE 0x20
#define LSR_TEMT 0x40   // transmitter empty: the last byte has left
#define LCR_DLAB 0x80

void uart_init(void)
{
  arch_outb(COM1 + IER, 0x00);      // no UART interrupts: the console polls
  arch_outb(COM1 + LCR, LCR_DLAB);
  arch_outb(COM1 + RBR, 1);         // divisor 1: 115200 baud
  arch_outb(COM1 + IER, 0);
  arch_outb(COM1 + LCR, 0x03);      // 8 bits, no parity, one stop bit
  arch_outb(COM1 + FCR, 0xC7);      // FIFOs on and cleared
  arch_outb(COM1 + MCR, 0x03);      // DTR, RTS
}

// Wait (boundedly, so a missing UART cannot hang the kernel) for room, then send.
void uart_putc(char c)
{
  for (int i = 0; i < 100000 && !(arch_inb(COM1 + LSR) & LSR_THRE); i++)
    ;
  arch_outb(COM1 + RBR, (u8)c);
}

// Wait (boundedly) until the last byte has left the transmitter: an emulator may hold it while
// its own output is busy and would lose it if the machine powered off first.
void uart_drain(void)
{
  for (int i = 0; i < 100000 && !(arch_inb(COM1 + LSR) & LSR_TEMT); i++)
    ;
}
