// The console: kprintf and panic on top of the UART. Each message is formatted first and
// written inside one irqsave section, so lines from interrupt context and from processes
// never interleave mid-line.
#include <stdarg.h>
#include "defs.h"
#include "arch.h"

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

struct buf { char *p; u32 len, cap; };

static void put(struct buf *b, char c)
{
  if (b->len < b->cap)
    b->p[b->len++] = c;
}

static void put_num(struct buf *b, u32 v, int base, int width, char pad, int neg)
{
  char tmp[12];
  int n = 0;
  do {
    tmp[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  if (neg)
    tmp[n++] = '-';
  for (int i = n; i < width; i++)
    put(b, pad);
  while (n)
    put(b, tmp[--n]);
}

// %d %u %x %s %c %p %%, with an optional zero flag and width (e.g. %08x).
static void format(struct buf *b, const char *fmt, va_list ap)
{
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      put(b, *fmt);
      continue;
    }
    char pad = ' ';
    int width = 0;
    if (*++fmt == '0')
      pad = '0', fmt++;
    while (*fmt >= '0' && *fmt <= '9')
      width = width * 10 + (*fmt++ - '0');
    switch (*fmt) {
    case 'd': {
      int v = va_arg(ap, int);
      put_num(b, v < 0 ? -(u32)v : (u32)v, 10, width, pad, v < 0);
      break;
    }
    case 'u': put_num(b, va_arg(ap, u32), 10, width, pad, 0); break;
    case 'x': put_num(b, va_arg(ap, u32), 16, width, pad, 0); break;
    case 'p': put(b, '0'); put(b, 'x'); put_num(b, va_arg(ap, u32), 16, 8, '0', 0); break;
    case 'c': put(b, (char)va_arg(ap, int)); break;
    case 's': {
      const char *s = va_arg(ap, const char *);
      for (s = s ? s : "(null)"; *s; s++)
        put(b, *s);
      break;
    }
    case '%': put(b, '%'); break;
    default: put(b, '%'); put(b, *fmt); break;
    case 0: return;
    }
  }
}

void kprintf(const char *fmt, ...)
{
  char text[256];
  struct buf b = { text, 0, sizeof text };
  va_list ap;
  va_start(ap, fmt);
  format(&b, fmt, ap);
  va_end(ap);
  console_write(text, b.len);
}

void panic(const char *fmt, ...)
{
  char text[256];
  struct buf b = { text, 0, sizeof text };
  va_list ap;
  arch_irq_disable();
  va_start(ap, fmt);
  format(&b, fmt, ap);
  va_end(ap);
  console_write("[kernel] panic: ", 16);
  console_write(text, b.len);
  console_write("\n", 1);
  shutdown(3);
}
