// The National Semiconductor DP83820 gigabit Ethernet controller, as a PCI function (100B:0022)
// with its registers in memory BAR1. What is modelled: the command register, TX and RX
// descriptor lists with DMA to and from guest RAM, the receive filter and station address
// (RFCR/RFDR), the interrupt status/mask/enable registers with the holdoff timer, the MIB
// counters, a 32 KiB receive FIFO, and IP/TCP/UDP checksum offload. What is not: the EEPROM and
// MII/TBI management interfaces (the link is always up at 1000 Mb/s full duplex), priority
// queues, VLAN tag handling, wake-on-LAN, pause frames, jumbo frames, 64-bit descriptors.
//
// Descriptors (32-bit addressing) are four words: link, bufptr, cmdsts, extsts. OWN means
// opposite things on the two lists: a TX descriptor with OWN set belongs to the NIC (the driver
// hands it over), an RX descriptor with OWN set belongs to the driver (the NIC hands back a filled
// buffer). The NIC follows link fields; a null link, or a descriptor it does not own, makes the
// engine go idle (TXIDLE / RXIDLE) until the driver writes CR TXE / RXE again, usually after
// writing TXDP / RXDP as Linux's ns83820 driver does.
//
// Timing: descriptor and buffer DMA take no time; a TX frame is fetched when the wire's
// transmitter is free (a one-frame transmit FIFO), so the ring drains at line rate; received
// frames wait in the RX FIFO while there is no descriptor for them and are dropped (RXORN, MIB
// missed-packets counter) when it is full.
import { ethernetFcs, ipHeaderChecksum, ipHeaderValid, transportChecksum, transportValid } from '../net/checksum.ts';
import type { DmaMemory, IrqLine } from '../types.ts';
import type { MmioDevice } from '../bus.ts';
import type { PciIdentity } from './pci.ts';
import type { LinkPort } from '../net/seams.ts';
import { TimeBase } from '../net/seams.ts';
import { frameBuffer } from '../net/frame-buffer.ts';

// Register offsets in BAR1.
export const CR = 0x00, CFG = 0x04, MEAR = 0x08, PTSCR = 0x0c, ISR = 0x10, IMR = 0x14, IER = 0x18,
  IHR = 0x1c, TXDP = 0x20, TXDP_HI = 0x24, TXCFG = 0x28, GPIOR = 0x2c, RXDP = 0x30, RXDP_HI = 0x34,
  RXCFG = 0x38, PQCR = 0x3c, WCSR = 0x40, PCR = 0x44, RFCR = 0x48, RFDR = 0x4c, BRAR = 0x50,
  BRDR = 0x54, SRR = 0x58, MIBC = 0x5c, MIB_FIRST = 0x60, MIB_LAST = 0x88, VRCR = 0xbc, VTCR = 0xc0,
  VDR = 0xc4, CCSR = 0xcc, TBICR = 0xe0, TBISR = 0xe4, TANAR = 0xe8, TANLPAR = 0xec, TANER = 0xf0,
  TESR = 0xf4;

export const CR_TXE = 0x1, CR_TXD = 0x2, CR_RXE = 0x4, CR_RXD = 0x8, CR_TXR = 0x10, CR_RXR = 0x20,
  CR_SWI = 0x80, CR_RST = 0x100;

export const ISR_RXOK = 0x1, ISR_RXDESC = 0x2, ISR_RXERR = 0x4, ISR_RXIDLE = 0x10, ISR_RXORN = 0x20,
  ISR_TXOK = 0x40, ISR_TXDESC = 0x80, ISR_TXERR = 0x100, ISR_TXIDLE = 0x200, ISR_TXURN = 0x400,
  ISR_MIB = 0x800, ISR_SWI = 0x1000, ISR_PHY = 0x4000, ISR_RXSOVR = 0x10000, ISR_RMABT = 0x40000,
  ISR_RXRCMP = 0x200000, ISR_TXRCMP = 0x400000;

