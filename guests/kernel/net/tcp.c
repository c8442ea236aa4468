// TCP (RFC 793) for one kind of use: a client that connects, streams data in either
// direction and closes. Active open with MSS 1460 and window scaling, cumulative ACKs with
// a delayed ACK every second segment, a receive window that is the free receive-buffer
// space, slow start and congestion avoidance (RFC 5681), retransmission on timeout with an
// RFC 6298 estimator and backoff, fast retransmit on three duplicate ACKs with NewReno
// recovery, zero-window probing, FIN close. Out-of-order segments are not queued: they are
// dropped and answered with a duplicate ACK, so the sender's fast retransmit repairs the hole.
// No passive open, no SACK, no timestamps.
//
// Everything here runs with interrupts disabled: input from the NIC's interrupt handler, the
// timers from the timer interrupt, the rest from system calls under irqsave.
#include "../defs.h"
#include "../arch.h"
#include "net.h"
#include "tcp.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

#define SEQ_LT(a, b)  ((int)((a) - (b)) < 0)
#define SEQ_LEQ(a, b) ((int)((a) - (b)) <= 0)
#define SEQ_GT(a, b)  ((int)((a) - (b)) > 0)
#define SEQ_GEQ(a, b) ((int)((a) - (b)) >= 0)

#define RCV_WSCALE 3              // 256 KiB >> 3 fits the 16-bit window field
#define TCP_ISS 0x01000000u       // deterministic initial sequence number
#define RTO_INIT_MS 1000          // RFC 6298
#define RTO_MIN_MS  200           // Linux's floor
#define RTO_MAX_MS  60000
#define DELACK_MS   40
#define MAX_RETRIES 12            // Linux: tcp_retries2 (15) would wait far longer
#define SYN_RETRIES 5             // Linux: tcp_syn_retries
#define CWND_MAX    (4u << 20)

extern struct tcb *tcp_tcbs[];     // socket.c: the control blocks in use, NULL-terminated

static u32 min(u32 a, u32 b) { return a < b ? a : b; }
static u32 max(u32 a, u32 b) { return a > b ? a : b; }

// Bytes of receive window we can offer: the free space of the receive buffer.
static u32 rcv_space(struct tcb *tp) { return SOCKBUF - tp->rb_len; }

// The window field of an outgoing segment. The right edge never moves left of what we
// advertised before, even where scaling rounds down.
static u16 window_field(struct tcb *tp, int syn)
{
  u32 space = rcv_space(tp);
  if (syn)
    return (u16)min(space, 65535);
  u32 w = space >> tp->rcv_wscale;
  if (SEQ_LT(tp->rcv_nxt + (w << tp->rcv_wscale), tp->rcv_adv))
    w = (tp->rcv_adv - tp->rcv_nxt + (1u << tp->rcv_wscale) - 1) >> tp->rcv_wscale;
  w = min(w, 65535);
  if (SEQ_GT(tp->rcv_nxt + (w << tp->rcv_wscale), tp->rcv_adv))
    tp->rcv_adv = tp->rcv_nxt + (w << tp->rcv_wscale);
  return (u16)w;
}

// Copy n bytes of the send ring, starting off bytes after its first byte, to dst.
static void sbuf_copy(struct tcb *tp, u8 *dst, u32 off, u32 n)
{
  u32 at = (tp->sb_start + off) % SOCKBUF;
  u32 first = min(n, SOCKBUF - at);
  memcpy(dst, tp->sbuf + at, first);
  if (first < n)
    memcpy(dst + first, tp->sbuf, n - first);
}

