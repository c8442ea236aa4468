// The PC's pair of 8259A programmable interrupt controllers: master at 0x20/0x21 (IRQ 0-7),
// slave at 0xa0/0xa1 (IRQ 8-15) cascaded into the master's IR2. Models the initialization
// sequence (ICW1-4), the operation commands (OCW1 mask, OCW2 EOI/rotate/priority, OCW3 register
// select, poll and special mask), edge- and level-triggered inputs, auto-EOI, special fully nested
// mode and rotating priorities, following the 8259A datasheet. Where the datasheet leaves room,
// it behaves as QEMU's i8259 does, since QEMU is the reference the emulator is tested against.
import type { AccessSize } from '../types.ts';
import type { InterruptController } from '../types.ts';
import type { PortDevice } from '../bus.ts';

export const PIC_MASTER_CMD = 0x20;
export const PIC_MASTER_DATA = 0x21;
export const PIC_SLAVE_CMD = 0xa0;
export const PIC_SLAVE_DATA = 0xa1;
/** The PIIX's edge/level control registers, one bit per IRQ (1 = level-triggered). */
export const ELCR_MASTER = 0x4d0;
export const ELCR_SLAVE = 0x4d1;
/** The master input the slave's INT output is wired to. */
export const CASCADE_IRQ = 2;

// ICW1 bits (written to the command port with bit 4 set).
const ICW1_IC4 = 0x01;
const ICW1_SNGL = 0x02;
const ICW1_LTIM = 0x08;
const ICW1_INIT = 0x10;
// ICW4 bits.
const ICW4_AEOI = 0x02;
const ICW4_SFNM = 0x10;
// OCW3 bits (command port, bits 4:3 = 01).
const OCW3_SELECT = 0x08;
const OCW3_RIS = 0x01;
const OCW3_RR = 0x02;
const OCW3_POLL = 0x04;
const OCW3_SMM = 0x20;
const OCW3_ESMM = 0x40;

/** Initialization state: which ICW the data port expects next. */
const enum Init { Ready, Icw2, Icw3, Icw4 }

/** One 8259A. */
export class Pic8259 {
  irr = 0;
  isr = 0;
  imr = 0;
  /** The IR with the highest priority is `priorityAdd`; rotation moves it. */
  priorityAdd = 0;
  vectorBase = 0;
  /** Inputs configured level-triggered: the ELCR bits, or all eight after ICW1 with LTIM. */
  levelMask = 0;
  /** The ELCR register for this chip's inputs. */
  elcr = 0;
  /** Current level of each IR input, for edge detection. */
  lines = 0;
  readIsr = false;
  pollNext = false;
  specialMask = false;
  autoEoi = false;
  rotateOnAutoEoi = false;
  specialFullyNested = false;
  single = false;
  icw3 = 0;
  private init = Init.Ready;
  private needIcw4 = false;

  constructor(readonly isMaster: boolean) {}

  /** Drives IR input `irq` (0-7) to `level`. */
  setIrq(irq: number, level: boolean): void {
    const mask = 1 << irq;
    if (this.levelMask & mask) {
      if (level) this.irr |= mask;
      else this.irr &= ~mask;
    } else if (level && !(this.lines & mask)) {
      this.irr |= mask;
    }
    if (level) this.lines |= mask;
    else this.lines &= ~mask;
  }

  /** Priority level (0 = highest) of the highest-priority bit set in `mask`, or 8 for none. */
  private priority(mask: number): number {
    if (mask === 0) return 8;
    let p = 0;
    while (!(mask & (1 << ((p + this.priorityAdd) & 7)))) p++;
    return p;
  }

  /** The IR this chip would present on INTR now, or -1: requested, unmasked and above anything in service. */
  pendingIrq(): number {
    const p = this.priority(this.irr & ~this.imr);
    if (p === 8) return -1;
    let inService = this.isr;
    // Special mask mode: a masked in-service level no longer inhibits lower priorities.
    if (this.specialMask) inService &= ~this.imr;
    // Special fully nested mode: the cascade input may interrupt its own in-service level, so
    // higher-priority slave requests get through while a slave interrupt is being served.
    if (this.specialFullyNested && this.isMaster) inService &= ~(1 << CASCADE_IRQ);
    return p < this.priority(inService) ? (p + this.priorityAdd) & 7 : -1;
  }

