// The National Semiconductor DP83820 gigabit Ethernet controller, driven the way Linux's
// ns83820 driver drives it: registers in memory BAR1, a ring of 64 receive and 128 transmit
// descriptors (link, bufptr, cmdsts, extsts; 32-bit addressing) linked in circles, one
// interrupt handler that reads ISR exactly once, walks the receive ring handing each frame up
// and giving the buffer straight back, re-arms RXDP and CR_RXE when the receiver went idle,
// and reclaims sent transmit descriptors. No checksum offload: the stack sums every byte.
//
// OWN means opposite things on the two rings: the driver sets it to hand a TX descriptor to
// the NIC; the NIC sets it to hand a filled RX descriptor to the driver.
#include "defs.h"
#include "arch.h"
#include "memlayout.h"
#include "pci.h"
#include "net/net.h"

#define PCI_VENDOR_NS  0x100B
#define PCI_DEVICE_DP83820 0x0022

// Registers (offsets in BAR1).
#define CR     0x00
#define ISR    0x10
#define IMR    0x14
#define IER    0x18
#define IHR    0x1C
#define TXDP   0x20
#define TXCFG  0x28
#define RXDP   0x30
#define RXCFG  0x38
#define RFCR   0x48
#define RFDR   0x4C

#define CR_TXE 0x001
#define CR_RXE 0x004
#define CR_TXR 0x010
#define CR_RXR 0x020
#define CR_RST 0x100

#define ISR_RXOK   0x001
#define ISR_RXDESC 0x002
#define ISR_RXERR  0x004
#define ISR_RXIDLE 0x010
#define ISR_RXORN  0x020
#define ISR_TXOK   0x040
#define ISR_TXDESC 0x080
#define ISR_TXERR  0x100
#define ISR_TXIDLE 0x200

#define CMDSTS_OWN  0x80000000u
#define CMDSTS_MORE 0x40000000u
#define CMDSTS_INTR 0x20000000u
#define CMDSTS_OK   0x08000000u
#define CMDSTS_SIZE 0x0000FFFFu

#define RFCR_RFEN 0x80000000u   // receive filter on
#define RFCR_AAB  0x40000000u   // accept all broadcast
#define RFCR_APM  0x08000000u   // accept perfect match (our station address)

#define TXCFG_ATP      0x10000000u  // pad short frames to 60 bytes
#define TXCFG_MXDMA512 0x00500000u  // DMA bursts of 512 bytes
#define TXCFG_FLTH(b)  (((b) / 32) << 8)   // fill threshold
#define TXCFG_DRTH(b)  ((b) / 32)          // drain threshold
#define RXCFG_STRIPCRC 0x20000000u
#define RXCFG_MXDMA512 0x00500000u
#define RXCFG_DRTH(b)  (((b) / 8) << 1)

#define NR_RX 64                // Linux ns83820: NR_RX_DESC
#define NR_TX 128               // Linux ns83820: NR_TX_DESC
#define RX_BUF_SIZE 1536        // a whole frame (1514 bytes, FCS stripped) in one buffer
#define BUF_STRIDE 2048         // two buffers per page
#define TX_INTR_EVERY 32        // TXDESC interrupt every this many frames (reclaim while busy)
#define HOLDOFF 1               // IHR: interrupt holdoff in units of 100 us

#define IRQ_EVENTS (ISR_RXOK | ISR_RXDESC | ISR_RXERR | ISR_RXIDLE | ISR_RXORN | ISR_TXDESC | ISR_TXERR)

struct desc { u32 link, bufptr, cmdsts, extsts; };

u8 nic_mac[ETH_ALEN];
struct netstats netstats;

static volatile u32 *regs;
static struct desc *rx_ring, *tx_ring;
static u8 *rx_buf[NR_RX], *tx_buf[NR_TX];
static u32 rx_next;                 // next receive descriptor to look at
static u32 tx_head, tx_tail, tx_count;  // next to fill, oldest not reclaimed, handed over

static u32 rd(u32 reg) { return regs[reg / 4]; }
static void wr(u32 reg, u32 v) { regs[reg / 4] = v; }

// Buffers two to a page from the page allocator (physically contiguous within a page).
static void alloc_buffers(u8 **bufs, int n)
{
  for (int i = 0; i < n; i += PGSIZE / BUF_STRIDE) {
    u8 *page = kalloc();
    if (!page)
      panic("dp83820: no memory for buffers");
    for (int j = 0; j < PGSIZE / BUF_STRIDE && i + j < n; j++)
      bufs[i + j] = page + j * BUF_STRIDE;
  }
}

// A ring of n descriptors in one page, each linked to the next, the last to the first.
static struct desc *alloc_ring(int n, u8 **bufs, u32 cmdsts)
{
  struct desc *ring = kalloc();
  if (!ring)
    panic("dp83820: no memory for a ring");
  memset(ring, 0, PGSIZE);
  for (int i = 0; i < n; i++) {
    ring[i].link = V2P(&ring[(i + 1) % n]);
    ring[i].bufptr = V2P(bufs[i]);
    ring[i].cmdsts = cmdsts;
  }
  return ring;
}

static void reset(void)
{
  wr(CR, CR_RST);
  for (int i = 0; i < 1000 && (rd(CR) & CR_RST); i++)
    ;
  wr(CR, CR_TXR | CR_RXR);
}