// Build and send one segment: seq, flags, and len bytes of data from the send buffer at
// sequence seq. Returns 0 when no transmit buffer or no peer address is available.
static int send_segment(struct tcb *tp, u32 seq, u8 flags, u32 len)
{
  u8 *frame = nic_tx_buffer();
  if (!frame)
    return 0;
  struct tcphdr *th = (struct tcphdr *)(frame + ETH_HLEN + IP_HLEN);
  u32 hlen = TCP_HLEN;
  if (flags & TH_SYN) {
    u8 *opt = (u8 *)(th + 1);
    opt[0] = 2; opt[1] = 4; opt[2] = TCP_MSS >> 8; opt[3] = TCP_MSS & 0xFF;  // MSS
    opt[4] = 1; opt[5] = 3; opt[6] = 3; opt[7] = RCV_WSCALE;                 // NOP, window scale
    hlen += 8;
  }
  th->sport = htons(tp->lport);
  th->dport = htons(tp->rport);
  th->seq = htonl(seq);
  th->ack = htonl((flags & TH_ACK) ? tp->rcv_nxt : 0);
  th->off = (hlen / 4) << 4;
  th->flags = flags;
  th->win = htons(window_field(tp, flags & TH_SYN));
  th->sum = 0;
  th->urp = 0;
  if (len)
    sbuf_copy(tp, (u8 *)th + hlen, seq - tp->sb_seq, len);
  u32 seglen = hlen + len;
  u64 pseudo = (u64)htonl(net_ip) + htonl(tp->remote_ip) + htons(IPPROTO_TCP) + htons(seglen);
  pseudo = (pseudo & 0xFFFFFFFFu) + (pseudo >> 32);
  th->sum = csum_fold(csum_partial(th, seglen, (u32)pseudo));
  if (ip_output(frame, seglen, tp->remote_ip, IPPROTO_TCP) < 0)
    return 0;
  tp->c.segs_out++;
  if (len)
    tp->c.data_segs_out++;
  if (flags & TH_ACK) {
    tp->segs_unacked = 0;
    tp->delack_at = 0;
  }
  return 1;
}

static void send_ack(struct tcb *tp)
{
  send_segment(tp, tp->snd_nxt, TH_ACK, 0);
}

static void arm_rto(struct tcb *tp)
{
  tp->rto_at = ticks + tp->rto;
  if (!tp->rto_at)
    tp->rto_at = 1;
}

static int fin_sent(struct tcb *tp)
{
  return tp->fin_queued && SEQ_GT(tp->snd_nxt, tp->fin_seq);
}

// Send what the windows allow, from snd_nxt on. force sends at least one byte (or the FIN)
// into a closed window: the zero-window probe and the segment a timeout retransmits.
static void output(struct tcb *tp, int force)
{
  if (tp->state != TCP_ESTABLISHED && tp->state != TCP_CLOSE_WAIT &&
      tp->state != TCP_FIN_WAIT_1 && tp->state != TCP_CLOSING && tp->state != TCP_LAST_ACK)
    return;
  for (;;) {
    u32 off = tp->snd_nxt - tp->sb_seq;
    u32 avail = off < tp->sb_len ? tp->sb_len - off : 0;
    u32 flight = tp->snd_nxt - tp->snd_una;
    u32 wnd = min(tp->snd_wnd, tp->cwnd);
    u32 usable = wnd > flight ? wnd - flight : 0;
    if (force && usable == 0)
      usable = 1;
    u32 len = min(min(avail, tp->snd_mss), usable);
    int fin = tp->fin_queued && !fin_sent(tp) && len == avail && (usable > len || force);
    if (len == 0 && !fin) {
      // Data waits for a window that is closed with nothing in flight: probe it later.
      if (avail && flight == 0 && !tp->rto_at)
        arm_rto(tp);
      return;
    }
    // Nagle and sender-side silly-window avoidance: a short segment waits while data is in
    // flight, unless it ends the stream.
    if (len < tp->snd_mss && flight && !force && !(len == avail && tp->fin_queued))
      return;
    u8 flags = TH_ACK | (fin ? TH_FIN : 0) | (len && len == avail ? TH_PSH : 0);
    if (!send_segment(tp, tp->snd_nxt, flags, len))
      return;               // ring full: tcp_tx_ready calls again
    if (tp->snd_nxt != tp->snd_max)
      tp->c.retrans++;
    else if (!tp->rtt_timing && len) {
      tp->rtt_timing = 1;
      tp->rtt_seq = tp->snd_nxt;
      tp->rtt_start = ticks;
    }
    tp->snd_nxt += len + (fin ? 1 : 0);
    if (SEQ_GT(tp->snd_nxt, tp->snd_max))
      tp->snd_max = tp->snd_nxt;
    if (!tp->rto_at)
      arm_rto(tp);
    force = 0;
  }
}

