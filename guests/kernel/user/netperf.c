// netperf TCP_STREAM, the guest's side: connect to the peer (10.0.0.1, port 12866) and either
// send BYTES of the data pattern in MESSAGE-sized writes or read it, then close and print one
// result line. Argument: "send|receive,BYTES,MESSAGE[,check]". As netperf, the data buffer is
// filled once before the connection and sends take slices of it, and receives land in it
// unread; with "check" every received byte is checked against the pattern as well.
//
// The pattern: byte i of the stream is byte i % 4 of the little-endian 32-bit word
// ((i / 4) mod 65536) * 0x9E3779B1 mod 2^32, so it repeats every PERIOD bytes. Exit status:
// 0 ok, 1 pattern or length error, 2 bad argument, 3 no connection, 4 a failed write, read or close.
#include "ulib.h"

#define PEER_IP   0x0A000001u    // 10.0.0.1
#define PEER_PORT 12866        // netserver's port: the peer listens there
#define PATTERN_K 0x9E3779B1u
#define MAX_MESSAGE (256 * 1024)   // netperf -m up to the socket buffer size
#define PERIOD (256 * 1024)        // the pattern repeats every PERIOD bytes

// The pattern for stream bytes [0, PERIOD + MAX_MESSAGE): a message at any stream offset is the
// slice starting at that offset modulo PERIOD.
static u8 buf[PERIOD + MAX_MESSAGE] __attribute__((aligned(4)));

static u32 bswap32(u32 v) { return __builtin_bswap32(v); }
static u16 bswap16(u16 v) { return (u16)((v << 8) | (v >> 8)); }

static u8 pattern_byte(u32 i)
{
  return (u8)((((i >> 2) & 0xffff) * PATTERN_K) >> (8 * (i & 3)));
}

// The pattern for stream bytes [off, off + n) into p.
static void fill(u8 *p, u32 off, u32 n)
{
  u32 j = 0;
  for (; j < n && ((off + j) & 3); j++)
    p[j] = pattern_byte(off + j);
  u32 k = ((off + j) >> 2) & 0xffff, w = k * PATTERN_K;
  for (; j + 4 <= n; j += 4) {
    *(u32 *)(p + j) = w;
    w += PATTERN_K;
    if (++k == 0x10000)
      k = w = 0;
  }
  for (; j < n; j++)
    p[j] = pattern_byte(off + j);
}

// Index of the first byte of p (stream bytes [off, off + n)) that is not the pattern, or -1.
static int check(const u8 *p, u32 off, u32 n)
{
  u32 j = 0;
  for (; j < n && ((off + j) & 3); j++)
    if (p[j] != pattern_byte(off + j))
      return (int)j;
  u32 k = ((off + j) >> 2) & 0xffff, w = k * PATTERN_K;
  for (; j + 4 <= n; j += 4) {
    if (*(const u32 *)(p + j) != w)
      break;
    w += PATTERN_K;
    if (++k == 0x10000)
      k = w = 0;
  }
  for (; j < n; j++)
    if (p[j] != pattern_byte(off + j))
      return (int)j;
  return -1;
}

// n / d for a 64-bit n (no libgcc here), by shift and subtract.
static u32 div64(u64 n, u32 d)
{
  u64 q = 0, r = 0;
  for (int i = 63; i >= 0; i--) {
    r = (r << 1) | ((n >> i) & 1);
    if (r >= d) {
      r -= d;
      q |= 1ull << i;
    }
  }
  return (u32)q;
}

// "a.bc" from a value in hundredths.
static void hundredths(char *out, u32 v)
{
  u32 i = 0, whole = v / 100, frac = v % 100;
  char tmp[12];
  int n = 0;
  do { tmp[n++] = '0' + whole % 10; whole /= 10; } while (whole);
  while (n) out[i++] = tmp[--n];
  out[i++] = '.';
  out[i++] = '0' + frac / 10;
  out[i++] = '0' + frac % 10;
  out[i] = 0;
}

