// Ethernet: dispatch received frames by type, fill in the header of frames going out.
#include "../defs.h"
#include "net.h"

void eth_input(u8 *frame, u32 len)
{
  if (len < ETH_HLEN)
    return;
  struct ethhdr *eh = (struct ethhdr *)frame;
  if (eh->type == htons(ETH_P_IP))
    ip_input(frame, len);
  else if (eh->type == htons(ETH_P_ARP))
    arp_input(frame, len);
}

// frame holds len bytes including room for the header at the front.
int eth_output(u8 *frame, u32 len, const u8 *dst, u16 type)
{
  struct ethhdr *eh = (struct ethhdr *)frame;
  memcpy(eh->dst, dst, ETH_ALEN);
  memcpy(eh->src, nic_mac, ETH_ALEN);
  eh->type = htons(type);
  nic_tx_commit(len);
  return 0;
}