// Retransmit the first unacknowledged segment (fast retransmit, NewReno partial ACK).
static void retransmit_first(struct tcb *tp)
{
  u32 saved = tp->snd_nxt;
  tp->snd_nxt = tp->snd_una;
  u32 cwnd = tp->cwnd;
  tp->cwnd = tp->snd_mss;           // exactly one segment
  output(tp, 1);
  tp->cwnd = cwnd;
  if (SEQ_GT(saved, tp->snd_nxt))
    tp->snd_nxt = saved;
}

static void rtt_sample(struct tcb *tp, u32 rtt)
{
  // Jacobson/Karels in ticks: srtt scaled by 8, rttvar by 4.
  if (!tp->srtt) {
    tp->srtt = rtt << 3;
    tp->rttvar = rtt << 1;
  } else {
    int delta = (int)rtt - (int)(tp->srtt >> 3);
    tp->srtt += delta;
    if (delta < 0)
      delta = -delta;
    tp->rttvar += delta - (int)(tp->rttvar >> 2);
  }
  tp->rto = max((tp->srtt >> 3) + tp->rttvar, ms_to_ticks(RTO_MIN_MS));
  tp->rto = min(tp->rto, ms_to_ticks(RTO_MAX_MS));
}

static void fail(struct tcb *tp, int err)
{
  tp->error = err;
  tp->state = TCP_CLOSED;
  tp->rto_at = tp->delack_at = 0;
  sched_wake(tp);
}

// Parse the options of a SYN-ACK: the peer's MSS and window scale.
static void syn_options(struct tcb *tp, const u8 *opt, u32 n)
{
  int wscale = -1;
  tp->snd_mss = 536;
  while (n > 0) {
    if (opt[0] == 0)
      break;
    if (opt[0] == 1) {
      opt++, n--;
      continue;
    }
    if (n < 2 || opt[1] < 2 || opt[1] > n)
      break;
    if (opt[0] == 2 && opt[1] == 4)
      tp->snd_mss = min(TCP_MSS, (opt[2] << 8) | opt[3]);
    if (opt[0] == 3 && opt[1] == 3)
      wscale = min(opt[2], 14);
    n -= opt[1];
    opt += opt[1];
  }
  if (wscale >= 0) {
    tp->snd_wscale = wscale;
    tp->rcv_wscale = RCV_WSCALE;
  } else {
    tp->snd_wscale = tp->rcv_wscale = 0;
  }
}

static void established(struct tcb *tp, struct tcphdr *th, u32 seq, u32 ack)
{
  u32 hlen = (th->off >> 4) * 4;
  syn_options(tp, (u8 *)(th + 1), hlen - TCP_HLEN);
  tp->irs = seq;
  tp->rcv_nxt = seq + 1;
  tp->rcv_adv = tp->rcv_nxt;
  tp->snd_una = ack;
  tp->snd_wnd = ntohs(th->win);     // a SYN's window is never scaled
  tp->snd_wl1 = seq;
  tp->snd_wl2 = ack;
  tp->cwnd = 2 * tp->snd_mss;
  tp->ssthresh = 0xFFFFFFFFu;
  if (tp->rtt_timing)
    rtt_sample(tp, ticks - tp->rtt_start);
  tp->rtt_timing = 0;
  tp->rto_at = 0;
  tp->retries = 0;
  tp->state = TCP_ESTABLISHED;
  send_ack(tp);
  sched_wake(tp);
}

// The FIN we sent has been acknowledged.
static void fin_acked(struct tcb *tp)
{
  if (tp->state == TCP_FIN_WAIT_1)
    tp->state = TCP_FIN_WAIT_2;
  else if (tp->state == TCP_CLOSING)
    tp->state = TCP_TIME_WAIT;
  else if (tp->state == TCP_LAST_ACK)
    tp->state = TCP_CLOSED;
  sched_wake(tp);
}

