// A driver for the DP83820 written in TypeScript for tests, shaped like Linux's ns83820: a
// circular RX ring handed to the NIC, a circular TX ring, one ISR read per interrupt, RX refill
// and re-arm (RXDP + CR_RXE) after RXIDLE, TX reaping on TXDESC/TXIDLE/TXOK. It presents itself
// as a LinkPort so a peer Host can sit on top of it as the "guest" TCP stack. The CPU is not
// modelled: an interrupt is handled isrLatencyNs after the line rises.
import {
  CMDSTS_INTR, CMDSTS_OWN, CMDSTS_SIZE, CR, CR_RST, CR_RXE, CR_TXE, Dp83820, IER, IHR, IMR, ISR,
  ISR_RXDESC, ISR_RXIDLE, ISR_RXOK, ISR_RXORN, ISR_TXDESC, ISR_TXIDLE, ISR_TXOK, RFCR, RFCR_AAB,
  RFCR_APM, RFCR_RFEN, RXCFG, RXCFG_STRIPCRC, RXDP, TXCFG, TXCFG_ATP, TXDP,
} from '../../../emulator/devices/dp83820.ts';
import type { LinkPort, TimeBase } from '../../../emulator/net/seams.ts';

export interface RingDriverOptions {
  rxDescs: number;
  txDescs: number;
  isrLatencyNs: number;
  ihr?: number;
}

const DESC = 16;
const BUF = 2048;

export class RingDriver implements LinkPort {
  onReceive: (frame: Uint8Array) => void = () => {};
  rxIdleSeen = 0;
  interrupts = 0;
  private readonly view: DataView;
  private readonly rxBase = 0x10000;
  private readonly txBase = 0x20000;
  private readonly rxBufs = 0x100000;
  private readonly txBufs = 0x200000;
  private nextRx = 0;
  private txFree = 0;   // next descriptor to fill
  private txDone = 0;   // next descriptor to reap
  private txInUse = 0;
  private readonly backlog: Uint8Array[] = [];
  nic!: Dp83820;

  constructor(private readonly ram: Uint8Array, private readonly time: TimeBase, private readonly o: RingDriverOptions) {
    this.view = new DataView(ram.buffer);
  }

  /** The IrqLine to give the NIC. */
  readonly irq = {
    raise: (): void => {
      this.time.atNs(this.time.nowNs() + this.o.isrLatencyNs, () => this.interrupt());
    },
    lower: (): void => {},
  };

  private desc(base: number, i: number): number {
    return base + i * DESC;
  }

  private put(d: number, link: number, buf: number, cmdsts: number): void {
    this.view.setUint32(d, link, true);
    this.view.setUint32(d + 4, buf, true);
    this.view.setUint32(d + 12, 0, true);
    this.view.setUint32(d + 8, cmdsts >>> 0, true);
  }

  private cmdsts(d: number): number {
    return this.view.getUint32(d + 8, true);
  }

  start(nic: Dp83820): void {
    this.nic = nic;
    nic.write32(CR, CR_RST);
    const { rxDescs: nr, txDescs: nt } = this.o;
    for (let i = 0; i < nr; i++) this.put(this.desc(this.rxBase, i), this.desc(this.rxBase, (i + 1) % nr), this.rxBufs + i * BUF, CMDSTS_INTR | 1536);
    for (let i = 0; i < nt; i++) this.put(this.desc(this.txBase, i), this.desc(this.txBase, (i + 1) % nt), this.txBufs + i * BUF, 0);
    nic.write32(TXCFG, TXCFG_ATP);
    nic.write32(RXCFG, RXCFG_STRIPCRC);
    nic.write32(RFCR, RFCR_RFEN | RFCR_AAB | RFCR_APM);
    nic.write32(IHR, this.o.ihr ?? 0);
    nic.write32(TXDP, this.txBase);
    nic.write32(RXDP, this.rxBase);
    nic.write32(IMR, ISR_RXOK | ISR_RXDESC | ISR_RXIDLE | ISR_RXORN | ISR_TXDESC | ISR_TXIDLE | ISR_TXOK);
    nic.write32(IER, 1);
    nic.write32(CR, CR_RXE);
  }

  // ---- LinkPort for the stack above ---------------------------------------------------------

  send(frame: Uint8Array): void {
    if (this.txInUse >= this.o.txDescs - 1) {
      this.backlog.push(frame);
      return;
    }
    this.queueTx(frame);
    this.nic.write32(CR, CR_TXE);
  }

  freeAtNs(): number {
    return this.time.nowNs();
  }

  private queueTx(frame: Uint8Array): void {
    const d = this.desc(this.txBase, this.txFree);
    const buf = this.txBufs + this.txFree * BUF;
    this.ram.set(frame, buf);
    // Interrupt on every 16th descriptor, as Linux asks for TXDESC on a quarter of its ring.
    const intr = this.txFree % 16 === 0 ? CMDSTS_INTR : 0;
    this.put(d, this.desc(this.txBase, (this.txFree + 1) % this.o.txDescs), buf, CMDSTS_OWN | intr | frame.length);
    this.txFree = (this.txFree + 1) % this.o.txDescs;
    this.txInUse++;
  }

  // ---- interrupt handler --------------------------------------------------------------------

  private interrupt(): void {
    this.interrupts++;
    const isr = this.nic.read32(ISR);
    if (isr & (ISR_RXOK | ISR_RXDESC | ISR_RXIDLE | ISR_RXORN)) this.reapRx(isr);
    if (isr & (ISR_TXOK | ISR_TXDESC | ISR_TXIDLE)) this.reapTx();
  }

  private reapRx(isr: number): void {
    const n = this.o.rxDescs;
    for (;;) {
      const d = this.desc(this.rxBase, this.nextRx);
      const c = this.cmdsts(d);
      if (!(c & CMDSTS_OWN)) break;
      const len = c & CMDSTS_SIZE;
      const frame = this.ram.slice(this.rxBufs + this.nextRx * BUF, this.rxBufs + this.nextRx * BUF + len);
      this.put(d, this.desc(this.rxBase, (this.nextRx + 1) % n), this.rxBufs + this.nextRx * BUF, CMDSTS_INTR | 1536);
      this.nextRx = (this.nextRx + 1) % n;
      this.onReceive(frame);
    }
    if (isr & ISR_RXIDLE) {
      this.rxIdleSeen++;
      this.nic.write32(RXDP, this.desc(this.rxBase, this.nextRx));
      this.nic.write32(CR, CR_RXE);
    }
  }

  private reapTx(): void {
    while (this.txInUse > 0 && !(this.cmdsts(this.desc(this.txBase, this.txDone)) & CMDSTS_OWN)) {
      this.txDone = (this.txDone + 1) % this.o.txDescs;
      this.txInUse--;
    }
    let queued = false;
    while (this.backlog.length > 0 && this.txInUse < this.o.txDescs - 1) {
      this.queueTx(this.backlog.shift()!);
      queued = true;
    }
    if (queued || this.txInUse > 0) this.nic.write32(CR, CR_TXE);
  }
}
