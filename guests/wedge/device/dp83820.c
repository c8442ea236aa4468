// The DP83820 the guest's driver sees under device pre-virtualization (DEV=virt): its registers
// in BAR1 and its transmit and receive descriptor lists in guest memory, with the semantics of
// the real controller as the driver relies on them (the emulator's model of the real one,
// emulator/devices/dp83820.ts, is the reference; this is the wedge's own). The guest's page
// tables never map BAR1: each register access faults into the wedge (the safety net of the
// slides' profile-feedback scheme; xen/ptdirect.c), which decodes it (mmio.c) and lands here.
// Frames do not touch hardware: they go through the hypervisor's split network device
// (netif.h), sent in batches when the guest pauses its device activity, at its hlt or iret (the
// slides' heuristic; built with DEV=virt-nobatch, every frame goes at the register write that
// started it). Interrupts are raised at the virtual PIC.
//
// Transmit: CR.TXE starts the engine at TXDP; at the next flush it walks the descriptors the
// driver handed over (OWN set), puts each frame's buffers on the TX ring as requests (the back
// half reads them in place) and notifies once; each response completes its frame: OWN cleared,
// OK set, ISR.TXOK (and TXDESC for a descriptor with INTR). A descriptor the driver does not own,
// or a null link, idles the engine (ISR.TXIDLE) until the next TXE.
// Receive: the back half fills the wedge's own buffers (posted on the RX ring at start), which
// play the NIC's receive FIFO; the receive filter (RFCR, the station address in the filter
// memory) decides on each; accepted frames are copied into the driver's descriptors at RXDP
// (OWN set: handed to the driver; MORE on all but the last of a chain), ISR.RXOK (RXDESC for
// INTR). No descriptor the NIC owns: the engine idles (ISR.RXIDLE) until RXE, frames waiting.
// Frames the back half had no buffer for count as missed (MIB, ISR.RXORN).
// Interrupt: INTA = IER && (ISR & IMR), held off for IHR x 100 us after each ISR read.
// Not modelled, as in the emulator's model: EEPROM and MII/TBI management (the link is up at
// 1000 Mb/s full duplex), priority queues, VLAN tags, wake-on-LAN, pause frames, jumbo frames,
// 64-bit descriptors.
#ifdef WEDGE_DEVVIRT
#include "dp83820.h"
#include "netif.h"
#include "devices.h"
#include "backend.h"
#include "lib.h"
#include "stats.h"

// Register offsets in BAR1.
#define CR 0x00
#define CFG 0x04
#define MEAR 0x08
#define PTSCR 0x0c
#define ISR 0x10
#define IMR 0x14
#define IER 0x18
#define IHR 0x1c
#define TXDP 0x20
#define TXDP_HI 0x24
#define TXCFG 0x28
#define GPIOR 0x2c
#define RXDP 0x30
#define RXDP_HI 0x34
#define RXCFG 0x38
#define PQCR 0x3c
#define WCSR 0x40
#define PCR 0x44
#define RFCR 0x48
#define RFDR 0x4c
#define BRAR 0x50
#define BRDR 0x54
#define SRR 0x58
#define MIBC 0x5c
#define MIB_FIRST 0x60
#define MIB_LAST 0x88
#define MIB_RX_MISSED 0x68
#define VRCR 0xbc
#define VTCR 0xc0
#define VDR 0xc4
#define CCSR 0xcc
#define TBICR 0xe0
#define TESR 0xf4

#define CR_TXE 0x1
#define CR_TXD 0x2
#define CR_RXE 0x4
#define CR_RXD 0x8
#define CR_TXR 0x10
#define CR_RXR 0x20
#define CR_SWI 0x80
#define CR_RST 0x100

#define ISR_RXOK 0x1
#define ISR_RXDESC 0x2
#define ISR_RXERR 0x4
#define ISR_RXIDLE 0x10
#define ISR_RXORN 0x20
#define ISR_TXOK 0x40
#define ISR_TXDESC 0x80
#define ISR_TXERR 0x100
#define ISR_TXIDLE 0x200
#define ISR_SWI 0x1000
#define ISR_RMABT 0x40000
#define ISR_RXRCMP 0x200000
#define ISR_TXRCMP 0x400000