// A cumulative ACK for new data: free the buffer, time the round trip, open the windows.
static void new_ack(struct tcb *tp, u32 ack)
{
  u32 acked = ack - tp->snd_una;
  if (tp->rtt_timing && SEQ_GT(ack, tp->rtt_seq)) {
    rtt_sample(tp, ticks - tp->rtt_start);
    tp->rtt_timing = 0;
  }
  if (tp->dupacks >= 3) {
    if (SEQ_LT(ack, tp->recover)) {
      // NewReno partial ACK: the next hole is lost too.
      tp->snd_una = ack;
      retransmit_first(tp);
      tp->cwnd = tp->cwnd > acked ? tp->cwnd - acked + tp->snd_mss : tp->snd_mss;
    } else {
      tp->cwnd = tp->ssthresh;
      tp->dupacks = 0;
    }
  } else {
    tp->dupacks = 0;
    if (tp->cwnd < tp->ssthresh)
      tp->cwnd += min(acked, 2 * tp->snd_mss);     // slow start, RFC 3465 L=2
    else
      tp->cwnd += max(tp->snd_mss * tp->snd_mss / tp->cwnd, 1);
    tp->cwnd = min(tp->cwnd, CWND_MAX);
  }
  tp->snd_una = ack;
  if (SEQ_LT(tp->snd_nxt, ack))
    tp->snd_nxt = ack;
  if (SEQ_GT(ack, tp->sb_seq)) {
    u32 n = min(ack - tp->sb_seq, tp->sb_len);
    tp->sb_start = (tp->sb_start + n) % SOCKBUF;
    tp->sb_len -= n;
    tp->sb_seq += n;
    sched_wake(tp);
  }
  tp->retries = 0;
  if (tp->snd_una == tp->snd_max)
    tp->rto_at = 0;
  else
    arm_rto(tp);
  if (tp->fin_queued && ack == tp->fin_seq + 1)
    fin_acked(tp);
}

static void dup_ack(struct tcb *tp)
{
  tp->c.dupacks_in++;
  if (++tp->dupacks == 3) {
    u32 flight = tp->snd_max - tp->snd_una;
    tp->ssthresh = max(flight / 2, 2 * tp->snd_mss);
    tp->recover = tp->snd_max;
    tp->c.fast_retrans++;
    tp->rtt_timing = 0;
    retransmit_first(tp);
    tp->cwnd = tp->ssthresh + 3 * tp->snd_mss;
  } else if (tp->dupacks > 3) {
    tp->cwnd = min(tp->cwnd + tp->snd_mss, CWND_MAX);
  }
}

// Copy n bytes of segment data to the receive ring, off bytes past the in-order data.
static void rbuf_put(struct tcb *tp, u32 off, const u8 *data, u32 n)
{
  u32 at = (tp->rb_start + tp->rb_len + off) % SOCKBUF;
  u32 first = min(n, SOCKBUF - at);
  memcpy(tp->rbuf + at, data, first);
  if (first < n)
    memcpy(tp->rbuf, data + first, n - first);
}

// In-order data: into the receive buffer as far as it has room.
static int take_data(struct tcb *tp, const u8 *data, u32 len)
{
  u32 n = min(len, rcv_space(tp));
  rbuf_put(tp, 0, data, n);
  tp->rb_len += n;
  tp->rcv_nxt += n;
  tp->c.data_segs_in++;
  if (n)
    sched_wake(tp);
  return n == len;
}

