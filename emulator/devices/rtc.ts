// The PC's CMOS real-time clock (Motorola MC146818A) at ports 0x70 (index, bit 7 masks NMI) and
// 0x71 (data). The time starts at a fixed instant (RTC_EPOCH, not the host's clock) when the machine
// is built and advances with guest cycles, so a run reads the same time wherever it runs; QEMU gives
// the same start with `-rtc base=2006-01-01T00:00:00,clock=vm`. Registers as a PC BIOS leaves them:
// 24-hour BCD time (register B = 0x02), the 32.768 kHz time base (register A = 0x26), valid RAM and
// time (register D bit 7). An update is instantaneous, so UIP always reads 0 and a reader never has
// to wait for one. No periodic, alarm or update-ended interrupts are raised (register C reads 0):
// a kernel without an RTC driver (Linux without RTC_CLASS) only reads the time at boot.
// Register layout from the MC146818A datasheet.
import type { AccessSize } from '../types.ts';
import type { PortDevice } from '../bus.ts';
import type { Clock } from '../clock.ts';

export const RTC_INDEX_PORT = 0x70;
export const RTC_DATA_PORT = 0x71;
export const RTC_PORTS = 2;
/** The instant the clock reads when the machine starts: 2006-01-01 00:00:00 UTC, in seconds since 1970. */
export const RTC_EPOCH = Date.UTC(2006, 0, 1, 0, 0, 0) / 1000;

// Register indices.
const REG_SECONDS = 0x00;
const REG_MINUTES = 0x02;
const REG_HOURS = 0x04;
const REG_DAY_OF_WEEK = 0x06;
const REG_DAY_OF_MONTH = 0x07;
const REG_MONTH = 0x08;
const REG_YEAR = 0x09;
const REG_A = 0x0a;
const REG_B = 0x0b;
const REG_C = 0x0c;
const REG_D = 0x0d;
/** The century byte PC BIOSes keep in CMOS RAM (IBM AT convention). */
const REG_CENTURY = 0x32;
const CMOS_BYTES = 128;
const INDEX_MASK = 0x7f; // bit 7 of the index write is the NMI mask, not part of the index

const REG_A_DEFAULT = 0x26; // divider 010 (32.768 kHz), rate 0110 (1024 Hz); UIP (bit 7) clear
const REG_B_24H = 0x02;
const REG_B_BINARY = 0x04;
const REG_B_SET = 0x80; // the guest is setting the time: updates stop
const REG_B_DEFAULT = REG_B_24H;
const REG_D_VRT = 0x80; // valid RAM and time

const TIME_REGS = [REG_SECONDS, REG_MINUTES, REG_HOURS, REG_DAY_OF_WEEK, REG_DAY_OF_MONTH, REG_MONTH, REG_YEAR, REG_CENTURY];

export class CmosRtc implements PortDevice {
  private index = 0;
  private readonly ram = new Uint8Array(CMOS_BYTES);
  /** Seconds since 1970 at guest cycle 0; a guest that sets the clock moves it. */
  private base = RTC_EPOCH;
  /** While register B's SET bit is on, the time the guest is composing (seconds since 1970). */
  private frozen: number | null = null;

  constructor(private clock: Clock) {
    this.ram[REG_A] = REG_A_DEFAULT;
    this.ram[REG_B] = REG_B_DEFAULT;
    this.ram[REG_D] = REG_D_VRT;
  }

  /** Seconds since 1970 that the clock reads now. */
  seconds(): number {
    return this.frozen ?? this.base + Math.floor(this.clock.now() / this.clock.hz);
  }

  ioRead(port: number, _size: AccessSize): number {
    if (port === RTC_INDEX_PORT) return 0xff; // the index register is write-only on the PC
    const reg = this.index;
    if (TIME_REGS.includes(reg)) return this.timeField(reg, this.seconds());
    if (reg === REG_C) return 0; // no interrupt flags: none of the interrupts is enabled
    return this.ram[reg]!;
  }

  ioWrite(port: number, _size: AccessSize, value: number): void {
    value &= 0xff;
    if (port === RTC_INDEX_PORT) {
      this.index = value & INDEX_MASK;
      return;
    }
    const reg = this.index;
    if (TIME_REGS.includes(reg)) {
      this.setTimeField(reg, value);
    } else if (reg === REG_B) {
      const was = this.ram[REG_B]!;
      if ((value & REG_B_SET) && !(was & REG_B_SET)) this.frozen = this.seconds();
      if (!(value & REG_B_SET) && this.frozen !== null) {
        this.base = this.frozen - Math.floor(this.clock.now() / this.clock.hz);
        this.frozen = null;
      }
      this.ram[REG_B] = value;
    } else if (reg === REG_A) {
      this.ram[REG_A] = value & 0x7f; // UIP is read-only
    } else if (reg !== REG_C && reg !== REG_D) {
      this.ram[reg] = value; // C and D are read-only; the rest is battery-backed RAM
    }
  }

  /** One time register for the instant `t`, in the format register B selects. */
  private timeField(reg: number, t: number): number {
    const d = new Date(t * 1000);
    const v = reg === REG_SECONDS ? d.getUTCSeconds()
      : reg === REG_MINUTES ? d.getUTCMinutes()
      : reg === REG_HOURS ? d.getUTCHours()
      : reg === REG_DAY_OF_WEEK ? d.getUTCDay() + 1 // 1 = Sunday
      : reg === REG_DAY_OF_MONTH ? d.getUTCDate()
      : reg === REG_MONTH ? d.getUTCMonth() + 1
      : reg === REG_YEAR ? d.getUTCFullYear() % 100
      : Math.floor(d.getUTCFullYear() / 100);
    return this.ram[REG_B]! & REG_B_BINARY ? v : toBcd(v);
  }

  /** A guest write to a time register: the clock then reads the instant with that field replaced. */
  private setTimeField(reg: number, raw: number): void {
    const v = this.ram[REG_B]! & REG_B_BINARY ? raw : fromBcd(raw);
    const now = this.seconds();
    const d = new Date(now * 1000);
    const f = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
    if (reg === REG_SECONDS) f[5] = v;
    else if (reg === REG_MINUTES) f[4] = v;
    else if (reg === REG_HOURS) f[3] = v;
    else if (reg === REG_DAY_OF_MONTH) f[2] = v;
    else if (reg === REG_MONTH) f[1] = v - 1;
    else if (reg === REG_YEAR) f[0] = Math.floor(f[0]! / 100) * 100 + v;
    else if (reg === REG_CENTURY) f[0] = v * 100 + (f[0]! % 100);
    else return; // the day of the week follows from the date
    const t = Date.UTC(f[0]!, f[1]!, f[2]!, f[3]!, f[4]!, f[5]!) / 1000;
    if (this.frozen !== null) this.frozen = t;
    else this.base += t - now;
  }
}

function toBcd(v: number): number {
  return ((Math.floor(v / 10) % 10) << 4) | (v % 10);
}

function fromBcd(v: number): number {
  return (v >> 4) * 10 + (v & 0x0f);
}
