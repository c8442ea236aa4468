// The 8254 programmable interval timer at 0x40-0x43, and the PC's port 0x61 (system control
// port B) that gates channel 2 and shows its output. Counters run at 1.193182 MHz, derived from
// the cycle clock of the profile's CPU frequency, so a guest that programs a rate sees it in
// guest cycles. Counts are computed from the cycles elapsed since the count was loaded (nothing
// ticks while nobody looks); channel 0's rising OUT edges are scheduled on the clock and pulse IRQ 0.
// Semantics follow the 8254 datasheet; where it leaves room, QEMU's i8254 (the test reference).
import type { AccessSize } from '../types.ts';
import type { PortDevice } from '../bus.ts';
import { Clock, ClockEvent, PIT_HZ } from '../clock.ts';

export const PIT_CHANNEL0 = 0x40;
export const PIT_CONTROL = 0x43;
export const SYSTEM_CONTROL_B = 0x61;

// Control word fields.
const CW_SELECT_SHIFT = 6; // 3 = read-back
const CW_RW_SHIFT = 4;     // 0 = latch, 1 = LSB, 2 = MSB, 3 = LSB then MSB
const CW_MODE_SHIFT = 1;
const CW_BCD = 0x01;
// Read-back command bits.
const RB_NO_COUNT = 0x20;
const RB_NO_STATUS = 0x10;

const RW_LATCH = 0, RW_LSB = 1, RW_MSB = 2, RW_WORD = 3;
/** Byte phase within a two-byte read or write. */
const enum Phase { Lsb, Msb }

/** One counter of the 8254. */
export class PitChannel {
  mode = 0;
  rw = RW_LSB;
  bcd = false;
  /** Count register: the initial count last written (0 means 65536, or 10000 in BCD). */
  reload = 0x10000;
  /** Cycle at which counting started (count loaded, or gate edge in modes 1, 2, 3, 5). */
  loadCycle = 0;
  gate: boolean;
  /** A count was written since the control word (the counter is armed). */
  armed = false;
  private writePhase = Phase.Lsb;
  private writeLsb = 0;
  private readPhase = Phase.Lsb;
  /** Output latch: the count latched by a latch or read-back command, read as the rw mode says. */
  private latched: number[] = [];
  private status: number | null = null;

  constructor(private clock: Clock, readonly index: number, private onReload: () => void) {
    // Channels 0 and 1 have their gates tied high on the PC; channel 2's follows port 0x61 bit 0.
    this.gate = index !== 2;
  }

  /** Whole input-clock periods since counting started. */
  elapsed(): number {
    return this.clock.cyclesToTicks(this.clock.now() - this.loadCycle, PIT_HZ);
  }

  /** The counting element as the guest would read it now. */
  count(): number {
    if (!this.armed) return 0;
    const n = this.reload, d = this.elapsed();
    switch (this.mode) {
      case 0: case 1: case 4: case 5:
        return (n - d) & 0xffff;
      case 2:
        return n - (d % n);
      default: // mode 3: the counter drops by two each clock and reloads every n clocks
        return (n - ((2 * d) % n)) & 0xffff;
    }
  }

  /** The OUT pin now. */
  out(): boolean {
    if (!this.armed) return this.mode !== 0;
    const n = this.reload, d = this.elapsed();
    switch (this.mode) {
      case 0: return d >= n;
      case 1: return d >= n;
      case 2: return d % n !== n - 1; // low for the one clock when the count is 1
      case 3: return d % n < ((n + 1) >> 1); // high for the first half (the longer one if odd)
      default: return d !== n; // modes 4, 5: one clock low at terminal count
    }
  }