// A segment beyond rcv_nxt: keep what fits in the window and note its range. Returns 0 when
// there was no room (no range slot or outside the window).
static int take_out_of_order(struct tcb *tp, u32 seq, const u8 *data, u32 len)
{
  u32 off = seq - tp->rcv_nxt, space = rcv_space(tp);
  if (off >= space)
    return 0;
  len = min(len, space - off);
  u32 start = seq, end = seq + len;
  int i = 0;
  while (i < tp->nooo && SEQ_LT(tp->ooo[i].end, start))
    i++;
  // Merge with every range it touches, from i on.
  int j = i;
  while (j < tp->nooo && SEQ_LEQ(tp->ooo[j].start, end)) {
    if (SEQ_LT(tp->ooo[j].start, start))
      start = tp->ooo[j].start;
    if (SEQ_GT(tp->ooo[j].end, end))
      end = tp->ooo[j].end;
    j++;
  }
  if (i == j && tp->nooo == TCP_OOO_RANGES)
    return 0;
  rbuf_put(tp, off, data, len);
  int removed = j - i;
  if (removed == 0) {
    for (int k = tp->nooo; k > i; k--)
      tp->ooo[k] = tp->ooo[k - 1];
    tp->nooo++;
  } else {
    for (int k = i + 1; k + removed - 1 < tp->nooo; k++)
      tp->ooo[k] = tp->ooo[k + removed - 1];
    tp->nooo -= removed - 1;
  }
  tp->ooo[i].start = start;
  tp->ooo[i].end = end;
  return 1;
}

// In-order data arrived: ranges kept earlier that now join it become readable too. Returns
// 1 if a hole was filled.
static int join_out_of_order(struct tcb *tp)
{
  int joined = 0;
  while (tp->nooo && SEQ_LEQ(tp->ooo[0].start, tp->rcv_nxt)) {
    if (SEQ_GT(tp->ooo[0].end, tp->rcv_nxt)) {
      u32 n = tp->ooo[0].end - tp->rcv_nxt;
      tp->rb_len += n;
      tp->rcv_nxt += n;
    }
    for (int k = 1; k < tp->nooo; k++)
      tp->ooo[k - 1] = tp->ooo[k];
    tp->nooo--;
    joined = 1;
  }
  return joined;
}

static void peer_fin(struct tcb *tp)
{
  tp->rcv_nxt++;
  tp->fin_received = 1;
  if (tp->state == TCP_ESTABLISHED)
    tp->state = TCP_CLOSE_WAIT;
  else if (tp->state == TCP_FIN_WAIT_1)
    tp->state = TCP_CLOSING;
  else if (tp->state == TCP_FIN_WAIT_2)
    tp->state = TCP_TIME_WAIT;
  sched_wake(tp);
}

static struct tcb *lookup(u32 src, u16 sport, u16 dport)
{
  for (struct tcb **t = tcp_tcbs; *t; t++) {
    struct tcb *tp = *t;
    if (tp->state != TCP_CLOSED && tp->remote_ip == src && tp->rport == sport && tp->lport == dport)
      return tp;
  }
  return NULL;
}