#define OWN 0x80000000u
#define MORE 0x40000000u
#define INTR 0x20000000u
#define ERR 0x10000000u
#define OK 0x08000000u
#define DEST_SELF 0x00800000u
#define DEST_MULTI 0x01000000u
#define SIZE 0xffffu

#define CFG_STATUS 0xf0000000u
#define CFG_LINK_1000_FULL 0xa0000000u   // LNKSTS | SPDSTS0, the polarity Linux's ns83820 assumes
#define RXCFG_STRIPCRC 0x20000000u
#define RFCR_RFEN 0x80000000u
#define RFCR_AAB 0x40000000u
#define RFCR_AAM 0x20000000u
#define RFCR_AAU 0x10000000u
#define RFCR_APM 0x08000000u
#define RFCR_ADDR 0x3ffu
#define PTSCR_EELOAD_EN 0x4u
#define PTSCR_RBIST_DONE 0x200u
#define PTSCR_RBIST_EN 0x400u
#define MIBC_FRZ 0x2u
#define MIBC_ACLR 0x4u
#define VRCR_IPEN 0x10u
#define VTCR_PPCHK 0x8u
#define SRR_VALUE 0x0103u
#define IHR_UNIT_NS 100000u              // holdoff unit: 100 us

#define MAX_CHAIN 8                      // descriptors per frame the wedge follows
#define TXQ 128                          // frames on the TX ring at once (<= NETIF_RING)
#define RXB 32                           // the wedge's receive buffers (its receive FIFO)
#define RXB_SIZE 2048u

u32 wedge_guest_virt_off;                // where the guest maps its physical memory (wedge.c)

static struct netif nif;
static u32 bar = ~0u, irq_line;

static u32 cfg, mear, ptscr, isr, imr, ier, ihr, txdp, txcfg, gpior, rxdp, rxcfg, pqcr, wcsr, pcr;
static u32 rfcr, mibc, vrcr, vtcr, vdr, ccsr;
static u32 tbi[6], mib[11];
static u8 filt[0x400];                   // receive filter memory; 0-5: the station address

static u8 tx_on, tx_at_null, tx_kick, rx_on, rx_mac_on, rx_at_null, line, rx_notify_due;
static u64 holdoff_until;                // ns; 0: no holdoff
volatile u8 nic_flush_wanted;

// Frames on the TX ring, in order: their descriptors, and requests still unanswered.
static struct { u32 desc[MAX_CHAIN]; u8 n, left; u32 cmd; } txf[TXQ];
static u32 txf_head, txf_tail, tx_req_prod, tx_rsp_cons;

// Receive buffers: posted to the back half, or filled and waiting for descriptors (the FIFO).
static u8 rxbuf[RXB][RXB_SIZE] __attribute__((aligned(4096)));
static struct { u8 id; u16 len; u32 ext; } fifo[RXB];
static u32 fifo_head, fifo_tail, rx_req_prod, rx_rsp_cons, rx_dropped_seen;

static int gpa_ok(u32 pa, u32 n) { return pa + n >= pa && pa + n <= be_guest_mem_end(); }
static volatile u32 *gword(u32 pa) { return (volatile u32 *)(pa + wedge_guest_virt_off); }

// Copies with rep movs: the CPU's string path, as the guest's own copies.
static void copy(void *d, const void *s, u32 n)
{
  u32 w = n >> 2, b = n & 3;
  asm volatile("rep movsl; movl %3, %%ecx; rep movsb" : "+D"(d), "+S"(s), "+c"(w) : "r"(b) : "memory");
}

static void barrier(void) { asm volatile("" ::: "memory"); }

// ---- interrupt line and holdoff ----------------------------------------------------------

static void update_irq(void)
{
  int pending = (ier & 1) && (isr & imr);
  if (pending && holdoff_until) {
    if (be_time_ns() < holdoff_until) {
      dev_timer_set(1, holdoff_until);   // INTA asserts when the holdoff ends
      pending = 0;
    } else {
      holdoff_until = 0;
    }
  }
  if (pending && !line) {
    line = 1;
    STAT(NIC_IRQS);
    pic_raise(irq_line);
  } else if (!pending) {
    line = 0;
  }
}