  /**
   * Elapsed-tick index of the next rising edge of OUT strictly after now, or -1 if none comes
   * without the guest doing something.
   */
  nextRisingEdge(): number {
    if (!this.armed) return -1;
    const n = this.reload, d = this.elapsed();
    switch (this.mode) {
      case 0: return d < n ? n : -1;
      case 1: return d < n && this.gateTriggered ? n : -1;
      case 2: case 3: return (Math.floor(d / n) + 1) * n;
      case 4: return d <= n ? n + 1 : -1;
      case 5: return d <= n && this.gateTriggered ? n + 1 : -1;
      default: return -1;
    }
  }

  /** Modes 1 and 5 count only after a rising gate edge. */
  private gateTriggered = false;

  writeControl(value: number): void {
    const rw = (value >> CW_RW_SHIFT) & 3;
    if (rw === RW_LATCH) {
      this.latchCount();
      return;
    }
    let mode = (value >> CW_MODE_SHIFT) & 7;
    if (mode > 5) mode -= 4; // 6 and 7 are aliases of 2 and 3
    this.rw = rw;
    this.mode = mode;
    this.bcd = (value & CW_BCD) !== 0;
    this.writePhase = Phase.Lsb;
    this.readPhase = Phase.Lsb;
    this.latched = [];
    this.status = null;
    // A control word stops the counter until a new count is written; OUT goes to its initial
    // level (low in mode 0, high otherwise).
    this.armed = false;
    this.gateTriggered = false;
    this.onReload();
  }

  writeCount(byte: number): void {
    switch (this.rw) {
      case RW_LSB: this.load(byte); return;
      case RW_MSB: this.load(byte << 8); return;
      default:
        if (this.writePhase === Phase.Lsb) {
          this.writeLsb = byte;
          this.writePhase = Phase.Msb;
        } else {
          this.writePhase = Phase.Lsb;
          this.load(this.writeLsb | (byte << 8));
        }
    }
  }

  readCount(): number {
    if (this.status !== null) {
      const s = this.status;
      this.status = null;
      return s;
    }
    if (this.latched.length > 0) return this.latched.shift()!;
    const c = this.toGuest(this.count());
    switch (this.rw) {
      case RW_LSB: return c & 0xff;
      case RW_MSB: return (c >> 8) & 0xff;
      default:
        if (this.readPhase === Phase.Lsb) {
          this.readPhase = Phase.Msb;
          return c & 0xff;
        }
        this.readPhase = Phase.Lsb;
        return (c >> 8) & 0xff;
    }
  }

  /** Counter latch command: freezes the current count for reading; a second latch before reading is ignored. */
  latchCount(): void {
    if (this.latched.length > 0) return;
    const c = this.toGuest(this.count());
    switch (this.rw) {
      case RW_LSB: this.latched = [c & 0xff]; break;
      case RW_MSB: this.latched = [(c >> 8) & 0xff]; break;
      default: this.latched = [c & 0xff, (c >> 8) & 0xff];
    }
  }

  /** Read-back status latch: OUT, null count, then the control word's rw, mode and BCD bits. */
  latchStatus(): void {
    if (this.status !== null) return;
    this.status = (this.out() ? 0x80 : 0) | (this.armed ? 0 : 0x40) | (this.rw << 4) | (this.mode << 1) | (this.bcd ? 1 : 0);
  }

  setGate(level: boolean): void {
    const rising = level && !this.gate;
    this.gate = level;
    if (!rising || !this.armed) return;
    // A rising gate edge (re)starts the count in modes 1, 2, 3 and 5; modes 0 and 4 only pause
    // while the gate is low, which, as in QEMU, is not modelled.
    if (this.mode === 1 || this.mode === 2 || this.mode === 3 || this.mode === 5) {
      this.loadCycle = this.clock.now();
      this.gateTriggered = true;
      this.onReload();
    }
  }

  private load(value: number): void {
    let n = value & 0xffff;
    if (this.bcd) n = fromBcd(n);
    if (n === 0) n = this.bcd ? 10000 : 0x10000;
    this.reload = n;
    this.loadCycle = this.clock.now();
    this.armed = true;
    // Modes 1 and 5 wait for a gate edge; a gate already high has no edge to give.
    this.gateTriggered = false;
    this.onReload();
  }

