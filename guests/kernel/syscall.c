// System calls: int $0x80 with the number in EAX and arguments in EBX, ECX, EDX; the result
// goes back in EAX (-1 on error). Numbers follow Linux i386 where Linux has the call.
#include "defs.h"
#include "arch.h"
#include "proc.h"
#include "config.h"

#define SYS_exit    1
#define SYS_write   4
#define SYS_wait    7     // wait(pid or -1, int *status) -> pid   (Linux: waitpid)
#define SYS_spawn   11    // spawn(name, arg) -> pid               (Linux: execve's slot)
#define SYS_uptime  13    // uptime() -> timer ticks since boot    (Linux: time)
#define SYS_getpid  20
#define SYS_hz      34    // hz() -> timer ticks per second        (Linux: nice, unused here)
#define SYS_yield   158   // (Linux: sched_yield)
#define SYS_sleep   162   // sleep(ms)                              (Linux: nanosleep)
#define NSYSCALL    163

#define MAXNAME 16
#define MAXARG  128

static int sys_exit(struct trapframe *tf)
{
  proc_exit((int)tf->ebx);
}

static int sys_write(struct trapframe *tf)
{
  u32 fd = tf->ebx, buf = tf->ecx, n = tf->edx;
  if ((fd != 1 && fd != 2) || !uvm_check(current->pgdir, buf, n, 0))
    return -1;
  console_write((const char *)buf, n);
  return (int)n;
}

static int sys_wait(struct trapframe *tf)
{
  int status;
  int pid = proc_wait((int)tf->ebx, &status);
  if (pid > 0 && tf->ecx) {
    if (!uvm_check(current->pgdir, tf->ecx, sizeof status, 1))
      return -1;
    *(int *)tf->ecx = status;
  }
  return pid;
}

static int sys_spawn(struct trapframe *tf)
{
  char name[MAXNAME], arg[MAXARG];
  if (uvm_copyin_str(current->pgdir, tf->ebx, name, sizeof name) < 0)
    return -1;
  if (!tf->ecx)
    arg[0] = 0;
  else if (uvm_copyin_str(current->pgdir, tf->ecx, arg, sizeof arg) < 0)
    return -1;
  return proc_spawn(name, arg, current);
}

static int sys_uptime(struct trapframe *tf) { return (int)ticks; }
static int sys_getpid(struct trapframe *tf) { return current->pid; }
static int sys_hz(struct trapframe *tf) { return HZ; }

static int sys_yield(struct trapframe *tf)
{
  schedule();
  return 0;
}

static int sys_sleep(struct trapframe *tf)
{
  u32 ms = tf->ebx;
  sched_sleep((ms * HZ + 999) / 1000);
  return 0;
}

static int (*const table[NSYSCALL])(struct trapframe *) = {
  [SYS_exit] = sys_exit,     [SYS_write] = sys_write,   [SYS_wait] = sys_wait,
  [SYS_spawn] = sys_spawn,   [SYS_uptime] = sys_uptime, [SYS_getpid] = sys_getpid,
  [SYS_hz] = sys_hz,         [SYS_yield] = sys_yield,   [SYS_sleep] = sys_sleep,
};

void syscall(struct trapframe *tf)
{
  u32 nr = tf->eax;
  current->nsyscalls++;
  tf->eax = nr < NSYSCALL && table[nr] ? (u32)table[nr](tf) : (u32)-1;
}
