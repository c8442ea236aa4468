// The split network device on Xen (DEV=virt): the front half's rings are two pages of the
// wedge's bootstrap region, connected to the driver domain's back half with the model's
// GNTTABOP_netif_connect (ABI.md section 11: what xenstore and grant references arrange on real
// Xen), which also binds the event channel between them. Notifying the back half is
// event_channel_op(send) on that channel; its events arrive as the port pending (events.c).
#ifdef WEDGE_DEVVIRT
#include "xen.h"
#include "backend.h"
#include "netif.h"
#include "lib.h"

static u32 netif_port, netif_irq = ~0u;

int be_netif_connect(struct netif *n)
{
  n->tx = (struct netif_sring *)xen_alloc_page();
  n->rx = (struct netif_sring *)xen_alloc_page();
  struct { u32 tx_mfn, rx_mfn, port, mac_lo, mac_hi, irq; } c = {
    xen_va_to_mfn((u32)n->tx), xen_va_to_mfn((u32)n->rx), 0, 0, 0, 0,
  };
  s32 r = HC2(grant_table_op, GNTTABOP_netif_connect, &c);
  if (r < 0)
    return r;
  netif_port = c.port;
  netif_irq = c.irq;
  for (u32 i = 0; i < 4; i++)
    n->mac[i] = (u8)(c.mac_lo >> (8 * i));
  n->mac[4] = (u8)c.mac_hi;
  n->mac[5] = (u8)(c.mac_hi >> 8);
  return 0;
}

void be_netif_notify(void)
{
  u32 port = netif_port;
  STAT(NIC_NOTIFIES);
  xen_check(HC2(event_channel_op, EVTCHNOP_send, &port), "event_channel_op(send)");
}

u32 be_wedge_phys(const void *va) { return xen_va_to_mfn((u32)va) << 12 | ((u32)va & 0xFFF); }
int xen_netif_port(u32 port) { return netif_port && port == netif_port; }
int xen_netif_irq(u32 irq) { return irq == netif_irq; }
#endif