// A segment from the wire; seglen bytes of TCP header and data. Interrupts disabled.
void tcp_input(u8 *frame, struct iphdr *ip, u32 seglen)
{
  struct tcphdr *th = (struct tcphdr *)(ip + 1);
  if (seglen < TCP_HLEN)
    return;
  u64 pseudo = (u64)ip->src + ip->dst + htons(IPPROTO_TCP) + htons(seglen);
  pseudo = (pseudo & 0xFFFFFFFFu) + (pseudo >> 32);
  if (csum_fold(csum_partial(th, seglen, (u32)pseudo)) != 0) {
    netstats.rx_bad_csum++;
    return;
  }
  u32 hlen = (th->off >> 4) * 4;
  if (hlen < TCP_HLEN || hlen > seglen)
    return;
  struct tcb *tp = lookup(ntohl(ip->src), ntohs(th->sport), ntohs(th->dport));
  if (!tp)
    return;
  tp->c.segs_in++;
  u32 seq = ntohl(th->seq), ack = ntohl(th->ack);
  u8 flags = th->flags;
  u8 *data = (u8 *)th + hlen;
  u32 len = seglen - hlen;

  if (tp->state == TCP_SYN_SENT) {
    if ((flags & TH_ACK) && ack != tp->iss + 1)
      return;
    if (flags & TH_RST) {
      if (flags & TH_ACK)
        fail(tp, -1);
      return;
    }
    if ((flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
      established(tp, th, seq, ack);
    return;
  }
  if (flags & TH_RST) {
    if (SEQ_GEQ(seq, tp->rcv_nxt) && SEQ_LT(seq, tp->rcv_nxt + rcv_space(tp) + 1))
      fail(tp, -1);
    return;
  }
  int ack_now = 0;
  if (flags & TH_SYN) {
    send_ack(tp);           // a retransmitted SYN-ACK: our ACK was lost
    return;
  }
  // Trim what we already have; a segment beyond rcv_nxt is out of order and is dropped.
  u32 seg_seq = seq;
  if (SEQ_LT(seq, tp->rcv_nxt)) {
    u32 dup = tp->rcv_nxt - seq;
    if (dup > len || (dup == len && !(flags & TH_FIN))) {
      if (len || (flags & TH_FIN))
        ack_now = 1;        // a retransmission of what we have: tell the peer again
      len = 0;
      flags &= ~TH_FIN;
    } else {
      data += dup;
      len -= dup;
    }
    seq = tp->rcv_nxt;
  }
  if (seq != tp->rcv_nxt && (len || (flags & TH_FIN))) {
    tp->c.out_of_order_in++;
    if (len && (tp->state == TCP_ESTABLISHED || tp->state == TCP_FIN_WAIT_1 ||
                tp->state == TCP_FIN_WAIT_2))
      take_out_of_order(tp, seq, data, len);
    ack_now = 1;            // a duplicate ACK: tells the sender about the hole
    len = 0;
    flags &= ~TH_FIN;       // it comes again once the hole is filled
  }

  if (flags & TH_ACK) {
    u32 win = (u32)ntohs(th->win) << tp->snd_wscale;
    if (SEQ_GT(ack, tp->snd_max)) {
      send_ack(tp);
      return;
    }
    if (SEQ_GT(ack, tp->snd_una)) {
      new_ack(tp, ack);
    } else if (ack == tp->snd_una && len == 0 && !(flags & TH_FIN) && win == tp->snd_wnd &&
               tp->snd_una != tp->snd_max) {
      dup_ack(tp);
    }
    if (SEQ_LT(tp->snd_wl1, seg_seq) || (tp->snd_wl1 == seg_seq && SEQ_LEQ(tp->snd_wl2, ack))) {
      tp->snd_wnd = win;
      tp->snd_wl1 = seg_seq;
      tp->snd_wl2 = ack;
    }
  }

  if (len && (tp->state == TCP_ESTABLISHED || tp->state == TCP_FIN_WAIT_1 ||
              tp->state == TCP_FIN_WAIT_2)) {
    int all = take_data(tp, data, len);
    if (tp->nooo && join_out_of_order(tp)) {
      ack_now = 1;          // a hole was filled: the sender waits to hear it (RFC 5681)
      if (tp->nooo || SEQ_GT(tp->rcv_nxt, seg_seq + (u32)(seglen - hlen)))
        flags &= ~TH_FIN;   // the FIN, if any, was not the end of what we now hold
    }
    if (!all) {
      ack_now = 1;          // the buffer is full: say so now
      flags &= ~TH_FIN;
    } else if (++tp->segs_unacked >= 2) {
      ack_now = 1;
    } else if (!tp->delack_at) {
      tp->delack_at = ticks + ms_to_ticks(DELACK_MS);
    }
  }
  if ((flags & TH_FIN) && tp->state != TCP_CLOSED && !tp->fin_received) {
    peer_fin(tp);
    ack_now = 1;
  }
  output(tp, 0);
  if (ack_now && tp->state != TCP_CLOSED)
    send_ack(tp);
}

static void timeout(struct tcb *tp)
{
  if (++tp->retries > (tp->state == TCP_SYN_SENT ? SYN_RETRIES : MAX_RETRIES)) {
    fail(tp, -1);
    return;
  }
  tp->c.timeouts++;
  tp->rto = min(tp->rto * 2, ms_to_ticks(RTO_MAX_MS));
  tp->rtt_timing = 0;
  tp->rto_at = 0;
  if (tp->state == TCP_SYN_SENT) {
    tp->c.retrans++;
    send_segment(tp, tp->iss, TH_SYN, 0);
    arm_rto(tp);
    return;
  }
  u32 flight = tp->snd_max - tp->snd_una;
  if (flight) {
    tp->ssthresh = max(flight / 2, 2 * tp->snd_mss);
    tp->cwnd = tp->snd_mss;
  } else {
    tp->retries = 0;        // a window probe, not a loss
  }
  tp->dupacks = 0;
  tp->snd_nxt = tp->snd_una;
  output(tp, 1);
  if (!tp->rto_at && tp->snd_una != tp->snd_max)
    arm_rto(tp);
}

// The timer interrupt, every tick. Interrupts disabled.
void tcp_tick(void)
{
  for (struct tcb **t = tcp_tcbs; *t; t++) {
    struct tcb *tp = *t;
    if (tp->state == TCP_CLOSED)
      continue;
    if (tp->delack_at && (int)(ticks - tp->delack_at) >= 0)
      send_ack(tp);
    if (tp->rto_at && (int)(ticks - tp->rto_at) >= 0)
      timeout(tp);
  }
}

// Transmit descriptors came free. Interrupts disabled.
void tcp_tx_ready(void)
{
  for (struct tcb **t = tcp_tcbs; *t; t++)
    output(*t, 0);
}

// Start the active open. Interrupts disabled; the caller waits for the state to change.
int tcp_connect(struct tcb *tp, u32 ip, u16 rport, u16 lport)
{
  u8 *sbuf = tp->sbuf, *rbuf = tp->rbuf;
  memset(tp, 0, sizeof *tp);
  tp->sbuf = sbuf;
  tp->rbuf = rbuf;
  tp->remote_ip = ip;
  tp->rport = rport;
  tp->lport = lport;
  tp->iss = TCP_ISS;
  tp->snd_una = tp->iss;
  tp->snd_nxt = tp->snd_max = tp->iss + 1;
  tp->sb_seq = tp->iss + 1;
  tp->snd_mss = TCP_MSS;
  tp->rto = ms_to_ticks(RTO_INIT_MS);
  tp->state = TCP_SYN_SENT;
  tp->rtt_timing = 1;
  tp->rtt_start = ticks;
  tp->rtt_seq = tp->iss;
  if (!send_segment(tp, tp->iss, TH_SYN, 0))
    tp->rtt_timing = 0;
  arm_rto(tp);
  return 0;
}

void tcp_send_more(struct tcb *tp)
{
  output(tp, 0);
}

// The application read: if the window opened a good deal while the peer may be waiting on
// it (less than half the buffer advertised), tell it now (Linux: tcp_cleanup_rbuf).
void tcp_read_done(struct tcb *tp)
{
  if (tp->state != TCP_ESTABLISHED && tp->state != TCP_FIN_WAIT_1 && tp->state != TCP_FIN_WAIT_2)
    return;
  u32 advertised = tp->rcv_adv - tp->rcv_nxt;
  u32 edge = tp->rcv_nxt + rcv_space(tp);
  if (advertised < SOCKBUF / 2 && SEQ_GEQ(edge, tp->rcv_adv + 2 * tp->snd_mss))
    send_ack(tp);
}

// Queue the FIN after the data. Interrupts disabled.
void tcp_close(struct tcb *tp)
{
  if (tp->state == TCP_ESTABLISHED)
    tp->state = TCP_FIN_WAIT_1;
  else if (tp->state == TCP_CLOSE_WAIT)
    tp->state = TCP_LAST_ACK;
  else {
    if (tp->state == TCP_SYN_SENT)
      tp->state = TCP_CLOSED;
    return;
  }
  tp->fin_queued = 1;
  tp->fin_seq = tp->sb_seq + tp->sb_len;
  output(tp, 0);
}

void tcp_counters(struct tcb *tp, struct tcp_counters *out)
{
  *out = tp->c;
  out->state = tp->state;
  out->cwnd = tp->cwnd;
  out->ssthresh = tp->ssthresh;
  out->srtt_ticks = tp->srtt >> 3;
  out->rto_ticks = tp->rto;
  out->snd_wscale = tp->snd_wscale;
  out->rcv_wscale = tp->rcv_wscale;
  out->peer_mss = tp->snd_mss;
}