void nic_timer(void)
{
  if (holdoff_until && be_time_ns() >= holdoff_until)
    holdoff_until = 0;
  update_irq();
}

static void start_holdoff(void)
{
  u32 units = ihr & 0xff;
  holdoff_until = units ? be_time_ns() + (u64)units * IHR_UNIT_NS : 0;
}

static void dev_error(int tx, const char *what, u32 addr)
{
  static u32 reported;
  if (reported++ < 8)
    wprintf("[wedge] dp83820 %s: %s at 0x%08x\n", tx ? "tx" : "rx", what, addr);
  isr |= ISR_RMABT | (tx ? ISR_TXERR : ISR_RXERR);
  if (tx)
    tx_on = 0;
  else
    rx_on = 0;
}

// ---- the rings ----------------------------------------------------------------------------

// Gives receive buffer id back to the back half.
static void rx_post(u32 id)
{
  struct netif_slot *s = &nif.rx->ring[rx_req_prod & (NETIF_RING - 1)];
  s->addr = be_wedge_phys(rxbuf[id]);
  s->size = RXB_SIZE;
  s->id = (u16)id;
  s->status = 0;
  s->ext = 0;
  barrier();
  u32 old = rx_req_prod;
  nif.rx->req_prod = ++rx_req_prod;
  STAT(NIC_RX_REQS);
  barrier();
  // The back half asks (req_event) only when it holds frames and has no buffer for them.
  if ((u32)(rx_req_prod - nif.rx->req_event) < (u32)(rx_req_prod - old)) {
#ifdef WEDGE_NIC_NOBATCH
    be_netif_notify();
#else
    rx_notify_due = 1;
    nic_flush_wanted = 1;
#endif
  }
}

// ---- receive ------------------------------------------------------------------------------

static int accepts(const u8 *f, u32 len)
{
  u32 r = rfcr;
  if (!(r & RFCR_RFEN) || len < 14)
    return 0;
  if (f[0] & 1) {
    int bcast = f[0] == 0xff && f[1] == 0xff && f[2] == 0xff && f[3] == 0xff && f[4] == 0xff && f[5] == 0xff;
    return bcast ? (r & (RFCR_AAB | RFCR_AAM)) != 0 : (r & RFCR_AAM) != 0;
  }
  if (r & RFCR_AAU)
    return 1;
  if (!(r & RFCR_APM))
    return 0;
  return memcmp(f, filt, 6) == 0;
}

static u32 dest_bits(const u8 *f)
{
  if (!(f[0] & 1))
    return DEST_SELF;
  int bcast = f[0] == 0xff && f[1] == 0xff && f[2] == 0xff && f[3] == 0xff && f[4] == 0xff && f[5] == 0xff;
  return bcast ? DEST_SELF | DEST_MULTI : DEST_MULTI;
}

static void rx_idle(void)
{
  rx_on = 0;
  isr |= ISR_RXIDLE;
}

// Places the frame at the FIFO's head at RXDP; 0 if it could not (idle or error).
static int rx_one(void)
{
  u32 id = fifo[fifo_tail % RXB].id;
  const u8 *frame = rxbuf[id];
  u32 len = fifo[fifo_tail % RXB].len;
  if (rxcfg & RXCFG_STRIPCRC)
    len -= 4;
  u32 descs[MAX_CHAIN], sizes[MAX_CHAIN], n = 0, room = 0, d = rxdp;
  for (;;) {
    if (!gpa_ok(d, 16)) {
      dev_error(0, "descriptor outside guest memory", d);
      return 0;
    }
    u32 c = gword(d)[2], link = gword(d)[0];
    if (c & OWN) {
      rx_idle();
      return 0;
    }
    descs[n] = d;
    sizes[n++] = c & SIZE;
    room += c & SIZE;
    if (room >= len)
      break;
    if (!link || n == MAX_CHAIN) {
      rx_idle();                         // not enough buffers yet: wait at RXDP
      return 0;
    }
    d = link;
  }
  u32 ext = (vrcr & VRCR_IPEN) ? fifo[fifo_tail % RXB].ext : 0, dest = dest_bits(frame), off = 0;
  for (u32 i = 0; i < n; i++) {
    u32 k = sizes[i] < len - off ? sizes[i] : len - off;
    u32 buf = gword(descs[i])[1];
    if (!gpa_ok(buf, k)) {
      dev_error(0, "buffer outside guest memory", buf);
      return 0;
    }
    copy((void *)(buf + wedge_guest_virt_off), frame + off, k);
    off += k;
    if (gword(descs[i])[2] & INTR)
      isr |= ISR_RXDESC;
    gword(descs[i])[3] = ext;
    gword(descs[i])[2] = OWN | (i == n - 1 ? OK : MORE) | dest | k;
  }
  STAT(NIC_RX_FRAMES);
  isr |= ISR_RXOK;
  u32 last = descs[n - 1], link = gword(last)[0];
  if (!link) {
    rxdp = last;
    rx_at_null = 1;
  } else {
    rxdp = link;
  }
  return 1;
}