export const CMDSTS_OWN = 0x80000000, CMDSTS_MORE = 0x40000000, CMDSTS_INTR = 0x20000000,
  CMDSTS_ERR = 0x10000000, CMDSTS_OK = 0x08000000, CMDSTS_DEST_SELF = 0x00800000,
  CMDSTS_DEST_MULTI = 0x01000000, CMDSTS_SIZE = 0xffff;

export const EXTSTS_IPPKT = 0x20000, EXTSTS_IPERR = 0x40000, EXTSTS_TCPPKT = 0x80000,
  EXTSTS_TCPERR = 0x100000, EXTSTS_UDPPKT = 0x200000, EXTSTS_UDPERR = 0x400000;

export const CFG_LNKSTS = 0x80000000, CFG_SPDSTS1 = 0x40000000, CFG_SPDSTS0 = 0x20000000,
  CFG_DUPSTS = 0x10000000;
const CFG_STATUS = CFG_LNKSTS | CFG_SPDSTS1 | CFG_SPDSTS0 | CFG_DUPSTS;
/**
 * The status pins as read: link up, 1000 Mb/s, full duplex, in the polarity Linux's ns83820
 * driver assumes by default (it XORs SPDSTS1|SPDSTS0|DUPSTS before decoding).
 */
export const CFG_STATUS_LINK_1000_FULL = CFG_LNKSTS | CFG_SPDSTS0;

export const TXCFG_ATP = 0x10000000;
export const RXCFG_STRIPCRC = 0x20000000;
export const RFCR_RFEN = 0x80000000, RFCR_AAB = 0x40000000, RFCR_AAM = 0x20000000,
  RFCR_AAU = 0x10000000, RFCR_APM = 0x08000000, RFCR_ADDR = 0x3ff;
export const PTSCR_EEBIST_EN = 0x2, PTSCR_EELOAD_EN = 0x4, PTSCR_RBIST_DONE = 0x200,
  PTSCR_RBIST_EN = 0x400, PTSCR_RBIST_RST = 0x2000;
export const MIBC_ACLR = 0x4, MIBC_FRZ = 0x2;
export const VRCR_IPEN = 0x10;
export const VTCR_PPCHK = 0x8;
/** IHR: holdoff in units of 100 us in bits 7:0. */
export const IHR_IH = 0xff;

/** MIB counter offsets and their widths in bits. */
export const MIB_RX_ERRORED = 0x60, MIB_RX_FCS = 0x64, MIB_RX_MISSED = 0x68, MIB_RX_FRAME_ALIGN = 0x6c,
  MIB_RX_SYMBOL = 0x70, MIB_RX_TOO_LONG = 0x74, MIB_RX_RANGE = 0x78, MIB_RX_BAD_OPCODE = 0x7c,
  MIB_RX_PAUSE = 0x80, MIB_TX_PAUSE = 0x84, MIB_TX_SQE = 0x88;
const MIB_WIDTH = (off: number): number => (off === MIB_TX_SQE ? 8 : off === MIB_RX_SYMBOL ? 8 : 16);

export const DP83820_PCI: PciIdentity = {
  vendorId: 0x100b,
  deviceId: 0x0022,
  classCode: 0x020000, // network controller, Ethernet
  revision: 0,
  memoryBars: [{ index: 1, size: 4096 }],
  interruptPin: 1,
};

/** Silicon revision: Linux boot logs of real boards show 'DP83820 v1.2' and 'v1.3' (SRR >> 8, & 0xff). */
export const SRR_VALUE = 0x0103;
/** Receive data FIFO size in bytes (the datasheet's 32 KB). */
export const RX_FIFO_BYTES = 32 * 1024;
const MAX_CHAIN = 64;          // descriptors in one frame before we call the list corrupt
const MAX_FRAME = 0xffff;

export interface Dp83820Options {
  /** Station address loaded from the (unmodelled) EEPROM at reset. */
  mac: Uint8Array;
  time: TimeBase;
  dma: DmaMemory;
  irq: IrqLine;
  /** The NIC's end of the wire; frames sent with no port are dropped as if no cable were plugged. */
  port?: LinkPort;
  /** Called with a message for every device error (bad DMA address, corrupt descriptor list). */
  onError?: (message: string) => void;
}

export interface Dp83820Stats {
  txFrames: number;
  rxFrames: number;
  rxDropped: number;
  interrupts: number;
}

