// IPv4 (RFC 791), one interface, no options, no fragments: check and strip the header of
// packets for us, build it for packets going out. The header checksum is computed and
// verified in software.
#include "../defs.h"
#include "net.h"

#define IP_DF 0x4000
#define IP_TTL 64

static u16 next_id;

// Interrupts disabled.
void ip_input(u8 *frame, u32 len)
{
  if (len < ETH_HLEN + IP_HLEN)
    return;
  struct iphdr *ip = (struct iphdr *)(frame + ETH_HLEN);
  u32 hlen = (ip->vhl & 0xF) * 4;
  u32 total = ntohs(ip->len);
  if ((ip->vhl >> 4) != 4 || hlen < IP_HLEN || total < hlen || ETH_HLEN + total > len)
    return;
  if (csum_fold(csum_partial(ip, hlen, 0)) != 0) {
    netstats.rx_bad_csum++;
    return;
  }
  if (ntohl(ip->dst) != net_ip || (ntohs(ip->frag) & 0x3FFF))
    return;                 // not ours, or a fragment (we never send big enough to cause one)
  if (ip->proto == IPPROTO_TCP && hlen == IP_HLEN)
    tcp_input(frame, ip, total - hlen);
}

// The segment (seglen bytes) is at frame + ETH_HLEN + IP_HLEN. Interrupts disabled.
int ip_output(u8 *frame, u32 seglen, u32 dst, u8 proto)
{
  const u8 *mac = arp_lookup(dst);
  if (!mac)
    return -1;
  struct iphdr *ip = (struct iphdr *)(frame + ETH_HLEN);
  ip->vhl = 0x45;
  ip->tos = 0;
  ip->len = htons(IP_HLEN + seglen);
  ip->id = htons(next_id++);
  ip->frag = htons(IP_DF);
  ip->ttl = IP_TTL;
  ip->proto = proto;
  ip->sum = 0;
  ip->src = htonl(net_ip);
  ip->dst = htonl(dst);
  ip->sum = csum_fold(csum_partial(ip, IP_HLEN, 0));
  return eth_output(frame, ETH_HLEN + IP_HLEN + seglen, mac, ETH_P_IP);
}
