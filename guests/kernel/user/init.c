// The first process of the default workload: start two CPU-bound programs and the
// system-call-heavy one, wait for all three and exit 0 if every one succeeded. Then, if asked,
// run the CPU-bound program AGAIN more times one after another: each exits before the next
// starts, so the next reuses the frames (page directory included) the last one freed, which is
// what a hypervisor's stale translation of a dead address space would show.
// Argument: "ROUNDS,SYSCALLS,SLEEP_MS[,AGAIN]".
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
  u32 v[4] = { 30, 200, 20, 0 };
  char a1[32], a2[32], a3[32];
  parse_numbers(arg, v, 4);
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
  for (u32 i = 0; i < v[3]; i++) {
    char a[32];
    *put_u32(put_u32(put_u32(a, 3 + i, ','), v[0], ','), 5, 0) = 0;
    if (start("cpu", a) < 0 || wait(-1, &status) < 0 || status != 0)
      failed++;
  }
  printf("init: done, %d failed\n", failed);
  return failed ? 1 : 0;
}