  private toGuest(count: number): number {
    return this.bcd ? toBcd(count % 10000) : count & 0xffff;
  }
}

function fromBcd(v: number): number {
  return ((v >> 12) & 0xf) * 1000 + ((v >> 8) & 0xf) * 100 + ((v >> 4) & 0xf) * 10 + (v & 0xf);
}

function toBcd(v: number): number {
  return ((Math.floor(v / 1000) % 10) << 12) | ((Math.floor(v / 100) % 10) << 8) | ((Math.floor(v / 10) % 10) << 4) | (v % 10);
}

/** The 8254 with its three channels; channel 0 drives IRQ 0 through `raiseIrq0` (one pulse per rising OUT edge). */
export class Pit8254 implements PortDevice {
  readonly channels: PitChannel[];
  /** Rising edges of channel 0 delivered to the interrupt controller. */
  irq0Edges = 0;
  private irqEvent: ClockEvent | null = null;
  /** Port 0x61 bit 1: speaker data enable (stored only; no sound). */
  private speakerData = false;

  constructor(private clock: Clock, private raiseIrq0: () => void) {
    this.channels = [0, 1, 2].map((i) => new PitChannel(clock, i, i === 0 ? () => this.scheduleIrq0() : () => {}));
  }

  ioRead(port: number, _size: AccessSize): number {
    if (port === SYSTEM_CONTROL_B) return this.readControlB();
    const i = port - PIT_CHANNEL0;
    if (i >= 0 && i < 3) return this.channels[i]!.readCount();
    return 0xff; // the control register is write-only
  }

  ioWrite(port: number, _size: AccessSize, value: number): void {
    value &= 0xff;
    if (port === SYSTEM_CONTROL_B) {
      this.channels[2]!.setGate((value & 1) !== 0);
      this.speakerData = (value & 2) !== 0;
      return;
    }
    if (port === PIT_CONTROL) {
      this.writeControl(value);
      return;
    }
    const i = port - PIT_CHANNEL0;
    if (i >= 0 && i < 3) this.channels[i]!.writeCount(value);
  }

  private writeControl(value: number): void {
    const sc = value >> CW_SELECT_SHIFT;
    if (sc !== 3) {
      this.channels[sc]!.writeControl(value);
      return;
    }
    for (let i = 0; i < 3; i++) {
      if (!(value & (2 << i))) continue;
      const ch = this.channels[i]!;
      if (!(value & RB_NO_COUNT)) ch.latchCount();
      if (!(value & RB_NO_STATUS)) ch.latchStatus();
    }
  }

  /**
   * Port 0x61 read: bit 0 gate 2, bit 1 speaker data, bit 4 the DRAM refresh toggle (flips every
   * 15.09 us, i.e. 18 PIT clocks), bit 5 channel 2's OUT.
   */
  private readControlB(): number {
    const refresh = Math.floor(this.clock.cyclesToTicks(this.clock.now(), PIT_HZ) / 18) & 1;
    const ch2 = this.channels[2]!;
    return (ch2.gate ? 1 : 0) | (this.speakerData ? 2 : 0) | (refresh << 4) | (ch2.out() ? 0x20 : 0);
  }

  /** Puts channel 0's next rising OUT edge on the clock; called whenever its count or mode changes. */
  private scheduleIrq0(): void {
    this.clock.cancel(this.irqEvent);
    this.irqEvent = null;
    const ch = this.channels[0]!;
    const edge = ch.nextRisingEdge();
    if (edge < 0) return;
    const at = ch.loadCycle + this.clock.ticksToCycles(edge, PIT_HZ);
    this.irqEvent = this.clock.schedule(at, 'pit-irq0', () => {
      this.irqEvent = null;
      this.irq0Edges++;
      this.raiseIrq0();
      this.scheduleIrq0();
    });
  }
}
