// Sockets: the system-call face of the stack. A small table of TCP sockets, named by file
// descriptors from FD_SOCK0 on (shared by all processes; the kernel runs one network
// program at a time). Data is copied between the user's buffer and the socket's 256 KiB
// rings as Linux copies it into and out of socket buffers, with interrupts enabled; the
// ring bookkeeping and protocol work happen under irqsave.
#include "../defs.h"
#include "../arch.h"
#include "../proc.h"
#include "../memlayout.h"
#include "net.h"
#include "tcp.h"
#include "socket.h"

#define NSOCK 4
#define LOCAL_PORT 32768          // first ephemeral port (Linux's default range starts here)
#define CLOSE_WAIT_MS 10000       // close() gives up waiting for the peer's FIN after this
#define READ_WAIT_MS 30000        // read() fails when no data came for this long

struct socket {
  int open;
  int pid;                  // owner
  struct tcb tcb;
};

static struct socket socks[NSOCK];
struct tcb *tcp_tcbs[NSOCK + 1];
static int net_up;

void net_init(void)
{
  if (!nic_init()) {
    kprintf("[kernel] net: no DP83820 found\n");
    return;
  }
  for (int i = 0; i < NSOCK; i++)
    tcp_tcbs[i] = &socks[i].tcb;
  net_up = 1;
  kprintf("[kernel] net: ip %u.%u.%u.%u\n", net_ip >> 24, (net_ip >> 16) & 0xFF,
          (net_ip >> 8) & 0xFF, net_ip & 0xFF);
}

// The timer interrupt, interrupts disabled.
void net_tick(void)
{
  if (net_up)
    tcp_tick();
}

// The caller's socket fd; with closed_ok also one it has closed and nobody reused since.
static struct socket *sock_find(int fd, int closed_ok)
{
  int i = fd - FD_SOCK0;
  if (i < 0 || i >= NSOCK || (!socks[i].open && !closed_ok) || socks[i].pid != current->pid)
    return NULL;
  return &socks[i];
}

static struct socket *sock_get(int fd)
{
  return sock_find(fd, 0);
}

int sock_socket(int domain, int type)
{
  if (!net_up || domain != AF_INET || type != SOCK_STREAM)
    return -1;
  u32 flags = arch_irq_save();
  for (int i = 0; i < NSOCK; i++) {
    struct socket *s = &socks[i];
    if (s->open || (s->tcb.state != TCP_CLOSED && s->tcb.state != TCP_TIME_WAIT))
      continue;
    s->tcb.state = TCP_CLOSED;
    s->open = 1;
    s->pid = current->pid;
    arch_irq_restore(flags);
    // The buffers are made once per slot and kept (the mapping window is not reused).
    if (!s->tcb.sbuf)
      s->tcb.sbuf = kvm_alloc(SOCKBUF);
    if (!s->tcb.rbuf)
      s->tcb.rbuf = kvm_alloc(SOCKBUF);
    if (!s->tcb.sbuf || !s->tcb.rbuf) {
      s->open = 0;
      return -1;
    }
    return FD_SOCK0 + i;
  }
  arch_irq_restore(flags);
  return -1;
}

int sock_connect(int fd, u32 ip, u16 port)
{
  struct socket *s = sock_get(fd);
  if (!s || s->tcb.state != TCP_CLOSED)
    return -1;
  if (arp_resolve(ip) < 0)
    return -1;
  struct tcb *tp = &s->tcb;
  u32 flags = arch_irq_save();
  tcp_connect(tp, ip, port, LOCAL_PORT + (fd - FD_SOCK0));
  while (tp->state == TCP_SYN_SENT)
    sched_block(tp);
  int r = tp->state == TCP_ESTABLISHED ? 0 : -1;
  arch_irq_restore(flags);
  return r;
}

static int can_send(struct tcb *tp)
{
  return tp->state == TCP_ESTABLISHED || tp->state == TCP_CLOSE_WAIT;
}

