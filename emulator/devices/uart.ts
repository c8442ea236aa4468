// A 16550A UART (COM1 at 0x3f8, IRQ 4). Transmitted bytes go straight to a sink (stdout or a
// file, chosen by the machine): the transmitter is always ready, so LSR always reports THR and
// shift register empty and a polled driver never waits. Enough of the 16550A for a Linux-style
// 8250 driver to probe (scratch register, IER read-back, FIFO bits in IIR, loopback via MCR) and
// to print with interrupts (THR-empty interrupt, IIR priorities). Received bytes can be fed in
// with `receive` for guests that read the console. Register semantics follow the 16550A
// datasheet; the interrupt line follows QEMU's serial model (not gated by MCR OUT2).
import type { AccessSize } from '../types.ts';
import type { PortDevice } from '../bus.ts';

export const COM1_BASE = 0x3f8;
export const COM1_IRQ = 4;

// Register offsets from the base port.
const RBR_THR = 0; // DLL when DLAB
const IER = 1;     // DLM when DLAB
const IIR_FCR = 2;
const LCR = 3;
const MCR = 4;
const LSR = 5;
const MSR = 6;
const SCR = 7;

const IER_RDI = 0x01;  // received data available
const IER_THRI = 0x02; // THR empty
const IER_RLSI = 0x04; // receiver line status
const IER_MSI = 0x08;  // modem status

const IIR_NO_INT = 0x01;
const IIR_MSI = 0x00;
const IIR_THRI = 0x02;
const IIR_RDI = 0x04;
const IIR_RLSI = 0x06;
const IIR_FIFO_ENABLED = 0xc0;

const FCR_ENABLE = 0x01;
const FCR_CLEAR_RX = 0x02;

const LCR_DLAB = 0x80;

const MCR_DTR = 0x01;
const MCR_RTS = 0x02;
const MCR_OUT1 = 0x04;
const MCR_OUT2 = 0x08;
const MCR_LOOP = 0x10;

const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;

const MSR_DCTS = 0x01;
const MSR_DDSR = 0x02;
const MSR_TERI = 0x04;
const MSR_DDCD = 0x08;
const MSR_CTS = 0x10;
const MSR_DSR = 0x20;
const MSR_RI = 0x40;
const MSR_DCD = 0x80;

const RX_FIFO_SIZE = 16;

export class Uart16550 implements PortDevice {
  ier = 0;
  lcr = 0;
  mcr = 0;
  lsr = LSR_THRE | LSR_TEMT;
  msr = 0;
  scr = 0;
  divisor = 12; // 9600 baud
  fifoEnabled = false;
  /** A THR-empty interrupt is pending (cleared by reading IIR when it is the source, or writing THR). */
  private thrInterrupt = false;
  private rx: number[] = [];
  private irqLevel = false;
  /** Bytes written to THR outside loopback mode. */
  transmitted = 0;

  /** `sink` receives every transmitted byte; `setIrq` drives the interrupt line. */
  constructor(readonly base: number, private sink: (byte: number) => void, private setIrq: (level: boolean) => void) {}

