// netperf TCP_STREAM over Linux's own TCP/IP and the ns83820 driver, under the contract of
// guests/kernel/NETPERF.md: connect from 10.0.0.2:32768 to the peer at 10.0.0.1:12866, then send
// BYTES of the data pattern in MESSAGE-sized writes, or read it; close only once both FINs are sent
// and acknowledged; print the detail lines and the result line. Argument
// "send|receive,BYTES,MESSAGE[,check]". As netperf, the buffer is filled with the pattern once,
// before the connection, and each write takes the slice at the stream offset modulo the pattern's
// period (no word is written per send); reads land in the buffer unread, unless "check" asks for
// every received byte to be checked against the pattern at its offset.
// The address comes from the kernel's own `ip=` configuration on the command line. The guest's
// own view of time, CPU and interrupts comes from /proc (CLOCK_MONOTONIC, /proc/stat) and its
// TCP counters from TCP_INFO and /proc/net/netstat; the emulator's cycle counts are the figures
// of record. Exit status: 0 ok, 1 pattern or length error, 2 bad argument, 3 no connection,
// 4 a failed write, read or close.
#include "sys.h"

#define PEER_IP 0x0A000001u    // 10.0.0.1
#define OUR_IP 0x0A000002u     // 10.0.0.2
#define PEER_PORT 12866        // netserver's port
#define OUR_PORT 32768         // the first ephemeral port, bound so every run uses the same one
#define PATTERN_K 0x9E3779B1u
#define MAX_MESSAGE (256 * 1024)
#define PERIOD (256 * 1024)   // the pattern repeats every PERIOD bytes

#define AF_INET 2
#define SOCK_STREAM 1
#define SOL_TCP 6
#define TCP_INFO 11
#define SHUT_WR 1
#define TCP_CLOSE 7
#define TCP_TIME_WAIT 6

struct sockaddr_in { u16 family; u16 port; u32 addr; u8 zero[8]; };

// The leading part of Linux's struct tcp_info (include/uapi/linux/tcp.h) that is read here.
struct tcp_info {
  u8 state, ca_state, retransmits, probes, backoff, options, wscale, flags;
  u32 rto, ato, snd_mss, rcv_mss;
  u32 unacked, sacked, lost, retrans, fackets;
  u32 last_data_sent, last_ack_sent, last_data_recv, last_ack_recv;
  u32 pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd, advmss, reordering;
  u32 rcv_rtt, rcv_space, total_retrans;
  u64 pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
  u32 segs_out, segs_in, notsent_bytes, min_rtt, data_segs_in, data_segs_out;
  u64 delivery_rate, busy_time, rwnd_limited, sndbuf_limited;
  u32 delivered, delivered_ce;
  u64 bytes_sent, bytes_retrans;
  u32 dsack_dups, reord_seen, rcv_ooopack, snd_wnd;
};

// One period of the pattern and one message more, so any message-sized slice from an offset
// below PERIOD is the stream at that offset.
static u8 buf[PERIOD + MAX_MESSAGE] __attribute__((aligned(4)));
static char text[8192];

static u16 be16(u16 v) { return (u16)((v << 8) | (v >> 8)); }

// The stream repeats every 256 KiB (word index k taken mod 2^16), as NETPERF.md and the peer say.
static u32 pattern_word(u32 k) { return (k & 0xffff) * PATTERN_K; }
static u8 pattern_byte(u32 i) { return (u8)(pattern_word(i >> 2) >> (8 * (i & 3))); }

static void fill(u8 *p, u32 off, u32 n)
{
  u32 j = 0;
  for (; j < n && ((off + j) & 3); j++)
    p[j] = pattern_byte(off + j);
  for (u32 k = (off + j) >> 2; j + 4 <= n; j += 4, k++)
    *(u32 *)(p + j) = pattern_word(k);
  for (; j < n; j++)
    p[j] = pattern_byte(off + j);
}

static int check(const u8 *p, u32 off, u32 n)
{
  u32 j = 0;
  for (; j < n && ((off + j) & 3); j++)
    if (p[j] != pattern_byte(off + j))
      return (int)j;
  for (u32 k = (off + j) >> 2; j + 4 <= n; j += 4, k++)
    if (*(const u32 *)(p + j) != pattern_word(k))
      break;
  for (; j < n; j++)
    if (p[j] != pattern_byte(off + j))
      return (int)j;
  return -1;
}

// ---- /proc readers: each returns 0 when the file or the field is missing ----------------------
static int proc_ready;

static u32 read_file(const char *path)
{
  if (!proc_ready)
    return 0;
  long fd = sys2(SYS_open, path, O_RDONLY);
  if (fd < 0)
    return 0;
  u32 n = 0;
  for (;;) {
    long r = sys3(SYS_read, fd, text + n, sizeof text - 1 - n);
    if (r <= 0)
      break;
    n += (u32)r;
  }
  sys1(SYS_close, fd);
  text[n] = 0;
  return n;
}

