// The console: kprintf and panic on top of the UART. Each message is formatted first and
// written inside one irqsave section, so lines from interrupt context and from processes
// never interleave mid-line.
#include <stdarg.h>
#include "defs.h"
#include "arch.h"
#include "format.h"

void console_init(void)
{
  uart_init();
}

void console_write(const char *s, u32 n)
{
  u32 flags = arch_irq_save();
  for (u32 i = 0; i < n; i++)
    uart_putc(s[i]);
  arch_irq_restore(flags);
}

void kprintf(const char *fmt, ...)
{
  char text[256];
  va_list ap;
  va_start(ap, fmt);
  u32 n = vformat(text, sizeof text, fmt, ap);
  va_end(ap);
  console_write(text, n);
}

void panic(const char *fmt, ...)
{
  char text[256];
  va_list ap;
  arch_irq_disable();
  va_start(ap, fmt);
  u32 n = vformat(text, sizeof text, fmt, ap);
  va_end(ap);
  console_write("[kernel] panic: ", 16);
  console_write(text, n);
  console_write("\n", 1);
  shutdown(3);
}
