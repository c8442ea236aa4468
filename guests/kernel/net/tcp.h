// The TCP control block and what the socket layer calls.
#ifndef TCP_H
#define TCP_H

#include "../types.h"
#include "abi.h"

#define TCP_MSS  1460
#define SOCKBUF  (256u * 1024)     // send and receive buffer (netperf -s 262144 -S 262144)
#define TCP_OOO_RANGES 8           // holes the receiver can bridge at once

enum tcpstate {
  TCP_CLOSED, TCP_SYN_SENT, TCP_ESTABLISHED, TCP_FIN_WAIT_1, TCP_FIN_WAIT_2, TCP_CLOSING,
  TCP_TIME_WAIT, TCP_CLOSE_WAIT, TCP_LAST_ACK,
};

struct tcb {
  enum tcpstate state;
  int error;                  // set when the connection failed: reset or timed out
  u32 remote_ip;
  u16 lport, rport;

  // Send side. Sequence numbers are 32-bit and compared modulo 2^32.
  u32 iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
  u32 snd_mss;
  u8 snd_wscale, rcv_wscale;
  u32 cwnd, ssthresh, recover;
  int dupacks;
  u8 *sbuf;                   // ring of SOCKBUF bytes: written, not yet acknowledged
  u32 sb_start, sb_len, sb_seq;   // first byte's index and sequence number, bytes held
  int fin_queued;             // close() asked for a FIN after the data
  u32 fin_seq;

  // Timers, in ticks; an *_at of 0 is off.
  u32 rto, rto_at, srtt, rttvar;  // srtt and rttvar scaled by 8 and 4 (Jacobson)
  int rtt_timing;
  u32 rtt_seq, rtt_start;
  int retries;
  u32 delack_at;

  // Receive side.
  u32 irs, rcv_nxt, rcv_adv;
  u8 *rbuf;                   // ring of SOCKBUF bytes: received in order, not yet read
  u32 rb_start, rb_len;
  int fin_received;
  int segs_unacked;
  // Out-of-order data already sits in rbuf past the in-order bytes; these are its sequence
  // ranges [start, end), sorted and disjoint.
  struct { u32 start, end; } ooo[TCP_OOO_RANGES];
  int nooo;

  struct tcp_counters c;
};

int tcp_connect(struct tcb *tp, u32 ip, u16 rport, u16 lport);
void tcp_send_more(struct tcb *tp);        // after the buffer grew: send what fits
void tcp_read_done(struct tcb *tp);        // after a read freed receive-buffer space
void tcp_close(struct tcb *tp);
void tcp_counters(struct tcb *tp, struct tcp_counters *out);

#endif