int sock_write(int fd, const u8 *buf, u32 n)
{
  struct socket *s = sock_get(fd);
  if (!s || !uvm_check(current->pgdir, (u32)buf, n, 0))
    return -1;
  struct tcb *tp = &s->tcb;
  u32 done = 0;
  while (done < n) {
    u32 flags = arch_irq_save();
    while (can_send(tp) && tp->sb_len == SOCKBUF)
      sched_block(tp);
    if (!can_send(tp)) {
      arch_irq_restore(flags);
      return done ? (int)done : -1;
    }
    u32 tail = (tp->sb_start + tp->sb_len) % SOCKBUF;
    u32 chunk = SOCKBUF - tp->sb_len;
    if (chunk > SOCKBUF - tail)
      chunk = SOCKBUF - tail;
    if (chunk > n - done)
      chunk = n - done;
    arch_irq_restore(flags);
    // Only we write beyond the buffered bytes, so the copy needs no lock.
    memcpy(tp->sbuf + tail, buf + done, chunk);
    flags = arch_irq_save();
    tp->sb_len += chunk;
    tcp_send_more(tp);
    arch_irq_restore(flags);
    done += chunk;
  }
  return (int)n;
}

int sock_read(int fd, u8 *buf, u32 n)
{
  struct socket *s = sock_get(fd);
  if (!s || !uvm_check(current->pgdir, (u32)buf, n, 1))
    return -1;
  struct tcb *tp = &s->tcb;
  u32 done = 0;
  u32 flags = arch_irq_save();
  u32 until = ticks + ms_to_ticks(READ_WAIT_MS);
  while (!tp->rb_len && !tp->fin_received && !tp->error && tp->state != TCP_CLOSED) {
    if ((int)(ticks - until) >= 0) {
      arch_irq_restore(flags);
      return -1;
    }
    sched_block_until(tp, until);
  }
  while (done < n && tp->rb_len) {
    u32 chunk = tp->rb_len;
    if (chunk > SOCKBUF - tp->rb_start)
      chunk = SOCKBUF - tp->rb_start;
    if (chunk > n - done)
      chunk = n - done;
    u32 at = tp->rb_start;
    arch_irq_restore(flags);
    // Only we consume from the front of the ring, so the copy needs no lock.
    memcpy(buf + done, tp->rbuf + at, chunk);
    flags = arch_irq_save();
    tp->rb_start = (tp->rb_start + chunk) % SOCKBUF;
    tp->rb_len -= chunk;
    tcp_read_done(tp);
    done += chunk;
  }
  int r = done ? (int)done : tp->error ? -1 : 0;
  arch_irq_restore(flags);
  return r;
}

// Send the FIN after the data and wait for the connection to finish closing (both FINs
// acknowledged), at most CLOSE_WAIT_MS. The control block stays to answer a repeated FIN.
int sock_close(int fd)
{
  struct socket *s = sock_get(fd);
  if (!s)
    return -1;
  struct tcb *tp = &s->tcb;
  u32 flags = arch_irq_save();
  tcp_close(tp);
  u32 until = ticks + ms_to_ticks(CLOSE_WAIT_MS);
  while (tp->state != TCP_CLOSED && tp->state != TCP_TIME_WAIT && (int)(ticks - until) < 0)
    sched_block_until(tp, until);
  int r = tp->error || (tp->state != TCP_CLOSED && tp->state != TCP_TIME_WAIT) ? -1 : 0;
  s->open = 0;
  arch_irq_restore(flags);
  return r;
}

// The connection's counters; also after close, so a program can report on a finished
// transfer (our extension: Linux refuses a closed descriptor).
int sock_info(int fd, struct tcp_counters *out)
{
  struct socket *s = sock_find(fd, 1);
  if (!s)
    return -1;
  u32 flags = arch_irq_save();
  tcp_counters(&s->tcb, out);
  arch_irq_restore(flags);
  return 0;
}

// A process exits with sockets open: drop them where they stand (Linux would send RST).
void sock_release_all(int pid)
{
  u32 flags = arch_irq_save();
  for (int i = 0; i < NSOCK; i++)
    if (socks[i].open && socks[i].pid == pid)
      socks[i].open = 0;
  arch_irq_restore(flags);
}