static const char *skip_word(const char *p)
{
  while (*p == ' ')
    p++;
  while (*p && *p != ' ' && *p != '\n')
    p++;
  return p;
}

static u64 next_number(const char **p)
{
  while (**p == ' ')
    (*p)++;
  s64 v = parse_u(*p, p);
  return v < 0 ? 0 : (u64)v;
}

static const char *find_line(const char *prefix)
{
  const char *p = text;
  while (*p) {
    if (sprefix(p, prefix))
      return p;
    while (*p && *p != '\n')
      p++;
    if (*p)
      p++;
  }
  return 0;
}

// A "Section: name name ...\nSection: value value ..." table (/proc/net/netstat, /proc/net/snmp).
static u64 table_value(const char *path, const char *section, const char *key)
{
  if (!read_file(path))
    return 0;
  const char *names = find_line(section);
  if (!names)
    return 0;
  const char *values = names;
  while (*values && *values != '\n')
    values++;
  if (*values)
    values++;
  if (!sprefix(values, section))
    return 0;
  const char *n = names + slen(section), *v = values + slen(section);
  size_t klen = slen(key);
  while (*n && *n != '\n') {
    while (*n == ' ')
      n++;
    u64 val = next_number(&v);
    if (sprefix(n, key) && (n[klen] == ' ' || n[klen] == '\n' || n[klen] == 0))
      return val;
    n = skip_word(n);
  }
  return 0;
}

struct sample { u64 ns, ticks, idle, irqs, rx_frames, tx_frames, rx_dropped; };

static void sample(struct sample *s)
{
  s->ns = now_ns();
  s->ticks = s->idle = s->irqs = s->rx_frames = s->tx_frames = s->rx_dropped = 0;
  if (read_file("/proc/stat")) {
    const char *p = find_line("cpu ");
    if (p) {
      p += 4;
      for (int i = 0; i < 8; i++) {
        u64 v = next_number(&p);
        s->ticks += v;
        if (i == 3 || i == 4) // idle and iowait
          s->idle += v;
      }
    }
    p = find_line("intr ");
    if (p) {
      p += 5;
      s->irqs = next_number(&p);
    }
  }
  if (read_file("/proc/net/dev")) {
    const char *p = find_line("  eth0:");
    if (!p)
      p = find_line(" eth0:");
    if (p) {
      while (*p != ':')
        p++;
      p++;
      u64 f[16];
      for (int i = 0; i < 16; i++)
        f[i] = next_number(&p);
      s->rx_frames = f[1];
      s->rx_dropped = f[3];
      s->tx_frames = f[9];
    }
  }
}

static int get_info(long fd, struct tcp_info *ti)
{
  u32 len = sizeof *ti;
  u8 *z = (u8 *)ti;
  for (u32 i = 0; i < sizeof *ti; i++)
    z[i] = 0;
  return (int)sys5(SYS_getsockopt, fd, SOL_TCP, TCP_INFO, ti, &len);
}