static void pump_rx(void)
{
  while (rx_on && fifo_tail != fifo_head) {
    if (rx_at_null) {
      if (!gpa_ok(rxdp, 16)) {
        dev_error(0, "descriptor outside guest memory", rxdp);
        return;
      }
      u32 link = gword(rxdp)[0];
      if (!link) {
        rx_idle();
        return;
      }
      rxdp = link;
      rx_at_null = 0;
    }
    if (!rx_one())
      return;
    rx_post(fifo[fifo_tail % RXB].id);
    fifo_tail++;
  }
}

static void fifo_flush(void)
{
  while (fifo_tail != fifo_head)
    rx_post(fifo[fifo_tail++ % RXB].id);
}

// Takes the back half's receive responses into the FIFO (the filter decides on each).
static void rx_responses(void)
{
  struct netif_sring *r = nif.rx;
  do {
    while (rx_rsp_cons != r->rsp_prod) {
      barrier();
      const struct netif_slot *s = &r->ring[rx_rsp_cons & (NETIF_RING - 1)];
      u32 id = s->id, size = s->size;
      s32 st = s->status;
      u32 ext = s->ext;
      rx_rsp_cons++;
      if (id >= RXB)
        wpanic("netif: receive response names buffer %u", id);
      if (st < 0 || size < 18 || size > RXB_SIZE || !rx_mac_on || !accepts(rxbuf[id], size - 4)) {
        rx_post(id);                     // not for the guest: the buffer goes straight back
        continue;
      }
      fifo[fifo_head % RXB].id = (u8)id;
      fifo[fifo_head % RXB].len = (u16)size;
      fifo[fifo_head % RXB].ext = ext;
      fifo_head++;
    }
    r->rsp_event = rx_rsp_cons + 1;      // the next frame is worth an event
    barrier();
  } while (rx_rsp_cons != r->rsp_prod);
  u32 dropped = r->dropped;
  if (dropped != rx_dropped_seen) {
    u32 k = dropped - rx_dropped_seen;
    rx_dropped_seen = dropped;
    STAT_ADD(NIC_RX_MISSED, k);
    if (!(mibc & MIBC_FRZ))
      mib[(MIB_RX_MISSED - MIB_FIRST) >> 2] = (mib[(MIB_RX_MISSED - MIB_FIRST) >> 2] + k > 0xffff) ? 0xffff
                                            : mib[(MIB_RX_MISSED - MIB_FIRST) >> 2] + k;
    isr |= ISR_RXORN;
  }
}

// ---- transmit -----------------------------------------------------------------------------

static void tx_idle(void)
{
  tx_on = 0;
  isr |= ISR_TXIDLE;
}

static void tx_start(void)
{
  if (tx_on)
    return;
  if (tx_at_null) {
    if (!gpa_ok(txdp, 16)) {
      dev_error(1, "descriptor outside guest memory", txdp);
      return;
    }
    u32 link = gword(txdp)[0];
    if (!link) {
      isr |= ISR_TXIDLE;
      return;
    }
    txdp = link;
    tx_at_null = 0;
  }
  tx_on = 1;
  tx_kick = 1;
  nic_flush_wanted = 1;
}

