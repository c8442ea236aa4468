// Console output, string helpers, time and the end of the run, on raw system calls.
#include "sys.h"

static char line[512];
static size_t used;

void flush(void)
{
  size_t off = 0;
  while (off < used) {
    long n = sys3(SYS_write, 1, line + off, used - off);
    if (n <= 0)
      break;
    off += (size_t)n;
  }
  used = 0;
}

static void putc(char c)
{
  if (used == sizeof line)
    flush();
  line[used++] = c;
  if (c == '\n')
    flush();
}

void put(const char *s)
{
  while (*s)
    putc(*s++);
}

void putu(u64 v)
{
  char b[21];
  int i = 20;
  b[i] = 0;
  do {
    b[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  put(b + i);
}

void puti(s64 v)
{
  if (v < 0) {
    putc('-');
    putu((u64)-v);
  } else {
    putu((u64)v);
  }
}

void puthex(u32 v)
{
  static const char digits[] = "0123456789abcdef";
  char b[9];
  for (int i = 7; i >= 0; i--, v >>= 4)
    b[i] = digits[v & 15];
  b[8] = 0;
  put(b);
}

void putcent(u64 v)
{
  putu(v / 100);
  putc('.');
  putc((char)('0' + (v / 10) % 10));
  putc((char)('0' + v % 10));
}

size_t slen(const char *s)
{
  size_t n = 0;
  while (s[n])
    n++;
  return n;
}

int sprefix(const char *s, const char *prefix)
{
  while (*prefix)
    if (*s++ != *prefix++)
      return 0;
  return 1;
}

s64 parse_u(const char *s, const char **end)
{
  s64 v = 0;
  const char *p = s;
  while (*p >= '0' && *p <= '9' && v < (1LL << 40))
    v = v * 10 + (*p++ - '0');
  if (end)
    *end = p;
  return p == s ? -1 : v;
}

u64 now_ns(void)
{
  struct timespec64 ts = { 0, 0, 0 };
  sys2(SYS_clock_gettime64, CLOCK_MONOTONIC, &ts);
  return (u64)ts.tv_sec * 1000000000u + (u32)ts.tv_nsec;
}

void sleep_ms(u32 ms)
{
  struct timespec64 ts = { ms / 1000, (s32)((ms % 1000) * 1000000), 0 };
  sys4(SYS_clock_nanosleep_time64, CLOCK_MONOTONIC, 0, &ts, 0);
}

#define DEBUG_EXIT_PORT 0xf4

void finish(int status)
{
  flush();
  // ioperm needs CAP_SYS_RAWIO, which process 1 has; then one byte to the port ends the machine.
  if (sys3(SYS_ioperm, DEBUG_EXIT_PORT, 4, 1) == 0)
    __asm__ volatile("outb %b0, %w1" : : "a"(status), "Nd"(DEBUG_EXIT_PORT));
  put("init: could not write the debug-exit port; idling\n");
  // Process 1 must not exit (the kernel would panic): idle instead.
  for (;;)
    sleep_ms(1000000);
}
