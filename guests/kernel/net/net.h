// The network stack's shared definitions: byte order, the frame layout the layers agree on,
// and the functions each layer offers the others. One NIC, one IPv4 address, TCP only.
//
// A frame is built in place in a transmit buffer of the driver: Ethernet header at 0, IPv4
// header at 14, TCP header at 34, payload after the TCP header. Each layer fills its own
// header and hands the buffer down; nothing is copied between layers.
#ifndef NET_H
#define NET_H

#include "../types.h"

#define ETH_HLEN   14
#define ETH_ALEN   6
#define ETH_MTU    1500
#define ETH_P_IP   0x0800
#define ETH_P_ARP  0x0806
#define IP_HLEN    20
#define TCP_HLEN   20
#define IPPROTO_TCP 6

static inline u16 htons(u16 v) { return (u16)((v << 8) | (v >> 8)); }
static inline u16 ntohs(u16 v) { return htons(v); }
static inline u32 htonl(u32 v) { return __builtin_bswap32(v); }
static inline u32 ntohl(u32 v) { return __builtin_bswap32(v); }

#define IP4(a, b, c, d) (((u32)(a) << 24) | ((u32)(b) << 16) | ((u32)(c) << 8) | (u32)(d))

struct ethhdr {
  u8 dst[ETH_ALEN], src[ETH_ALEN];
  u16 type;
} __attribute__((packed));

struct iphdr {
  u8 vhl, tos;
  u16 len, id, frag;
  u8 ttl, proto;
  u16 sum;
  u32 src, dst;
} __attribute__((packed));

struct tcphdr {
  u16 sport, dport;
  u32 seq, ack;
  u8 off, flags;
  u16 win, sum, urp;
} __attribute__((packed));

// Network statistics, kept by the layers and read by the netinfo system call.
struct netstats {
  u32 irqs;            // NIC interrupts taken
  u32 rx_frames, tx_frames;
  u32 rx_dropped;      // frames the NIC could not place (RXORN) or we discarded
  u32 rx_bad_csum;     // IP or TCP checksum errors
  u32 tx_ring_full;    // times a segment waited for a free TX descriptor
  u32 rx_idle;         // RXIDLE re-arms
};
extern struct netstats netstats;

// checksum.c: the Internet checksum, computed in software (no offload).
u32 csum_partial(const void *buf, u32 len, u32 sum);   // 32-bit running sum, not folded
u16 csum_fold(u32 sum);                                // fold to 16 bits and complement

// dp83820.c: the NIC.
int nic_init(void);                 // find, reset and start it; 0 if there is none
extern u8 nic_mac[ETH_ALEN];
u8 *nic_tx_buffer(void);            // the next free transmit buffer, or NULL if the ring is full
void nic_tx_commit(u32 len);        // hand that buffer (len bytes of frame) to the NIC

// eth.c
void eth_input(u8 *frame, u32 len);
int eth_output(u8 *frame, u32 len, const u8 *dst, u16 type);  // frame has room for the header

// arp.c
extern u32 net_ip;                  // our address
void arp_input(u8 *frame, u32 len);
const u8 *arp_lookup(u32 ip);       // the MAC of ip, or NULL (and a request goes out)
int arp_resolve(u32 ip);            // block until ip's MAC is known; -1 after the retries

// ip.c
void ip_input(u8 *frame, u32 len);
int ip_output(u8 *frame, u32 seglen, u32 dst, u8 proto);  // segment at frame + 34

// tcp.c
void tcp_input(u8 *frame, struct iphdr *ip, u32 seglen);
void tcp_tick(void);                // from the timer interrupt: retransmission and ACK timers
void tcp_tx_ready(void);            // TX descriptors were freed: send what waits

// socket.c: the system call side.
int net_tick_enabled(void);

#endif
