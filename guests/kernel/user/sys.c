// System-call-heavy program: N times getpid + uptime + yield, checking that the pid never
// changes and time never runs backwards; four calls the kernel must refuse (kernel and
// unmapped buffers, an unknown program, a wait without children); then one timed sleep. It
// reports how many system calls it made (the kernel reports its own count at exit: this plus
// the last write and exit). Argument: "N,MS".
#include "ulib.h"

int main(const char *arg)
{
  u32 v[2] = { 200, 20 };
  parse_numbers(arg, v, 2);
  u32 n = v[0], ms = v[1], bad = 0, last = 0;
  int pid = getpid();
  printf("sys: pid %d start n=%u\n", pid, n);
  for (u32 i = 0; i < n; i++) {
    if (getpid() != pid)
      bad++;
    u32 t = uptime();
    if (t < last)
      bad++;
    last = t;
    yield();
  }
  bad += write(1, (const void *)0xC0100000u, 16) != -1;
  bad += write(1, (const void *)0x1000, 16) != -1;
  bad += spawn("no-such-program", "") != -1;
  bad += wait(-1, 0) != -1;
  u32 t0 = uptime();
  sleep(ms);
  u32 t1 = uptime();
  printf("sys: slept %u ms in %u ticks at HZ=%d\n", ms, t1 - t0, hz());
  printf("sys: pid %d calls %u bad %u\n", pid, ulib_calls, bad);
  return bad ? 1 : 0;
}
