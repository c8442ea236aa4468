// The first process of the default workload: start two CPU-bound programs and the
// system-call-heavy one, wait for all three and exit 0 if every one succeeded.
// Argument: "ROUNDS,SYSCALLS,SLEEP_MS".
#include "ulib.h"

static int start(const char *name, const char *arg)
{
  int pid = spawn(name, arg);
  printf("init: spawned %s '%s' pid %d\n", name, arg, pid);
  return pid;
}

// Decimal digits of v at p, then a separator; returns the position after it.
static char *put_u32(char *p, u32 v, char sep)
{
  char tmp[10];
  int n = 0;
  do
    tmp[n++] = '0' + v % 10;
  while (v /= 10);
  while (n)
    *p++ = tmp[--n];
  *p++ = sep;
  return p;
}

int main(const char *arg)
{
  u32 v[3] = { 30, 200, 20 };
  char a1[32], a2[32], a3[32];
  parse_numbers(arg, v, 3);
  printf("init: pid %d rounds=%u syscalls=%u sleep=%u\n", getpid(), v[0], v[1], v[2]);
  *put_u32(put_u32(put_u32(a1, 1, ','), v[0], ','), 5, 0) = 0;
  *put_u32(put_u32(put_u32(a2, 2, ','), v[0], ','), 5, 0) = 0;
  *put_u32(put_u32(a3, v[1], ','), v[2], 0) = 0;
  int failed = 0;
  failed += start("cpu", a1) < 0;
  failed += start("cpu", a2) < 0;
  failed += start("sys", a3) < 0;
  int pid, status;
  while ((pid = wait(-1, &status)) > 0) {
    printf("init: pid %d exited status %d\n", pid, status);
    failed += status != 0;
  }
  printf("init: done, %d failed\n", failed);
  return failed ? 1 : 0;
}