export class Dp83820 implements MmioDevice {
  readonly size = 4096;
  readonly pci = DP83820_PCI;
  readonly errors: string[] = [];
  readonly stats: Dp83820Stats = { txFrames: 0, rxFrames: 0, rxDropped: 0, interrupts: 0 };

  private readonly time: TimeBase;
  private readonly dma: DmaMemory;
  private readonly irq: IrqLine;
  private port: LinkPort | undefined;
  private readonly mac: Uint8Array;

  // Plain registers.
  private cfg = 0; private mear = 0; private ptscr = 0; private isr = 0; private imr = 0; private ier = 0;
  private ihr = 0; private txdp = 0; private txcfg = 0; private gpior = 0; private rxdp = 0; private rxcfg = 0;
  private pqcr = 0; private wcsr = 0; private pcr = 0; private rfcr = 0; private mibc = 0;
  private vrcr = 0; private vtcr = 0; private vdr = 0; private ccsr = 0;
  private readonly tbi = new Uint32Array(6);
  private readonly mib = new Uint32Array(11);
  /** Receive filter memory, addressed by RFCR[9:0]; 0x000-0x005 hold the station address. */
  private readonly filterMem = new Uint8Array(0x400);

  // Engines.
  private txOn = false;
  private txScheduled = false;
  /** TXDP points at a descriptor whose null link stopped the engine: resume from its link. */
  private txAtNullLink = false;
  private rxOn = false;        // the DMA engine is walking descriptors
  private rxMacOn = false;     // the receiver accepts frames into the FIFO
  private rxAtNullLink = false;
  private readonly rxFifo: Uint8Array[] = [];
  private rxFifoBytes = 0;

  // Interrupt line and holdoff.
  private line = false;
  private holdoffUntil = -1;   // cycle until which INTA stays deasserted, -1 when not holding off
  private epoch = 0;           // bumped on reset: stale scheduled events check it and do nothing

  constructor(opts: Dp83820Options) {
    if (opts.mac.length !== 6) throw new Error('Dp83820: mac must be 6 bytes');
    this.time = opts.time;
    this.dma = opts.dma;
    this.irq = opts.irq;
    this.mac = opts.mac.slice();
    this.onError = opts.onError;
    this.attach(opts.port);
    this.reset();
  }

  private readonly onError: ((message: string) => void) | undefined;

  /** Its end of the wire, if plugged in. */
  get link(): LinkPort | undefined {
    return this.port;
  }

  /** The station address loaded at reset. */
  get stationAddress(): Uint8Array {
    return this.mac.slice();
  }

  /** Plugs the NIC into a wire end (or unplugs it with undefined). */
  attach(port: LinkPort | undefined): void {
    this.port = port;
    if (port) port.onReceive = (frame) => this.receive(frame);
  }

  // ---- MMIO ---------------------------------------------------------------------------------

  read32(offset: number): number {
    switch (offset & 0xffc) {
      case CR: return ((this.txOn ? CR_TXE : 0) | (this.rxOn ? CR_RXE : 0)) >>> 0;
      case CFG: return ((this.cfg & ~CFG_STATUS) | CFG_STATUS_LINK_1000_FULL) >>> 0;
      case MEAR: return this.mear;
      case PTSCR: return this.ptscr;
      case ISR: {
        const v = this.isr;
        this.isr = 0;
        this.startHoldoff();
        this.updateIrq();
        return v >>> 0;
      }
      case IMR: return this.imr;
      case IER: return this.ier;
      case IHR: return this.ihr;
      case TXDP: return this.txdp;
      case TXDP_HI: return 0;
      case TXCFG: return this.txcfg;
      case GPIOR: return this.gpior;
      case RXDP: return this.rxdp;
      case RXDP_HI: return 0;
      case RXCFG: return this.rxcfg;
      case PQCR: return this.pqcr;
      case WCSR: return this.wcsr;
      case PCR: return this.pcr;
      case RFCR: return this.rfcr;
      case RFDR: {
        const a = this.rfcr & RFCR_ADDR & ~1;
        return this.filterMem[a]! | (this.filterMem[a + 1]! << 8);
      }
      case BRAR: case BRDR: return 0;
      case SRR: return SRR_VALUE;
      case MIBC: return this.mibc;
      case VRCR: return this.vrcr;
      case VTCR: return this.vtcr;
      case VDR: return this.vdr;
      case CCSR: return this.ccsr;
      default:
        if (offset >= MIB_FIRST && offset <= MIB_LAST) return this.mib[(offset - MIB_FIRST) >> 2]!;
        if (offset >= TBICR && offset <= TESR) return this.tbi[(offset - TBICR) >> 2]!;
        return 0;
    }
  }