  /** The INTA cycle's effect on this chip for IR `irq`. */
  acknowledge(irq: number): void {
    const mask = 1 << irq;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.priorityAdd = (irq + 1) & 7;
    } else {
      this.isr |= mask;
    }
    if (!(this.levelMask & mask)) this.irr &= ~mask;
  }

  writeCommand(value: number): void {
    if (value & ICW1_INIT) {
      this.startInit(value);
    } else if (value & OCW3_SELECT) {
      this.ocw3(value);
    } else {
      this.ocw2(value);
    }
  }

  writeData(value: number): void {
    switch (this.init) {
      case Init.Ready:
        this.imr = value;
        return;
      case Init.Icw2:
        this.vectorBase = value & 0xf8;
        this.init = this.single ? (this.needIcw4 ? Init.Icw4 : Init.Ready) : Init.Icw3;
        return;
      case Init.Icw3:
        this.icw3 = value;
        this.init = this.needIcw4 ? Init.Icw4 : Init.Ready;
        return;
      case Init.Icw4:
        this.autoEoi = (value & ICW4_AEOI) !== 0;
        this.specialFullyNested = (value & ICW4_SFNM) !== 0;
        this.init = Init.Ready;
        return;
    }
  }

  /** Reads the command port: the poll word after a poll command, else IRR or ISR as OCW3 selected. */
  readCommand(poll: () => number): number {
    if (this.pollNext) {
      this.pollNext = false;
      return poll();
    }
    return this.readIsr ? this.isr : this.irr;
  }

  readData(): number {
    return this.imr;
  }

  /** ELCR write: IRQs 0, 1, 2 (master) and 8, 13 (slave) are always edge on the PIIX. */
  writeElcr(value: number): void {
    this.elcr = value & (this.isMaster ? 0xf8 : 0xde);
    this.levelMask = this.elcr;
  }

  private startInit(icw1: number): void {
    // ICW1 clears the mask and the in-service/request state, resets priorities so IR7 is lowest,
    // clears special mask mode, selects IRR for reads and (without IC4) zeroes the ICW4 functions.
    this.imr = 0;
    this.irr = 0;
    this.isr = 0;
    this.priorityAdd = 0;
    this.readIsr = false;
    this.pollNext = false;
    this.specialMask = false;
    this.autoEoi = false;
    this.rotateOnAutoEoi = false;
    this.specialFullyNested = false;
    this.single = (icw1 & ICW1_SNGL) !== 0;
    this.needIcw4 = (icw1 & ICW1_IC4) !== 0;
    this.levelMask = icw1 & ICW1_LTIM ? 0xff : this.elcr;
    this.init = Init.Icw2;
  }

  private ocw2(value: number): void {
    const irq = value & 7;
    switch (value >> 5) {
      case 0: // clear rotate in automatic EOI mode
        this.rotateOnAutoEoi = false;
        return;
      case 4: // set rotate in automatic EOI mode
        this.rotateOnAutoEoi = true;
        return;
      case 1: // non-specific EOI
      case 5: { // rotate on non-specific EOI
        const p = this.priority(this.isr);
        if (p === 8) return;
        const level = (p + this.priorityAdd) & 7;
        this.isr &= ~(1 << level);
        if (value >> 5 === 5) this.priorityAdd = (level + 1) & 7;
        return;
      }
      case 3: // specific EOI
        this.isr &= ~(1 << irq);
        return;
      case 7: // rotate on specific EOI
        this.isr &= ~(1 << irq);
        this.priorityAdd = (irq + 1) & 7;
        return;
      case 6: // set priority: `irq` becomes the lowest
        this.priorityAdd = (irq + 1) & 7;
        return;
      default: // 2: no operation
        return;
    }
  }

  private ocw3(value: number): void {
    if (value & OCW3_POLL) this.pollNext = true;
    if (value & OCW3_RR) this.readIsr = (value & OCW3_RIS) !== 0;
    if (value & OCW3_ESMM) this.specialMask = (value & OCW3_SMM) !== 0;
  }
}

/**
 * The cascaded pair as the machine sees it: IRQ inputs 0-15, the INTR line and INTA cycle for
 * the CPU, and the four ports. `onChange` runs whenever INTR may have changed level.
 */
