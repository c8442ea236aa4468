// ARP (RFC 826) for IPv4 over Ethernet: answer requests for our address, learn from replies
// and requests aimed at us, and resolve the one peer we talk to. A small table, no ageing:
// the network is one wire with two hosts.
#include "../defs.h"
#include "../arch.h"
#include "net.h"

#define ARP_REQUEST 1
#define ARP_REPLY   2
#define NARP 4
#define ARP_TRIES 5
#define ARP_RETRY_MS 200

struct arphdr {
  u16 htype, ptype;
  u8 hlen, plen;
  u16 op;
  u8 sha[ETH_ALEN];
  u32 spa;
  u8 tha[ETH_ALEN];
  u32 tpa;
} __attribute__((packed));

struct arpent { u32 ip; u8 mac[ETH_ALEN]; };

u32 net_ip = IP4(10, 0, 0, 2);
static struct arpent table[NARP];
static const u8 broadcast[ETH_ALEN] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };

static void learn(u32 ip, const u8 *mac)
{
  struct arpent *free = NULL;
  for (int i = 0; i < NARP; i++) {
    if (table[i].ip == ip) {
      memcpy(table[i].mac, mac, ETH_ALEN);
      sched_wake(table);
      return;
    }
    if (!table[i].ip && !free)
      free = &table[i];
  }
  if (free) {
    free->ip = ip;
    memcpy(free->mac, mac, ETH_ALEN);
  }
  sched_wake(table);
}

// Send one ARP packet; false if the transmit ring is full. Interrupts disabled.
static int send(u16 op, const u8 *tha, u32 tpa, const u8 *dst)
{
  u8 *frame = nic_tx_buffer();
  if (!frame)
    return 0;
  struct arphdr *a = (struct arphdr *)(frame + ETH_HLEN);
  a->htype = htons(1);
  a->ptype = htons(ETH_P_IP);
  a->hlen = ETH_ALEN;
  a->plen = 4;
  a->op = htons(op);
  memcpy(a->sha, nic_mac, ETH_ALEN);
  a->spa = htonl(net_ip);
  memcpy(a->tha, tha, ETH_ALEN);
  a->tpa = htonl(tpa);
  eth_output(frame, ETH_HLEN + sizeof *a, dst, ETH_P_ARP);
  return 1;
}

// Interrupts disabled.
void arp_input(u8 *frame, u32 len)
{
  if (len < ETH_HLEN + sizeof(struct arphdr))
    return;
  struct arphdr *a = (struct arphdr *)(frame + ETH_HLEN);
  if (a->htype != htons(1) || a->ptype != htons(ETH_P_IP) || a->hlen != ETH_ALEN || a->plen != 4)
    return;
  if (ntohl(a->tpa) != net_ip)
    return;
  learn(ntohl(a->spa), a->sha);
  if (a->op == htons(ARP_REQUEST))
    send(ARP_REPLY, a->sha, ntohl(a->spa), a->sha);
}

// Interrupts disabled.
const u8 *arp_lookup(u32 ip)
{
  for (int i = 0; i < NARP; i++)
    if (table[i].ip == ip)
      return table[i].mac;
  return NULL;
}

// Ask for ip's address until it answers; -1 if it does not after ARP_TRIES requests.
int arp_resolve(u32 ip)
{
  u32 flags = arch_irq_save();
  for (int tries = 0; !arp_lookup(ip); tries++) {
    if (tries == ARP_TRIES) {
      arch_irq_restore(flags);
      return -1;
    }
    send(ARP_REQUEST, (const u8 *)"\0\0\0\0\0\0", ip, broadcast);
    u32 until = ticks + ms_to_ticks(ARP_RETRY_MS);
    while (!arp_lookup(ip) && (int)(ticks - until) < 0)
      sched_block_until(table, until);
  }
  arch_irq_restore(flags);
  return 0;
}
