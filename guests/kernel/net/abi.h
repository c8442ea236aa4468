// What the network system calls hand to user programs (shared with user/).
#ifndef NET_ABI_H
#define NET_ABI_H

#include "../types.h"

#define SOCKCALL_SOCKET     1      // socketcall(1, {domain, type, protocol}) -> fd
#define SOCKCALL_CONNECT    3      // socketcall(3, {fd, struct sockaddr_in *, len})
#define SOCKCALL_GETSOCKOPT 15     // socketcall(15, {fd, level, name, void *, u32 *len})
#define SOL_TCP  6
#define TCP_INFO 11                // our own layout: struct tcp_counters

struct sockaddr_in {
  u16 family;                      // AF_INET (2)
  u16 port;                        // network byte order
  u32 addr;                        // network byte order
  u8 zero[8];
};

// Per-connection counters (getsockopt SOL_TCP, TCP_INFO).
struct tcp_counters {
  u32 state;
  u32 segs_out, segs_in, data_segs_out, data_segs_in;
  u32 retrans, timeouts, fast_retrans, dupacks_in, out_of_order_in;
  u32 cwnd, ssthresh, srtt_ticks, rto_ticks;
  u32 snd_wscale, rcv_wscale, peer_mss;
};

// The system: time, idle time and the NIC's counters (system call 116, our own layout).
struct netinfo {
  u32 ticks, idle_ticks, hz;
  u32 irqs, rx_frames, tx_frames, rx_dropped, rx_bad_csum, tx_ring_full, rx_idle;
};

#endif