int main(const char *arg)
{
  int sending;
  if (arg[0] == 's' && arg[1] == 'e' && arg[2] == 'n' && arg[3] == 'd' && arg[4] == ',')
    sending = 1;
  else if (arg[0] == 'r' && arg[1] == 'e' && arg[2] == 'c' && arg[7] == ',')
    sending = 0;
  else {
    printf("netperf: bad argument '%s': want send|receive,BYTES,MESSAGE\n", arg);
    return 2;
  }
  u32 v[2] = { 0, 32768 };
  if (parse_numbers(arg, v, 2) < 1 || v[0] == 0 || v[1] == 0 || v[1] > MAX_MESSAGE) {
    printf("netperf: bad argument '%s': BYTES > 0, 0 < MESSAGE <= %u\n", arg, MAX_MESSAGE);
    return 2;
  }
  u32 total = v[0], message = v[1];
  const char *dir = sending ? "send" : "receive";
  int checking = 0;
  for (const char *s = arg; *s; s++)
    if (s[0] == ',' && s[1] == 'c' && s[2] == 'h' && s[3] == 'e' && s[4] == 'c' && s[5] == 'k' && !s[6])
      checking = 1;
  if (sending)
    fill(buf, 0, sizeof buf);

  int fd = socket(2, 1, 0);
  struct sockaddr_in peer = { 2, bswap16(PEER_PORT), bswap32(PEER_IP), { 0 } };
  if (fd < 0 || connect(fd, &peer, sizeof peer) < 0) {
    printf("netperf: %s: cannot connect to 10.0.0.1:%u\n", dir, PEER_PORT);
    return 3;
  }
  struct netinfo n0, n1;
  netinfo(&n0);

  u32 done = 0;
  int status = 0, bad = -1;
  if (sending) {
    while (done < total) {
      u32 m = total - done < message ? total - done : message;
      if (write(fd, buf + done % PERIOD, m) != (int)m) {
        status = 4;
        break;
      }
      done += m;
    }
  } else {
    for (;;) {
      int r = read(fd, buf, message);
      if (r < 0)
        status = 4;
      if (r <= 0)
        break;
      int at = checking && bad < 0 ? check(buf, done, (u32)r) : -1;
      if (at >= 0)
        bad = (int)(done + (u32)at);
      done += (u32)r;
    }
    if (!status && (bad >= 0 || done != total))
      status = 1;
  }
  if (close(fd) < 0 && !status)
    status = 4;
  netinfo(&n1);
  // The counters of the connection just closed (the descriptor still names it until reused).
  struct tcp_counters tc;
  u32 len = sizeof tc;
  memset(&tc, 0, sizeof tc);
  getsockopt(fd, SOL_TCP, TCP_INFO, &tc, &len);

  u32 dt = n1.ticks - n0.ticks, idle = n1.idle_ticks - n0.idle_ticks;
  u32 ms = div64((u64)dt * 1000, n1.hz);
  u32 rate = ms ? div64(((u64)done * 100 * 1000) >> 10, ms) >> 10 : 0;   // MiB/s x 100
  u32 cpu = dt ? div64((u64)(dt - idle) * 10000, dt) : 0;                // percent x 100
  u32 irqs = n1.irqs - n0.irqs;
  u32 irq_per_mib = done ? div64((u64)irqs << 20, done) : 0;
  char rate_s[16], cpu_s[16];
  hundredths(rate_s, rate);
  hundredths(cpu_s, cpu);
  // Details first; the result line is the last line starting with "netperf:".
  printf("netperf-tcp: segs_out=%u segs_in=%u data_segs_out=%u data_segs_in=%u dupacks_in=%u "
         "out_of_order_in=%u cwnd=%u ssthresh=%u srtt_ticks=%u wscale=%u/%u peer_mss=%u\n",
         tc.segs_out, tc.segs_in, tc.data_segs_out, tc.data_segs_in, tc.dupacks_in,
         tc.out_of_order_in, tc.cwnd, tc.ssthresh, tc.srtt_ticks, tc.snd_wscale, tc.rcv_wscale,
         tc.peer_mss);
  printf("netperf-nic: rx_frames=%u tx_frames=%u rx_dropped=%u bad_csum=%u tx_ring_full=%u "
         "rx_idle=%u\n", n1.rx_frames - n0.rx_frames, n1.tx_frames - n0.tx_frames,
         n1.rx_dropped - n0.rx_dropped, n1.rx_bad_csum - n0.rx_bad_csum,
         n1.tx_ring_full - n0.tx_ring_full, n1.rx_idle - n0.rx_idle);
  const char *outcome = status == 0 ? "ok" : bad >= 0 ? "bad-pattern" : "failed";
  printf("netperf: %s bytes=%u %s retrans=%u retransmits=%u timeouts=%u fast_retrans=%u "
         "message=%u expected=%u bad_offset=%d status=%d time_ms=%u mib_s=%s cpu=%s irqs=%u "
         "irqs_per_mib=%u\n", dir, done, outcome, tc.retrans, tc.retrans, tc.timeouts,
         tc.fast_retrans, message, total, bad, status, ms, rate_s, cpu_s, irqs, irq_per_mib);
  return status;
}