// Puts the next frame at TXDP on the ring: 1 if it did, 0 when the engine idled or the ring
// is full (the walk resumes at the next flush).
static int tx_post_one(void)
{
  u32 d = txdp, n = 0, cmd = 0, descs[MAX_CHAIN], sizes[MAX_CHAIN];
  for (;;) {
    if (!gpa_ok(d, 16)) {
      dev_error(1, "descriptor outside guest memory", d);
      return 0;
    }
    u32 c = gword(d)[2], link = gword(d)[0];
    if (!(c & OWN)) {
      tx_idle();                         // nothing handed over here (or the rest of a chain not yet)
      return 0;
    }
    descs[n] = d;
    sizes[n++] = c & SIZE;
    cmd |= c;
    if (!(c & MORE))
      break;
    if (!link) {
      dev_error(1, "descriptor with MORE and a null link", d);
      return 0;
    }
    if (n == MAX_CHAIN) {
      dev_error(1, "frame spans more descriptors than the wedge follows", txdp);
      return 0;
    }
    d = link;
  }
  if (txf_head - txf_tail == TXQ || tx_req_prod - tx_rsp_cons + n > NETIF_RING)
    return 0;
  for (u32 i = 0; i < n; i++) {
    u32 buf = gword(descs[i])[1];
    if (!gpa_ok(buf, sizes[i])) {
      dev_error(1, "buffer outside guest memory", buf);
      return 0;
    }
  }
  u32 f = txf_head % TXQ, ext = (vtcr & VTCR_PPCHK) ? gword(descs[0])[3] : 0;
  for (u32 i = 0; i < n; i++) {
    struct netif_slot *s = &nif.tx->ring[tx_req_prod++ & (NETIF_RING - 1)];
    s->addr = gword(descs[i])[1];
    s->size = (u16)sizes[i];
    s->id = (u16)f;
    s->status = i + 1 < n ? NETIF_MORE : 0;
    s->ext = i == 0 ? ext : 0;
    txf[f].desc[i] = descs[i];
    STAT(NIC_TX_REQS);
  }
  txf[f].n = txf[f].left = (u8)n;
  txf[f].cmd = cmd;
  txf_head++;
  u32 last = descs[n - 1], link = gword(last)[0];
  if (!link) {
    txdp = last;
    tx_at_null = 1;
    tx_idle();
  } else {
    txdp = link;
  }
  return 1;
}

// Completes the frames the back half answered: OWN cleared, OK set, on each descriptor.
static void tx_responses(void)
{
  struct netif_sring *r = nif.tx;
  while (tx_rsp_cons != r->rsp_prod) {
    barrier();
    const struct netif_slot *s = &r->ring[tx_rsp_cons++ & (NETIF_RING - 1)];
    u32 f = txf_tail % TXQ;
    if (s->id != f || txf_tail == txf_head)
      wpanic("netif: transmit response %u out of order (expected %u)", s->id, f);
    if (s->status < 0)
      dev_error(1, "frame refused by the back half", txf[f].desc[0]);
    if (--txf[f].left)
      continue;
    for (u32 i = 0; i < txf[f].n; i++) {
      u32 c = gword(txf[f].desc[i])[2];
      gword(txf[f].desc[i])[2] = (c & ~OWN & ~ERR) | (s->status < 0 ? ERR : OK);
    }
    STAT(NIC_TX_FRAMES);
    isr |= ISR_TXOK;
    if (txf[f].cmd & INTR)
      isr |= ISR_TXDESC;
    txf_tail++;
  }
}

// Hands the frames at TXDP to the back half: all of them, one notification per ring-full (one
// per frame without batching).
static void tx_run(void)
{
  for (;;) {
    u32 old = tx_req_prod, posted = 0;
#ifdef WEDGE_NIC_NOBATCH
    posted = (u32)tx_post_one();
#else
    while (tx_on && tx_post_one())
      posted++;
#endif
    if (!posted)
      break;
    barrier();
    nif.tx->req_prod = tx_req_prod;
    barrier();
    if ((u32)(tx_req_prod - nif.tx->req_event) < (u32)(tx_req_prod - old))
      be_netif_notify();
    tx_responses();
    if (!tx_on)
      break;
  }
  tx_kick = tx_on;
}

