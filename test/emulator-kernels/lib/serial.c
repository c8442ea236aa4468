// Output on the 16550 UART at 0x3f8 (polled, no interrupts) and exit through the debug-exit port.
#include "lib.h"

#define COM1 0x3f8
#define UART_LSR 5
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define EXIT_PORT 0xf4

void serial_init(void) {
  outb(COM1 + 1, 0x00);  // IER: no interrupts
  outb(COM1 + 3, 0x80);  // LCR: DLAB
  outb(COM1 + 0, 0x01);  // divisor 1: 115200 baud
  outb(COM1 + 1, 0x00);
  outb(COM1 + 3, 0x03);  // 8N1
}

void putc(char c) {
  while ((inb(COM1 + UART_LSR) & LSR_THRE) == 0)
    ;
  outb(COM1, (u8)c);
}

void puts(const char *s) {
  while (*s) putc(*s++);
}

static void puthexn(u32 v, int digits) {
  for (int i = digits - 1; i >= 0; i--) putc("0123456789abcdef"[(v >> (i * 4)) & 0xf]);
}

void puthex(u32 v) { puthexn(v, 8); }
void puthex2(u32 v) { puthexn(v, 2); }
void puthex4(u32 v) { puthexn(v, 4); }

void putdec(u32 v) {
  char buf[12];
  int n = 0;
  do { buf[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) putc(buf[--n]);
}

void put_kv(const char *key, u32 v) {
  puts(key);
  putc('=');
  puthex(v);
  putc(' ');
}

void nl(void) { putc('\n'); }

// Waits for the transmitter to drain first: QEMU keeps TEMT clear while its character device
// has not taken the last byte (a busy reader of its stdout), and exiting then would lose it.
void exit(u32 code) {
  while ((inb(COM1 + UART_LSR) & LSR_TEMT) == 0)
    ;
  outb(EXIT_PORT, (u8)code);
  for (;;) asm volatile("cli; hlt");
}

void *memset(void *d, int c, u32 n) {
  u8 *p = d;
  while (n--) *p++ = (u8)c;
  return d;
}

void *memcpy(void *d, const void *s, u32 n) {
  u8 *p = d;
  const u8 *q = s;
  while (n--) *p++ = *q++;
  return d;
}