  write32(offset: number, value: number): void {
    value >>>= 0;
    switch (offset & 0xffc) {
      case CR: this.command(value); return;
      case CFG: this.cfg = value & ~CFG_STATUS; return;
      case MEAR: this.mear = value; return;
      case PTSCR: this.selfTest(value); return;
      case ISR: return; // read-only
      case IMR: this.imr = value; this.updateIrq(); return;
      case IER: this.ier = value & 1; this.updateIrq(); return;
      case IHR:
        // A new value applies from the next ISR read; writing 0 ends a holdoff in progress.
        this.ihr = value & 0x1ff;
        if ((value & IHR_IH) === 0) this.holdoffUntil = -1;
        this.updateIrq();
        return;
      case TXDP: this.txdp = value & ~3; this.txAtNullLink = false; return;
      case TXCFG: this.txcfg = value; return;
      case GPIOR: this.gpior = value; return;
      case RXDP: this.rxdp = value & ~3; this.rxAtNullLink = false; return;
      case RXCFG: this.rxcfg = value; return;
      case PQCR: this.pqcr = value; return;
      case WCSR: this.wcsr = value; return;
      case PCR: this.pcr = value; return;
      case RFCR: this.rfcr = value; return;
      case RFDR: {
        const a = this.rfcr & RFCR_ADDR & ~1;
        this.filterMem[a] = value & 0xff;
        this.filterMem[a + 1] = (value >>> 8) & 0xff;
        return;
      }
      case MIBC:
        if (value & MIBC_ACLR) this.mib.fill(0);
        this.mibc = value & ~MIBC_ACLR;
        return;
      case VRCR: this.vrcr = value; return;
      case VTCR: this.vtcr = value; return;
      case VDR: this.vdr = value; return;
      case CCSR: this.ccsr = value; return;
      default:
        if (offset >= TBICR && offset <= TESR) this.tbi[(offset - TBICR) >> 2] = value;
    }
  }

  /** Byte and word accesses for buses that make them: whole-register reads, read-modify-write. */
  mmioRead(offset: number, size: 1 | 2 | 4): number {
    const v = this.read32(offset & ~3);
    if (size === 4) return v;
    const shift = (offset & 3) * 8;
    return (v >>> shift) & (size === 1 ? 0xff : 0xffff);
  }

  mmioWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    if (size === 4) return this.write32(offset, value);
    const shift = (offset & 3) * 8;
    const mask = (size === 1 ? 0xff : 0xffff) << shift;
    const old = (offset & 0xffc) === CR || (offset & 0xffc) === ISR ? 0 : this.read32(offset & ~3);
    this.write32(offset & ~3, (old & ~mask) | ((value << shift) & mask));
  }

  // ---- command, reset, self test ------------------------------------------------------------

  private command(v: number): void {
    if (v & CR_RST) {
      this.reset();
      return;
    }
    if (v & CR_TXR) {
      this.txOn = false;
      this.txAtNullLink = false;
      this.isr |= ISR_TXRCMP;
    }
    if (v & CR_RXR) {
      this.rxOn = false;
      this.rxMacOn = false;
      this.rxAtNullLink = false;
      this.rxFifo.length = 0;
      this.rxFifoBytes = 0;
      this.isr |= ISR_RXRCMP;
    }
    if (v & CR_TXD) this.txOn = false;
    else if (v & CR_TXE) this.startTx();
    if (v & CR_RXD) {
      this.rxOn = false;
      this.rxMacOn = false;
    } else if (v & CR_RXE) {
      this.rxMacOn = true;
      if (!this.rxOn) {
        this.rxOn = true;
        this.pumpRx();
      }
    }
    if (v & CR_SWI) this.isr |= ISR_SWI;
    this.updateIrq();
  }

  private reset(): void {
    this.epoch++;
    this.cfg = 0; this.mear = 0; this.ptscr = 0; this.isr = 0; this.imr = 0; this.ier = 0; this.ihr = 0;
    this.txdp = 0; this.txcfg = 0; this.gpior = 0; this.rxdp = 0; this.rxcfg = 0; this.pqcr = 0;
    this.wcsr = 0; this.pcr = 0; this.rfcr = 0; this.mibc = 0; this.vrcr = 0; this.vtcr = 0; this.vdr = 0;
    this.ccsr = 0;
    this.tbi.fill(0);
    this.mib.fill(0);
    this.filterMem.fill(0);
    this.loadStationAddress();
    this.txOn = false; this.txScheduled = false; this.txAtNullLink = false;
    this.rxOn = false; this.rxMacOn = false; this.rxAtNullLink = false;
    this.rxFifo.length = 0; this.rxFifoBytes = 0;
    this.holdoffUntil = -1;
    this.updateIrq();
  }

  /** The EEPROM load: the station address into the perfect-match filter memory. */
  private loadStationAddress(): void {
    this.filterMem.set(this.mac, 0);
  }

  /** BIST and EEPROM load finish at once and pass. */
  private selfTest(v: number): void {
    let r = 0;
    if (v & PTSCR_RBIST_EN) r |= PTSCR_RBIST_DONE;
    if (v & PTSCR_EELOAD_EN) this.loadStationAddress();
    this.ptscr = r;
  }

  // ---- interrupts ---------------------------------------------------------------------------

  private updateIrq(): void {
    const holding = this.holdoffUntil >= 0 && this.time.clock.now() < this.holdoffUntil;
    const want = (this.ier & 1) !== 0 && (this.isr & this.imr) !== 0 && !holding;
    if (want === this.line) return;
    this.line = want;
    if (want) {
      this.stats.interrupts++;
      this.irq.raise();
    } else {
      this.irq.lower();
    }
  }

  /**
   * The holdoff timer: after the driver reads ISR, INTA stays deasserted for IHR[7:0] x 100 us
   * while events accumulate in ISR; then it asserts if any unmasked event is pending.
   */
  private startHoldoff(): void {
    const units = this.ihr & IHR_IH;
    if (units === 0) {
      this.holdoffUntil = -1;
      return;
    }
    const until = this.time.clock.now() + Math.round(units * 100 * this.time.mhz);
    this.holdoffUntil = until;
    const epoch = this.epoch;
    this.time.clock.schedule(until, 'net', () => {
      if (epoch !== this.epoch || this.holdoffUntil !== until) return;
      this.holdoffUntil = -1;
      this.updateIrq();
    });
  }

  /** True while INTA is asserted (for tests and the machine's debugger). */
  get interruptAsserted(): boolean {
    return this.line;
  }

  // ---- device errors ------------------------------------------------------------------------

  private deviceError(engine: 'tx' | 'rx', message: string): void {
    const m = `dp83820 ${engine}: ${message}`;
    this.errors.push(m);
    this.onError?.(m);
    this.isr |= ISR_RMABT | (engine === 'tx' ? ISR_TXERR : ISR_RXERR);
    if (engine === 'tx') this.txOn = false;
    else this.rxOn = false;
    this.updateIrq();
  }

  private hex(n: number): string {
    return '0x' + (n >>> 0).toString(16).padStart(8, '0');
  }

  // ---- transmit -----------------------------------------------------------------------------

  private startTx(): void {
    if (this.txOn) return;
    if (this.txAtNullLink) {
      const link = this.dma.read32(this.txdp);
      if (link === undefined) return this.deviceError('tx', `descriptor at ${this.hex(this.txdp)} is outside guest RAM`);
      if (link === 0) {
        this.isr |= ISR_TXIDLE;
        return;
      }
      this.txdp = link;
      this.txAtNullLink = false;
    }
    this.txOn = true;
    this.scheduleTx(this.time.clock.now());
  }

  private scheduleTx(atCycle: number): void {
    if (this.txScheduled) return;
    this.txScheduled = true;
    const epoch = this.epoch;
    this.time.clock.schedule(atCycle, 'net', () => {
      if (epoch !== this.epoch) return;
      this.txScheduled = false;
      this.txStep();
    });
  }

  /** Sends one frame from the descriptor list at TXDP, or goes idle. */
  private txStep(): void {
    if (!this.txOn) return;
    const descs: number[] = [];
    const sizes: number[] = [];
    let total = 0;
    let d = this.txdp;
    let cmd = 0;
    for (;;) {
      const c = this.dma.read32(d + 8);
      const link = this.dma.read32(d);
      if (c === undefined || link === undefined || this.dma.read32(d + 12) === undefined) {
        return this.deviceError('tx', `descriptor at ${this.hex(d)} is outside guest RAM`);
      }
      if (!(c & CMDSTS_OWN)) {
        // Nothing handed over here, or the rest of a MORE chain not yet: idle at the frame's
        // first descriptor until the next TXE.
        return this.txIdle();
      }
      descs.push(d);
      sizes.push(c & CMDSTS_SIZE);
      total += c & CMDSTS_SIZE;
      cmd |= c;
      if (!(c & CMDSTS_MORE)) break;
      if (link === 0) return this.deviceError('tx', `descriptor at ${this.hex(d)} has MORE and a null link`);
      if (descs.length >= MAX_CHAIN || total > MAX_FRAME) {
        return this.deviceError('tx', `frame at ${this.hex(this.txdp)} spans more than ${MAX_CHAIN} descriptors or ${MAX_FRAME} bytes`);
      }
      d = link;
    }
    const pad = this.txcfg & TXCFG_ATP && total < 60 ? 60 : total;
    const frame = frameBuffer(pad);
    let off = 0;
    for (let i = 0; i < descs.length; i++) {
      const buf = this.dma.read32(descs[i]! + 4)!;
      if (!this.dma.read(buf, frame, off, sizes[i]!)) {
        return this.deviceError('tx', `buffer ${this.hex(buf)}+${sizes[i]} of descriptor ${this.hex(descs[i]!)} is outside guest RAM`);
      }
      off += sizes[i]!;
    }
    const lastDesc = descs[descs.length - 1]!;
    const ext = this.dma.read32(descs[0]! + 12)!;
    if (this.vtcr & VTCR_PPCHK) txChecksumOffload(frame, ext);
    // Status write-back: OWN cleared, OK set, on every descriptor of the frame.
    for (const desc of descs) {
      const c = this.dma.read32(desc + 8)!;
      this.dma.write32(desc + 8, ((c & ~CMDSTS_OWN & ~CMDSTS_ERR) | CMDSTS_OK) >>> 0);
    }
    const link = this.dma.read32(lastDesc)!;
    this.stats.txFrames++;
    this.port?.send(frame);
    this.isr |= ISR_TXOK;
    if (cmd & CMDSTS_INTR) this.isr |= ISR_TXDESC;
    if (link === 0) {
      this.txdp = lastDesc;
      this.txAtNullLink = true;
      this.txIdle();
      return;
    }
    this.txdp = link;
    this.updateIrq();
    const freeNs = this.port ? this.port.freeAtNs() : this.time.nowNs();
    this.scheduleTx(this.time.cyclesAt(freeNs));
  }

  private txIdle(): void {
    this.txOn = false;
    this.isr |= ISR_TXIDLE;
    this.updateIrq();
  }

  // ---- receive ------------------------------------------------------------------------------

  /** A frame has arrived from the wire. */
  receive(frame: Uint8Array): void {
    if (!this.rxMacOn || !this.accepts(frame)) return;
    let data = frame;
    if (!(this.rxcfg & RXCFG_STRIPCRC)) {
      data = frameBuffer(frame.length + 4);
      data.set(frame);
      data.set(ethernetFcs(frame), frame.length);
    }
    if (this.rxFifoBytes + data.length > RX_FIFO_BYTES) {
      this.stats.rxDropped++;
      this.countMib(MIB_RX_MISSED);
      this.isr |= ISR_RXORN;
      this.updateIrq();
      return;
    }
    this.rxFifo.push(data);
    this.rxFifoBytes += data.length;
    this.pumpRx();
  }

  /** The receive filter (RFCR): broadcast, multicast, all unicast, perfect match. */
  private accepts(f: Uint8Array): boolean {
    const r = this.rfcr;
    if (!(r & RFCR_RFEN) || f.length < 14) return false;
    if (f[0]! & 1) {
      const bcast = f[0] === 0xff && f[1] === 0xff && f[2] === 0xff && f[3] === 0xff && f[4] === 0xff && f[5] === 0xff;
      return bcast ? (r & (RFCR_AAB | RFCR_AAM)) !== 0 : (r & RFCR_AAM) !== 0;
    }
    if (r & RFCR_AAU) return true;
    if (!(r & RFCR_APM)) return false;
    const m = this.filterMem;
    return f[0] === m[0] && f[1] === m[1] && f[2] === m[2] && f[3] === m[3] && f[4] === m[4] && f[5] === m[5];
  }

  private countMib(off: number): void {
    if (this.mibc & MIBC_FRZ) return;
    const i = (off - MIB_FIRST) >> 2;
    const max = 2 ** MIB_WIDTH(off) - 1;
    if (this.mib[i]! < max) this.mib[i]!++;
  }

  /** Moves frames from the FIFO into RX descriptors while both are available. */
  private pumpRx(): void {
    while (this.rxOn && this.rxFifo.length > 0) {
      if (this.rxAtNullLink) {
        const link = this.dma.read32(this.rxdp);
        if (link === undefined) return this.deviceError('rx', `descriptor at ${this.hex(this.rxdp)} is outside guest RAM`);
        if (link === 0) return this.rxIdle();
        this.rxdp = link;
        this.rxAtNullLink = false;
      }
      if (!this.rxOne(this.rxFifo[0]!)) return;
      const f = this.rxFifo.shift()!;
      this.rxFifoBytes -= f.length;
    }
  }

  /** Places one frame at RXDP; false if it could not (idle or error), leaving it in the FIFO. */
  private rxOne(frame: Uint8Array): boolean {
    // Gather enough NIC-owned descriptors for the frame before writing anything.
    const descs: number[] = [];
    const sizes: number[] = [];
    let room = 0;
    let d = this.rxdp;
    for (;;) {
      const c = this.dma.read32(d + 8);
      const link = this.dma.read32(d);
      if (c === undefined || link === undefined || this.dma.read32(d + 12) === undefined) {
        this.deviceError('rx', `descriptor at ${this.hex(d)} is outside guest RAM`);
        return false;
      }
      if (c & CMDSTS_OWN) {
        this.rxIdle();
        return false;
      }
      descs.push(d);
      sizes.push(c & CMDSTS_SIZE);
      room += c & CMDSTS_SIZE;
      if (room >= frame.length) break;
      if (link === 0 || descs.length >= MAX_CHAIN) {
        // Not enough buffers for the frame yet: wait at RXDP for the driver to add some.
        this.rxIdle();
        return false;
      }
      d = link;
    }
    const ext = this.vrcr & VRCR_IPEN ? rxChecksumStatus(frame) : 0;
    const dest = destBits(frame);
    let off = 0;
    for (let i = 0; i < descs.length; i++) {
      const desc = descs[i]!;
      const n = Math.min(sizes[i]!, frame.length - off);
      const buf = this.dma.read32(desc + 4)!;
      if (!this.dma.write(buf, frame, off, n)) {
        this.deviceError('rx', `buffer ${this.hex(buf)}+${n} of descriptor ${this.hex(desc)} is outside guest RAM`);
        return false;
      }
      off += n;
      const last = i === descs.length - 1;
      const c = this.dma.read32(desc + 8)!;
      if (c & CMDSTS_INTR) this.isr |= ISR_RXDESC;
      this.dma.write32(desc + 12, ext);
      this.dma.write32(desc + 8, (CMDSTS_OWN | (last ? CMDSTS_OK : CMDSTS_MORE) | dest | n) >>> 0);
    }
    this.stats.rxFrames++;
    this.isr |= ISR_RXOK;
    const lastDesc = descs[descs.length - 1]!;
    const link = this.dma.read32(lastDesc)!;
    if (link === 0) {
      this.rxdp = lastDesc;
      this.rxAtNullLink = true;
    } else {
      this.rxdp = link;
    }
    this.updateIrq();
    return true;
  }

  private rxIdle(): void {
    this.rxOn = false;
    this.isr |= ISR_RXIDLE;
    this.updateIrq();
  }
}