// ---- registers ----------------------------------------------------------------------------

static void load_station_address(void)
{
  memcpy(filt, nif.mac, 6);
}

static void reset(void)
{
  cfg = mear = ptscr = isr = imr = ier = ihr = txdp = txcfg = gpior = rxdp = rxcfg = 0;
  pqcr = wcsr = pcr = rfcr = mibc = vrcr = vtcr = vdr = ccsr = 0;
  memset(tbi, 0, sizeof tbi);
  memset(mib, 0, sizeof mib);
  memset(filt, 0, sizeof filt);
  load_station_address();
  tx_on = tx_at_null = tx_kick = 0;
  rx_on = rx_mac_on = rx_at_null = 0;
  fifo_flush();
  holdoff_until = 0;
}

static void command(u32 v)
{
  if (v & CR_RST) {
    reset();
    return;
  }
  if (v & CR_TXR) {
    tx_on = tx_at_null = tx_kick = 0;
    isr |= ISR_TXRCMP;
  }
  if (v & CR_RXR) {
    rx_on = rx_mac_on = rx_at_null = 0;
    fifo_flush();
    isr |= ISR_RXRCMP;
  }
  if (v & CR_TXD)
    tx_on = 0;
  else if (v & CR_TXE)
    tx_start();
  if (v & CR_RXD) {
    rx_on = rx_mac_on = 0;
  } else if (v & CR_RXE) {
    rx_mac_on = 1;
    if (!rx_on) {
      rx_on = 1;
      pump_rx();
    }
  }
  if (v & CR_SWI)
    isr |= ISR_SWI;
#ifdef WEDGE_NIC_NOBATCH
  if (tx_kick)
    tx_run();
#endif
}

u32 nic_read(u32 off)
{
  STAT(NIC_READS);
  switch (off & 0xffc) {
  case CR: return (tx_on ? CR_TXE : 0) | (rx_on ? CR_RXE : 0);
  case CFG: return (cfg & ~CFG_STATUS) | CFG_LINK_1000_FULL;
  case MEAR: return mear;
  case PTSCR: return ptscr;
  case ISR: {
    u32 v = isr;
    isr = 0;
    start_holdoff();
    update_irq();
    return v;
  }
  case IMR: return imr;
  case IER: return ier;
  case IHR: return ihr;
  case TXDP: return txdp;
  case TXCFG: return txcfg;
  case GPIOR: return gpior;
  case RXDP: return rxdp;
  case RXCFG: return rxcfg;
  case PQCR: return pqcr;
  case WCSR: return wcsr;
  case PCR: return pcr;
  case RFCR: return rfcr;
  case RFDR: {
    u32 a = rfcr & RFCR_ADDR & ~1u;
    return filt[a] | (u32)filt[a + 1] << 8;
  }
  case SRR: return SRR_VALUE;
  case MIBC: return mibc;
  case VRCR: return vrcr;
  case VTCR: return vtcr;
  case VDR: return vdr;
  case CCSR: return ccsr;
  default:
    if (off >= MIB_FIRST && off <= MIB_LAST)
      return mib[(off - MIB_FIRST) >> 2];
    if (off >= TBICR && off <= TESR)
      return tbi[(off - TBICR) >> 2];
    return 0;                            // TXDP_HI, RXDP_HI, BRAR, BRDR, reserved
  }
}

