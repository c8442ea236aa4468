// The wedge's libc subset. wprintf formats into a line buffer and hands whole lines to the
// back-end's console (one hypercall per line, not per character); wpanic prints and stops
// the domain through the back-end.
#include <stdarg.h>
#include "lib.h"
#include "backend.h"

void *memset(void *d, int c, u32 n)
{
  u8 *p = d;
  while (n--)
    *p++ = (u8)c;
  return d;
}

void *memcpy(void *d, const void *s, u32 n)
{
  u8 *p = d;
  const u8 *q = s;
  while (n--)
    *p++ = *q++;
  return d;
}

int memcmp(const void *a, const void *b, u32 n)
{
  const u8 *p = a, *q = b;
  for (; n; n--, p++, q++)
    if (*p != *q)
      return *p - *q;
  return 0;
}

u32 strlen(const char *s)
{
  u32 n = 0;
  while (s[n])
    n++;
  return n;
}

int strncmp(const char *a, const char *b, u32 n)
{
  for (; n; n--, a++, b++) {
    if (*a != *b)
      return (u8)*a - (u8)*b;
    if (!*a)
      return 0;
  }
  return 0;
}

int strcmp(const char *a, const char *b) { return strncmp(a, b, 0xFFFFFFFFu); }

u32 parse_uint(const char *s, const char **end)
{
  u32 v = 0;
  while (*s >= '0' && *s <= '9')
    v = v * 10 + (u32)(*s++ - '0');
  if (end)
    *end = s;
  return v;
}

// Long division of a 64-bit value by a 32-bit one with two divl (no __udivdi3).
u64 udiv64_32(u64 n, u32 d)
{
  u32 hi = (u32)(n >> 32), lo = (u32)n, qhi = hi / d, r = hi % d, qlo;
  asm("divl %3" : "=a"(qlo), "=d"(r) : "a"(lo), "rm"(d), "d"(r));
  return ((u64)qhi << 32) | qlo;
}

static char line[160];
static u32 nline;

static void flush_line(void)
{
  if (nline)
    be_console_write(line, nline);
  nline = 0;
}

static void putc_buf(char c)
{
  line[nline++] = c;
  if (c == '\n' || nline == sizeof line)
    flush_line();
}

static void put_num(u32 v, u32 base, int width, char pad)
{
  char buf[12];
  int n = 0;
  do {
    buf[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  while (n < width--)
    putc_buf(pad);
  while (n)
    putc_buf(buf[--n]);
}

static void vformat(const char *fmt, va_list ap)
{
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      putc_buf(*fmt);
      continue;
    }
    char pad = ' ';
    int width = 0;
    fmt++;
    if (*fmt == '0')
      pad = '0', fmt++;
    while (*fmt >= '0' && *fmt <= '9')
      width = width * 10 + (*fmt++ - '0');
    switch (*fmt) {
    case 's': {
      const char *s = va_arg(ap, const char *);
      while (*s)
        putc_buf(*s++);
      break;
    }
    case 'd': {
      int v = va_arg(ap, int);
      if (v < 0)
        putc_buf('-'), v = -v;
      put_num((u32)v, 10, width, pad);
      break;
    }
    case 'u': put_num(va_arg(ap, u32), 10, width, pad); break;
    case 'x': put_num(va_arg(ap, u32), 16, width, pad); break;
    case 'c': putc_buf((char)va_arg(ap, int)); break;
    default: putc_buf(*fmt); break;
    }
  }
}

void wprintf(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vformat(fmt, ap);
  va_end(ap);
}

void wpanic(const char *fmt, ...)
{
  va_list ap;
  wprintf("[wedge] panic: ");
  va_start(ap, fmt);
  vformat(fmt, ap);
  va_end(ap);
  putc_buf('\n');
  flush_line();
  be_crash();
}
