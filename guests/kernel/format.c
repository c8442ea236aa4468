// The one formatter of the guest: kprintf/panic in the kernel and printf in user programs.
#include "format.h"

struct buf { char *p; u32 len, cap; };

static void put(struct buf *b, char c)
{
  if (b->len < b->cap)
    b->p[b->len++] = c;
}

static void put_num(struct buf *b, u32 v, u32 base, int width, char pad, int neg)
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

u32 vformat(char *out, u32 cap, const char *fmt, va_list ap)
{
  struct buf b = { out, 0, cap };
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      put(&b, *fmt);
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
      put_num(&b, v < 0 ? -(u32)v : (u32)v, 10, width, pad, v < 0);
      break;
    }
    case 'u': put_num(&b, va_arg(ap, u32), 10, width, pad, 0); break;
    case 'x': put_num(&b, va_arg(ap, u32), 16, width, pad, 0); break;
    case 'p': put(&b, '0'); put(&b, 'x'); put_num(&b, va_arg(ap, u32), 16, 8, '0', 0); break;
    case 'c': put(&b, (char)va_arg(ap, int)); break;
    case 's': {
      const char *s = va_arg(ap, const char *);
      for (s = s ? s : "(null)"; *s; s++)
        put(&b, *s);
      break;
    }
    case '%': put(&b, '%'); break;
    case 0: return b.len;
    default: put(&b, '%'); put(&b, *fmt); break;
    }
  }
  return b.len;
}