void nic_write(u32 off, u32 v)
{
  STAT(NIC_WRITES);
  switch (off & 0xffc) {
  case CR: command(v); break;
  case CFG: cfg = v & ~CFG_STATUS; break;
  case MEAR: mear = v; break;
  case PTSCR:
    ptscr = (v & PTSCR_RBIST_EN) ? PTSCR_RBIST_DONE : 0;   // BIST and EEPROM load pass at once
    if (v & PTSCR_EELOAD_EN)
      load_station_address();
    break;
  case IMR: imr = v; break;
  case IER: ier = v & 1; break;
  case IHR:
    ihr = v & 0x1ff;                     // applies from the next ISR read; 0 ends a holdoff
    if (!(v & 0xff))
      holdoff_until = 0;
    break;
  case TXDP: txdp = v & ~3u; tx_at_null = 0; break;
  case TXCFG: txcfg = v; break;
  case GPIOR: gpior = v; break;
  case RXDP: rxdp = v & ~3u; rx_at_null = 0; break;
  case RXCFG: rxcfg = v; break;
  case PQCR: pqcr = v; break;
  case WCSR: wcsr = v; break;
  case PCR: pcr = v; break;
  case RFCR: rfcr = v; break;
  case RFDR: {
    u32 a = rfcr & RFCR_ADDR & ~1u;
    filt[a] = (u8)v;
    filt[a + 1] = (u8)(v >> 8);
    break;
  }
  case MIBC:
    if (v & MIBC_ACLR)
      memset(mib, 0, sizeof mib);
    mibc = v & ~MIBC_ACLR;
    break;
  case VRCR: vrcr = v; break;
  case VTCR: vtcr = v; break;
  case VDR: vdr = v; break;
  case CCSR: ccsr = v; break;
  default:
    if (off >= TBICR && off <= TESR)
      tbi[(off - TBICR) >> 2] = v;
    break;                               // ISR and the counters are read-only
  }
  update_irq();
}

// ---- batching, events, start of day --------------------------------------------------------

void nic_flush(void)
{
  u8 mask = vcpu_irq_mask;
  vcpu_irq_mask = 1;
  nic_flush_wanted = 0;
  STAT(NIC_FLUSHES);
  if (tx_kick)
    tx_run();
  if (rx_notify_due) {
    rx_notify_due = 0;
    be_netif_notify();
  }
  update_irq();
  vcpu_irq_mask = mask;
}

void nic_event(void)
{
  STAT(NIC_EVENTS);
  tx_responses();
  rx_responses();
  pump_rx();
  update_irq();
}

int nic_owns(u32 pa) { return (pa & ~0xfffu) == bar; }

// PCI configuration mechanism 1 through the ports the hypervisor passes through.
static u32 pci_cfg(u32 dev, u32 reg)
{
  be_port_out(0xcf8, 4, 0x80000000u | dev << 11 | reg);
  return be_port_in(0xcfc, 4);
}

void nic_init(void)
{
  for (u32 dev = 0; dev < 32 && bar == ~0u; dev++)
    if (pci_cfg(dev, 0) == 0x0022100bu) {
      bar = pci_cfg(dev, 0x14) & ~0xfffu;
      irq_line = pci_cfg(dev, 0x3c) & 0xff;
    }
  if (bar == ~0u) {
    bar = 0xfffff000u;                   // no NIC on this machine: nothing to emulate
    return;
  }
  if (be_netif_connect(&nif) < 0)
    wpanic("netif: the hypervisor has no split network device for this domain");
  for (u32 i = 0; i < RXB; i++)
    rx_post(i);
  nif.rx->rsp_event = 1;
  nif.tx->rsp_event = 0x80000000u;       // transmit responses come back before the notify returns
  rx_notify_due = 0;
  nic_flush_wanted = 0;
  reset();
  wprintf("[wedge] dp83820 emulated: bar1 0x%08x irq %u, frames through the split network device\n", bar, irq_line);
}

// ---- the shared timer ---------------------------------------------------------------------

static u64 deadline[2], armed;

void dev_timer_set(u32 which, u64 ns)
{
  deadline[which] = ns;
  u64 m = deadline[0];
  if (deadline[1] && (!m || deadline[1] < m))
    m = deadline[1];
  if (m && m != armed) {
    armed = m;
    be_set_timer(m);
  }
}

// The back-end's timer fired: each user whose deadline passed gets its event.
void dev_timer_event(void)
{
  u64 now = be_time_ns();
  armed = 0;
  int pit_due = deadline[0] && deadline[0] <= now, nic_due = deadline[1] && deadline[1] <= now;
  if (pit_due)
    deadline[0] = 0;
  if (nic_due)
    deadline[1] = 0;
  if (pit_due)
    pit_timer_event();
  if (nic_due)
    nic_timer();
  dev_timer_set(0, deadline[0]);
}

#endif
