// The split network device's shared rings, between the wedge's DP83820 (the front half) and
// the hypervisor's back half (on Xen the driver domain's side, on L4 the network server:
// emulator/hypervisors/net-back.ts, which reads the same layout). One page per direction, laid out as Xen's shared
// rings: producer and event indices, then a power-of-two array of slots; indices run freely
// and are taken modulo the ring size. The front half produces requests and consumes
// responses; the back half the opposite. A side wants to be told (an event) when the other
// side's producer index passes its event index, as with Xen's RING_PUSH_..._AND_CHECK_NOTIFY.
//
// A slot is a request or, once the back half has handled it, its response:
//   TX request:  addr = guest physical address of the bytes, size, id, flags (NETIF_MORE: the
//                frame goes on in the next request), ext = the checksum-offload bits of the
//                frame's first descriptor (DP83820 extsts) when the guest enabled offload
//   TX response: id, status (0 sent, < 0 refused)
//   RX request:  addr = physical address of a buffer of `size` bytes, id
//   RX response: id, size = bytes written (the frame and its 4-byte FCS), status (0 or < 0),
//                ext = the receive checksum status (DP83820 extsts bits)
#ifndef WEDGE_NETIF_H
#define WEDGE_NETIF_H

#include "types.h"

#define NETIF_RING 128u                 // slots per ring (a power of two)
#define NETIF_MORE 1u                   // TX request flag: more fragments of this frame follow

struct netif_slot {
  u32 addr;
  u16 size, id;
  s32 status;                           // request: flags; response: status
  u32 ext;
};

struct netif_sring {
  u32 req_prod, req_event, rsp_prod, rsp_event;
  u32 dropped;                          // RX: frames the back half had no buffer for (it counts)
  u8 pad[44];
  struct netif_slot ring[NETIF_RING];
};

// What the back-end seam gives the front half.
struct netif {
  struct netif_sring *tx, *rx;
  u8 mac[6];                            // the station address the back half forwards to
};

#endif
