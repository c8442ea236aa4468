// System calls: int $0x80 with the number in EAX and arguments in EBX, ECX, EDX; the result
// goes back in EAX (-1 on error). Numbers follow Linux i386 where Linux has the call.
#include "defs.h"
#include "arch.h"
#include "proc.h"
#include "config.h"
#include "net/abi.h"
#include "net/net.h"
#include "net/socket.h"

#define SYS_exit    1
#define SYS_read    3
#define SYS_write   4
#define SYS_close   6
#define SYS_wait    7     // wait(pid or -1, int *status) -> pid   (Linux: waitpid)
#define SYS_spawn   11    // spawn(name, arg) -> pid               (Linux: execve's slot)
#define SYS_uptime  13    // uptime() -> timer ticks since boot    (Linux: time)
#define SYS_getpid  20
#define SYS_hz      34    // hz() -> timer ticks per second        (Linux: nice, unused here)
#define SYS_socketcall 102 // socketcall(call, u32 *args)          (Linux's multiplexer)
#define SYS_netinfo 116   // netinfo(struct netinfo *)              (Linux: sysinfo's slot)
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
  if (fd >= FD_SOCK0)
    return sock_write((int)fd, (const u8 *)buf, n);
  if ((fd != 1 && fd != 2) || !uvm_check(current->pgdir, buf, n, 0))
    return -1;
  console_write((const char *)buf, n);
  return (int)n;
}

static int sys_read(struct trapframe *tf)
{
  return sock_read((int)tf->ebx, (u8 *)tf->ecx, tf->edx);
}

static int sys_close(struct trapframe *tf)
{
  return sock_close((int)tf->ebx);
}

// Copy n bytes to user memory at va, checked.
static int put_user(u32 va, const void *src, u32 n)
{
  if (!uvm_check(current->pgdir, va, n, 1))
    return -1;
  memcpy((void *)va, src, n);
  return 0;
}

static int sys_socketcall(struct trapframe *tf)
{
  u32 call = tf->ebx, a[5];
  if (!uvm_check(current->pgdir, tf->ecx, sizeof a, 0))
    return -1;
  memcpy(a, (const void *)tf->ecx, sizeof a);
  if (call == SOCKCALL_SOCKET)
    return sock_socket((int)a[0], (int)a[1]);
  if (call == SOCKCALL_CONNECT) {
    struct sockaddr_in sin;
    if (a[2] < sizeof sin || !uvm_check(current->pgdir, a[1], sizeof sin, 0))
      return -1;
    memcpy(&sin, (const void *)a[1], sizeof sin);
    if (sin.family != AF_INET)
      return -1;
    return sock_connect((int)a[0], ntohl(sin.addr), ntohs(sin.port));
  }
  if (call == SOCKCALL_GETSOCKOPT && a[1] == SOL_TCP && a[2] == TCP_INFO) {
    struct tcp_counters c;
    u32 len;
    if (!uvm_check(current->pgdir, a[4], 4, 1))
      return -1;
    len = *(u32 *)a[4];
    if (len > sizeof c)
      len = sizeof c;
    if (sock_info((int)a[0], &c) < 0 || put_user(a[3], &c, len) < 0)
      return -1;
    *(u32 *)a[4] = len;
    return 0;
  }
  return -1;
}

static int sys_netinfo(struct trapframe *tf)
{
  struct netinfo ni;
  u32 flags = arch_irq_save();
  ni.ticks = ticks;
  ni.idle_ticks = idle_ticks;
  ni.hz = HZ;
  ni.irqs = netstats.irqs;
  ni.rx_frames = netstats.rx_frames;
  ni.tx_frames = netstats.tx_frames;
  ni.rx_dropped = netstats.rx_dropped;
  ni.rx_bad_csum = netstats.rx_bad_csum;
  ni.tx_ring_full = netstats.tx_ring_full;
  ni.rx_idle = netstats.rx_idle;
  arch_irq_restore(flags);
  return put_user(tf->ebx, &ni, sizeof ni);
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
  [SYS_read] = sys_read,     [SYS_close] = sys_close,   [SYS_socketcall] = sys_socketcall,
  [SYS_netinfo] = sys_netinfo,
  [SYS_spawn] = sys_spawn,   [SYS_uptime] = sys_uptime, [SYS_getpid] = sys_getpid,
  [SYS_hz] = sys_hz,         [SYS_yield] = sys_yield,   [SYS_sleep] = sys_sleep,
};

void syscall(struct trapframe *tf)
{
  u32 nr = tf->eax;
  current->nsyscalls++;
  tf->eax = nr < NSYSCALL && table[nr] ? (u32)table[nr](tf) : (u32)-1;
}
