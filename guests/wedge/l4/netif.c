// The split network device on L4 (DEV=virt): the front half's rings are two pages of the wedge,
// handed to the model's network server thread with one call (l4/ABI.md section 13: their
// physical addresses, which stand for the map items an L4 client gives its server, and the
// thread the server notifies: the monitor). Notifying the server is a call it answers once it has
// taken the requests; its notifications reach the monitor as a message, which records them for
// main (EV_NET) like an interrupt.
#ifdef WEDGE_DEVVIRT
#include "l4wedge.h"
#include "backend.h"
#include "netif.h"
#include "stats.h"
#include "lib.h"
#include "dp83820.h"

static u8 rings[2][PGSIZE] __attribute__((aligned(PGSIZE)));
static u32 netif_irq = ~0u;

u32 be_wedge_phys(const void *va) { return (u32)va - l4_boot->virt_base + l4_boot->boot_phys; }

static l4_word call(void)
{
  l4_word err;
  STAT(HYPERCALLS);
  l4_ipc(L4_NETSERVER, L4_NETSERVER, L4_NEVER, &err);
  return err;
}

int be_netif_connect(struct netif *n)
{
  n->tx = (struct netif_sring *)rings[0];
  n->rx = (struct netif_sring *)rings[1];
  L4_UTCB->mr[0] = L4_TAG(L4_LABEL_NET_CONNECT, 0, 3);
  L4_UTCB->mr[1] = be_wedge_phys(rings[0]);
  L4_UTCB->mr[2] = be_wedge_phys(rings[1]);
  L4_UTCB->mr[3] = l4_monitor_tid;
  if (call())
    return -1;
  u32 lo = L4_UTCB->mr[1], hi = L4_UTCB->mr[2];
  netif_irq = L4_UTCB->mr[3];
  for (u32 i = 0; i < 4; i++)
    n->mac[i] = (u8)(lo >> (8 * i));
  n->mac[4] = (u8)hi;
  n->mac[5] = (u8)(hi >> 8);
  return 0;
}

void be_netif_notify(void)
{
  STAT(NIC_NOTIFIES);
  L4_UTCB->mr[0] = L4_TAG(L4_LABEL_NET_KICK, 0, 0);
  l4_word err = call();
  if (err)
    wpanic("network server: kick failed, error 0x%x", err);
}

int l4_netif_irq(u32 irq) { return irq == netif_irq; }

int be_device_page(u32 va)
{
  u32 pa, rights;
  return l4_walk(va, 0, 0, &pa, &rights) == 1 && nic_owns(pa & ~0xFFFu);
}
#endif
