// /init for the Linux guest: process 1 of an initramfs. The kernel passes the command line's
// unknown `key=value` words as the environment; `run=` picks the mode:
//   run=netperf arg=<send|receive>,<bytes>,<message bytes>[,check]   netperf TCP_STREAM (guests/kernel/NETPERF.md)
//   run=selftest                                             the integer self-test (selftest.c)
// Either way the run ends through the debug-exit port with the mode's status.
#include "sys.h"

static const char *env(char **envp, const char *key)
{
  size_t n = slen(key);
  for (; *envp; envp++)
    if (sprefix(*envp, key) && (*envp)[n] == '=')
      return *envp + n + 1;
  return 0;
}

int main(int argc, char **argv, char **envp)
{
  (void)argc;
  (void)argv;
  // When process 1 started, on the kernel's monotonic clock: boot-to-/init time on any machine.
  put("init: started at ");
  putu(now_ns() / 1000000);
  put(" ms\n");
  const char *run = env(envp, "run");
  if (!run) {
    put("init: no run= on the kernel command line (run=netperf arg=... or run=selftest)\n");
    return 2;
  }
  if (sprefix(run, "selftest") && run[8] == 0)
    return selftest();
  if (sprefix(run, "netperf") && run[7] == 0) {
    const char *arg = env(envp, "arg");
    if (!arg) {
      put("netperf: missing arg=<send|receive>,<bytes>,<message bytes>\n");
      return 2;
    }
    return netperf(arg);
  }
  put("init: unknown run=");
  put(run);
  put("\n");
  return 2;
}