export class PicPair implements InterruptController, PortDevice {
  readonly master = new Pic8259(true);
  readonly slave = new Pic8259(false);
  /** Interrupts delivered per IRQ line (0-15), counted at the INTA cycle. */
  readonly delivered = new Array<number>(16).fill(0);
  /** INTA cycles that found nothing to deliver (spurious IRQ 7 / 15). */
  spurious = 0;
  onChange: () => void = () => {};
  private intr = false;

  /** Drives IRQ line `irq` (0-15) to `level`. */
  setIrq(irq: number, level: boolean): void {
    if (irq >= 8) this.slave.setIrq(irq - 8, level);
    else this.master.setIrq(irq, level);
    this.update();
  }

  /** Marks `irq` level-triggered in the ELCR (what firmware does for PCI interrupt lines). */
  setLevelTriggered(irq: number): void {
    const chip = irq >= 8 ? this.slave : this.master;
    chip.writeElcr(chip.elcr | (1 << (irq & 7)));
  }

  /** A rising then falling edge on `irq`: one request on an edge-triggered input. */
  pulseIrq(irq: number): void {
    this.setIrq(irq, true);
    this.setIrq(irq, false);
  }

  pending(): boolean {
    return this.intr;
  }

  acknowledge(): number {
    const irq = this.master.pendingIrq();
    let vector: number;
    if (irq < 0) {
      // INTR dropped before INTA: the 8259A answers with its IR7 vector and sets no ISR bit.
      this.spurious++;
      vector = this.master.vectorBase + 7;
    } else {
      this.master.acknowledge(irq);
      if (irq === CASCADE_IRQ) {
        const irq2 = this.slave.pendingIrq();
        if (irq2 < 0) {
          this.spurious++;
          vector = this.slave.vectorBase + 7;
        } else {
          this.slave.acknowledge(irq2);
          this.delivered[8 + irq2]!++;
          vector = this.slave.vectorBase + irq2;
        }
      } else {
        this.delivered[irq]!++;
        vector = this.master.vectorBase + irq;
      }
    }
    this.update();
    return vector;
  }

  ioRead(port: number, _size: AccessSize): number {
    let v: number;
    switch (port) {
      case PIC_MASTER_CMD: v = this.master.readCommand(() => this.poll(this.master)); break;
      case PIC_MASTER_DATA: v = this.master.readData(); break;
      case PIC_SLAVE_CMD: v = this.slave.readCommand(() => this.poll(this.slave)); break;
      case PIC_SLAVE_DATA: v = this.slave.readData(); break;
      case ELCR_MASTER: v = this.master.elcr; break;
      case ELCR_SLAVE: v = this.slave.elcr; break;
      default: return 0xff;
    }
    return v & 0xff;
  }

  ioWrite(port: number, _size: AccessSize, value: number): void {
    value &= 0xff;
    switch (port) {
      case PIC_MASTER_CMD: this.master.writeCommand(value); break;
      case PIC_MASTER_DATA: this.master.writeData(value); break;
      case PIC_SLAVE_CMD: this.slave.writeCommand(value); break;
      case PIC_SLAVE_DATA: this.slave.writeData(value); break;
      case ELCR_MASTER: this.master.writeElcr(value); break;
      case ELCR_SLAVE: this.slave.writeElcr(value); break;
      default: return;
    }
    this.update();
  }

  /**
   * Poll mode: the read acts as an INTA on that chip and returns 0x80 | level, or 0 when no
   * request is pending (the datasheet leaves the low bits undefined then).
   */
  private poll(chip: Pic8259): number {
    const irq = chip.pendingIrq();
    if (irq < 0) return 0;
    chip.acknowledge(irq);
    if (chip === this.slave) this.delivered[8 + irq]!++;
    else if (irq !== CASCADE_IRQ) this.delivered[irq]!++;
    return 0x80 | irq;
  }

  /** Re-evaluates the slave's INT output (the master's IR2 input) and the master's INTR. */
  private update(): void {
    this.master.setIrq(CASCADE_IRQ, this.slave.pendingIrq() >= 0);
    const intr = this.master.pendingIrq() >= 0;
    if (intr !== this.intr) {
      this.intr = intr;
      this.onChange();
    } else if (intr) {
      // The presented level may have changed under a steady INTR (a higher request arrived).
      this.onChange();
    }
  }
}