int netperf(const char *arg)
{
  int sending;
  if (sprefix(arg, "send,")) {
    sending = 1;
    arg += 5;
  } else if (sprefix(arg, "receive,")) {
    sending = 0;
    arg += 8;
  } else {
    sending = -1;
  }
  const char *p = arg;
  s64 total = sending < 0 ? -1 : parse_u(p, &p);
  s64 message = total > 0 && *p == ',' ? parse_u(p + 1, &p) : -1;
  int checking = 0;
  if (message > 0 && sprefix(p, ",check") && p[6] == 0) {
    checking = 1;
    p += 6;
  }
  if (total <= 0 || total > 0xffffffffLL || message <= 0 || message > MAX_MESSAGE || *p) {
    put("netperf: bad argument '");
    put(arg);
    put("': send|receive,BYTES,MESSAGE[,check] with BYTES > 0, 0 < MESSAGE <= 262144\n");
    return 2;
  }
  if (sending)
    fill(buf, 0, sizeof buf);
  const char *dir = sending ? "send" : "receive";
  sys2(SYS_mkdir, "/proc", 0555);
  proc_ready = sys5(SYS_mount, "proc", "/proc", "proc", 0, 0) == 0;

  long fd = sys3(SYS_socket, AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in us = { AF_INET, be16(OUR_PORT), __builtin_bswap32(OUR_IP), { 0 } };
  struct sockaddr_in peer = { AF_INET, be16(PEER_PORT), __builtin_bswap32(PEER_IP), { 0 } };
  if (fd < 0 || sys3(SYS_bind, fd, &us, sizeof us) < 0 || sys3(SYS_connect, fd, &peer, sizeof peer) < 0) {
    put("netperf: ");
    put(dir);
    put(": cannot connect to 10.0.0.1:12866\n");
    return 3;
  }
  struct sample s0, s1;
  sample(&s0);

  u32 done = 0;
  int status = 0, bad = -1;
  if (sending) {
    while (done < (u32)total) {
      u32 m = (u32)total - done < (u32)message ? (u32)total - done : (u32)message;
      const u8 *slice = buf + done % PERIOD;
      u32 off = 0;
      while (off < m) {
        long w = sys3(SYS_write, fd, slice + off, m - off);
        if (w <= 0)
          break;
        off += (u32)w;
      }
      done += off;
      if (off != m) {
        status = 4;
        break;
      }
    }
  } else {
    for (;;) {
      long r = sys3(SYS_read, fd, buf, message);
      if (r < 0)
        status = 4;
      if (r <= 0)
        break;
      int at = checking && bad < 0 ? check(buf, done, (u32)r) : -1;
      if (at >= 0)
        bad = (int)(done + (u32)at);
      done += (u32)r;
    }
    if (!status && (bad >= 0 || done != (u32)total))
      status = 1;
  }
  // Close as NETPERF.md asks: our FIN, then the peer's FIN (end of stream), then wait until the
  // socket has left FIN_WAIT/CLOSING/LAST_ACK (both FINs acknowledged), at most 10 s.
  struct tcp_info ti;
  if (sys2(SYS_shutdown, fd, SHUT_WR) < 0 && !status)
    status = 4;
  for (;;) {
    long r = sys3(SYS_read, fd, buf, MAX_MESSAGE);
    if (r <= 0)
      break;
  }
  u64 closing = now_ns();
  for (;;) {
    get_info(fd, &ti);
    if (ti.state == TCP_CLOSE || ti.state == TCP_TIME_WAIT)
      break;
    if (now_ns() - closing > 10000000000ULL) {
      if (!status)
        status = 4;
      break;
    }
    sleep_ms(10);
  }
  sample(&s1);
  get_info(fd, &ti);
  sys1(SYS_close, fd);

  u64 timeouts = table_value("/proc/net/netstat", "TcpExt:", "TCPTimeouts");
  u64 fast = table_value("/proc/net/netstat", "TcpExt:", "TCPFastRetrans");
  u64 dt = s1.ticks - s0.ticks, idle = s1.idle - s0.idle;
  u64 ms = (s1.ns - s0.ns) / 1000000;
  u64 rate = ms ? (((u64)done * 100 * 1000) >> 10) / ms >> 10 : 0; // MiB/s x 100
  u64 cpu = dt ? (dt - idle) * 10000 / dt : 0;                      // percent x 100
  u64 irqs = s1.irqs - s0.irqs;
  u64 irq_per_mib = done ? (irqs << 20) / done : 0;

  put("netperf-tcp: segs_out=");
  putu(ti.segs_out);
  put(" segs_in=");
  putu(ti.segs_in);
  put(" data_segs_out=");
  putu(ti.data_segs_out);
  put(" data_segs_in=");
  putu(ti.data_segs_in);
  put(" out_of_order_in=");
  putu(ti.rcv_ooopack);
  put(" cwnd=");
  putu(ti.snd_cwnd);
  put(" ssthresh=");
  putu(ti.snd_ssthresh);
  put(" srtt_us=");
  putu(ti.rtt);
  put(" wscale=");
  putu(ti.wscale & 15);
  put("/");
  putu(ti.wscale >> 4);
  put(" peer_mss=");
  putu(ti.snd_mss);
  put("\n");
  put("netperf-nic: rx_frames=");
  putu(s1.rx_frames - s0.rx_frames);
  put(" tx_frames=");
  putu(s1.tx_frames - s0.tx_frames);
  put(" rx_dropped=");
  putu(s1.rx_dropped - s0.rx_dropped);
  put("\n");
  const char *outcome = status == 0 ? "ok" : bad >= 0 ? "bad-pattern" : "failed";
  put("netperf: ");
  put(dir);
  put(" bytes=");
  putu(done);
  put(" ");
  put(outcome);
  put(" retrans=");
  putu(ti.total_retrans);
  put(" retransmits=");
  putu(ti.total_retrans);
  put(" timeouts=");
  putu(timeouts);
  put(" fast_retrans=");
  putu(fast);
  put(" message=");
  putu((u64)message);
  put(" expected=");
  putu((u64)total);
  put(" bad_offset=");
  puti(bad);
  put(" status=");
  puti(status);
  put(" time_ms=");
  putu(ms);
  put(" mib_s=");
  putcent(rate);
  put(" cpu=");
  putcent(cpu);
  put(" irqs=");
  putu(irqs);
  put(" irqs_per_mib=");
  putu(irq_per_mib);
  put("\n");
  return status;
}