  /** Feeds bytes into the receiver as if they arrived on the line (FIFO overrun sets OE). */
  receive(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (this.rx.length >= (this.fifoEnabled ? RX_FIFO_SIZE : 1)) {
        this.lsr |= LSR_OE;
        continue;
      }
      this.rx.push(b);
    }
    if (this.rx.length > 0) this.lsr |= LSR_DR;
    this.update();
  }

  ioRead(port: number, _size: AccessSize): number {
    switch (port - this.base) {
      case RBR_THR: {
        if (this.lcr & LCR_DLAB) return this.divisor & 0xff;
        const b = this.rx.shift() ?? 0;
        if (this.rx.length === 0) this.lsr &= ~LSR_DR;
        this.update();
        return b;
      }
      case IER:
        return this.lcr & LCR_DLAB ? (this.divisor >> 8) & 0xff : this.ier;
      case IIR_FCR: {
        const iir = this.iir();
        // Reading IIR acknowledges a THR-empty interrupt when that is what it reports.
        if ((iir & 0x0f) === IIR_THRI) {
          this.thrInterrupt = false;
          this.update();
        }
        return iir;
      }
      case LCR:
        return this.lcr;
      case MCR:
        return this.mcr;
      case LSR: {
        const v = this.lsr;
        this.lsr &= ~LSR_OE; // error bits clear on read
        this.update();
        return v;
      }
      case MSR: {
        const v = this.modemStatus();
        this.msr &= 0xf0; // delta bits clear on read
        this.update();
        return v;
      }
      case SCR:
        return this.scr;
      default:
        return 0xff;
    }
  }

  ioWrite(port: number, _size: AccessSize, value: number): void {
    value &= 0xff;
    switch (port - this.base) {
      case RBR_THR:
        if (this.lcr & LCR_DLAB) {
          this.divisor = (this.divisor & 0xff00) | value;
          return;
        }
        this.transmit(value);
        return;
      case IER:
        if (this.lcr & LCR_DLAB) {
          this.divisor = (this.divisor & 0x00ff) | (value << 8);
          return;
        }
        {
          const enablingThri = !(this.ier & IER_THRI) && (value & IER_THRI) !== 0;
          this.ier = value & 0x0f;
          // Enabling the THR-empty interrupt while THR is empty raises it at once.
          if (enablingThri && this.lsr & LSR_THRE) this.thrInterrupt = true;
          if (!(this.ier & IER_THRI)) this.thrInterrupt = false;
        }
        this.update();
        return;
      case IIR_FCR:
        this.fifoEnabled = (value & FCR_ENABLE) !== 0;
        if (value & FCR_CLEAR_RX || !this.fifoEnabled) {
          this.rx = [];
          this.lsr &= ~LSR_DR;
        }
        this.update();
        return;
      case LCR:
        this.lcr = value;
        return;
      case MCR: {
        const old = this.modemStatus() & 0xf0;
        this.mcr = value & 0x1f;
        this.noteModemChange(old);
        this.update();
        return;
      }
      case SCR:
        this.scr = value;
        return;
      default:
        return; // LSR and MSR are read-only
    }
  }

  private transmit(byte: number): void {
    this.thrInterrupt = false;
    if (this.mcr & MCR_LOOP) {
      // Loopback: the transmitter feeds the receiver and nothing leaves the chip.
      this.receive(Uint8Array.of(byte));
    } else {
      this.transmitted++;
      this.sink(byte);
    }
    // The byte leaves at once, so THR is empty again and a THR-empty interrupt is due.
    this.lsr |= LSR_THRE | LSR_TEMT;
    if (this.ier & IER_THRI) this.thrInterrupt = true;
    this.update();
  }

  /** MSR: in loopback the modem inputs are the MCR outputs (CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2). */
  private modemStatus(): number {
    if (!(this.mcr & MCR_LOOP)) return this.msr;
    let v = this.msr & 0x0f;
    if (this.mcr & MCR_RTS) v |= MSR_CTS;
    if (this.mcr & MCR_DTR) v |= MSR_DSR;
    if (this.mcr & MCR_OUT1) v |= MSR_RI;
    if (this.mcr & MCR_OUT2) v |= MSR_DCD;
    return v;
  }

  private noteModemChange(old: number): void {
    const now = this.modemStatus() & 0xf0;
    const changed = now ^ old;
    let delta = 0;
    if (changed & MSR_CTS) delta |= MSR_DCTS;
    if (changed & MSR_DSR) delta |= MSR_DDSR;
    if (changed & MSR_DCD) delta |= MSR_DDCD;
    if (old & MSR_RI && !(now & MSR_RI)) delta |= MSR_TERI; // trailing edge of RI
    this.msr = (this.msr & 0x0f) | delta | (this.mcr & MCR_LOOP ? now : this.msr & 0xf0);
  }

  /** IIR: the highest-priority pending source (line status, data, THR empty, modem status). */
  private iir(): number {
    const fifo = this.fifoEnabled ? IIR_FIFO_ENABLED : 0;
    if (this.ier & IER_RLSI && this.lsr & LSR_OE) return fifo | IIR_RLSI;
    if (this.ier & IER_RDI && this.lsr & LSR_DR) return fifo | IIR_RDI;
    if (this.ier & IER_THRI && this.thrInterrupt) return fifo | IIR_THRI;
    if (this.ier & IER_MSI && this.msr & 0x0f) return fifo | IIR_MSI;
    return fifo | IIR_NO_INT;
  }

  private update(): void {
    const level = (this.iir() & IIR_NO_INT) === 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.setIrq(level);
    }
  }
}