function destBits(f: Uint8Array): number {
  if (!(f[0]! & 1)) return CMDSTS_DEST_SELF;
  const bcast = f[0] === 0xff && f[1] === 0xff && f[2] === 0xff && f[3] === 0xff && f[4] === 0xff && f[5] === 0xff;
  return bcast ? CMDSTS_DEST_SELF | CMDSTS_DEST_MULTI : CMDSTS_DEST_MULTI;
}

/** Where the IPv4 header and the TCP/UDP segment of an Ethernet frame are, if it carries one. */
function ipv4Layout(f: Uint8Array): { ihl: number; proto: number; seg: number; segLen: number } | undefined {
  if (f.length < 34 || f[12] !== 0x08 || f[13] !== 0x00 || f[14]! >> 4 !== 4) return undefined;
  const ihl = (f[14]! & 0xf) * 4;
  const total = (f[16]! << 8) | f[17]!;
  if (ihl < 20 || total < ihl || 14 + total > f.length) return undefined;
  const fragmented = ((f[20]! & 0x3f) << 8 | f[21]!) !== 0;
  return { ihl, proto: fragmented ? 0 : f[23]!, seg: 14 + ihl, segLen: total - ihl };
}

/** RX checksum offload: extsts IPPKT/TCPPKT/UDPPKT with the matching ERR bit when a check fails. */
export function rxChecksumStatus(f: Uint8Array): number {
  const l = ipv4Layout(f);
  if (!l) return 0;
  let ext = EXTSTS_IPPKT;
  if (!ipHeaderValid(f, 14, l.ihl)) ext |= EXTSTS_IPERR;
  if (l.proto === 6) {
    ext |= EXTSTS_TCPPKT;
    if (!transportValid(f, 14, l.seg, l.segLen, 6)) ext |= EXTSTS_TCPERR;
  } else if (l.proto === 17) {
    ext |= EXTSTS_UDPPKT;
    const zero = l.segLen >= 8 && f[l.seg + 6] === 0 && f[l.seg + 7] === 0;
    if (!zero && !transportValid(f, 14, l.seg, l.segLen, 17)) ext |= EXTSTS_UDPERR;
  }
  return ext;
}