static void read_station_address(void)
{
  for (int i = 0; i < ETH_ALEN; i += 2) {
    wr(RFCR, i);
    u32 v = rd(RFDR);
    nic_mac[i] = v & 0xFF;
    nic_mac[i + 1] = (v >> 8) & 0xFF;
  }
}

// Walk the receive ring: each frame the NIC handed over goes up the stack (with interrupts
// masked, as the protocol state is shared with system calls and the timer) and its buffer
// goes straight back to the NIC, since the stack has copied what it keeps.
static void rx_poll(void)
{
  for (;;) {
    u32 flags = arch_irq_save();
    struct desc *d = &rx_ring[rx_next];
    u32 cmdsts = d->cmdsts;
    if (!(cmdsts & CMDSTS_OWN)) {
      arch_irq_restore(flags);
      return;
    }
    if ((cmdsts & (CMDSTS_OK | CMDSTS_MORE)) == CMDSTS_OK) {
      netstats.rx_frames++;
      eth_input(rx_buf[rx_next], cmdsts & CMDSTS_SIZE);
    } else {
      netstats.rx_dropped++;
    }
    d->extsts = 0;
    d->cmdsts = RX_BUF_SIZE;
    rx_next = (rx_next + 1) % NR_RX;
    arch_irq_restore(flags);
  }
}

// The receiver stopped at a descriptor it did not own (the ring was full). Every descriptor
// is the NIC's again, so point it at the next one we will look at and restart it.
static void rx_kick(void)
{
  netstats.rx_idle++;
  wr(RXDP, V2P(&rx_ring[rx_next]));
  wr(CR, CR_RXE);
}

// Take back the transmit descriptors the NIC is done with. Interrupts disabled.
static void tx_reclaim(void)
{
  while (tx_count && !(tx_ring[tx_tail].cmdsts & CMDSTS_OWN)) {
    tx_tail = (tx_tail + 1) % NR_TX;
    tx_count--;
  }
}

static void nic_intr(void)
{
  u32 isr = rd(ISR);       // reading clears it: exactly once per interrupt
  netstats.irqs++;
  if (isr & (ISR_RXOK | ISR_RXDESC | ISR_RXERR | ISR_RXIDLE | ISR_RXORN))
    rx_poll();
  if (isr & ISR_RXORN)
    netstats.rx_dropped++;
  if (isr & ISR_RXIDLE)
    rx_kick();
  if (isr & (ISR_TXOK | ISR_TXDESC | ISR_TXIDLE | ISR_TXERR)) {
    u32 flags = arch_irq_save();
    tx_reclaim();
    tcp_tx_ready();
    arch_irq_restore(flags);
  }
}

// The buffer of the next free transmit descriptor. Interrupts disabled.
u8 *nic_tx_buffer(void)
{
  if (tx_count == NR_TX)
    tx_reclaim();
  if (tx_count == NR_TX) {
    netstats.tx_ring_full++;
    return NULL;
  }
  return tx_buf[tx_head];
}

// Hand the frame in that buffer to the NIC and tell it to look (CR_TXE restarts an idle
// transmitter at the descriptor it stopped on). Interrupts disabled.
void nic_tx_commit(u32 len)
{
  struct desc *d = &tx_ring[tx_head];
  d->extsts = 0;
  d->cmdsts = CMDSTS_OWN | (tx_head % TX_INTR_EVERY == TX_INTR_EVERY - 1 ? CMDSTS_INTR : 0) | len;
  tx_head = (tx_head + 1) % NR_TX;
  tx_count++;
  netstats.tx_frames++;
  wr(CR, CR_TXE);
}

int nic_init(void)
{
  int slot = pci_find(PCI_VENDOR_NS, PCI_DEVICE_DP83820);
  if (slot < 0)
    return 0;
  pci_enable(slot);
  u32 bar = pci_read(slot, PCI_BAR(1)) & PCI_BAR_MEM_MASK;
  int irq = pci_read(slot, PCI_INTLINE) & 0xFF;
  regs = kvm_map_mmio(bar, PGSIZE);
  if (!regs || irq == 0 || irq >= 16)
    panic("dp83820: BAR1 0x%08x irq %d unusable", bar, irq);
  reset();
  read_station_address();
  wr(RFCR, RFCR_RFEN | RFCR_AAB | RFCR_APM);

  alloc_buffers(rx_buf, NR_RX);
  alloc_buffers(tx_buf, NR_TX);
  rx_ring = alloc_ring(NR_RX, rx_buf, RX_BUF_SIZE);
  tx_ring = alloc_ring(NR_TX, tx_buf, 0);
  wr(TXCFG, TXCFG_ATP | TXCFG_MXDMA512 | TXCFG_FLTH(512) | TXCFG_DRTH(1024));
  wr(RXCFG, RXCFG_STRIPCRC | RXCFG_MXDMA512 | RXCFG_DRTH(64));
  wr(TXDP, V2P(&tx_ring[0]));
  wr(RXDP, V2P(&rx_ring[0]));

  irq_register(irq, nic_intr, 0);
  wr(IHR, HOLDOFF);
  wr(IMR, IRQ_EVENTS);
  wr(IER, 1);
  wr(CR, CR_RXE);
  kprintf("[kernel] dp83820: slot %d bar1 0x%08x irq %d mac %02x:%02x:%02x:%02x:%02x:%02x\n",
          slot, bar, irq, nic_mac[0], nic_mac[1], nic_mac[2], nic_mac[3], nic_mac[4], nic_mac[5]);
  return 1;
}