/**
 * TX checksum offload, per packet as the first descriptor's extsts asks: the NIC computes the
 * IP header checksum (IPPKT) and the TCP or UDP checksum (TCPPKT/UDPPKT) from scratch over the
 * pseudo header and segment, whatever the checksum fields held.
 */
export function txChecksumOffload(f: Uint8Array, ext: number): void {
  if (!(ext & (EXTSTS_IPPKT | EXTSTS_TCPPKT | EXTSTS_UDPPKT))) return;
  const l = ipv4Layout(f);
  if (!l) return;
  if (ext & EXTSTS_IPPKT) {
    f[24] = 0; f[25] = 0;
    const c = ipHeaderChecksum(f, 14, l.ihl);
    f[24] = c >> 8; f[25] = c & 0xff;
  }
  const field = ext & EXTSTS_TCPPKT && l.proto === 6 ? 16 : ext & EXTSTS_UDPPKT && l.proto === 17 ? 6 : -1;
  if (field < 0 || l.segLen < field + 2) return;
  f[l.seg + field] = 0; f[l.seg + field + 1] = 0;
  let c = transportChecksum(f, 14, l.seg, l.segLen, l.proto);
  if (l.proto === 17 && c === 0) c = 0xffff;
  f[l.seg + field] = c >> 8; f[l.seg + field + 1] = c & 0xff;
}
