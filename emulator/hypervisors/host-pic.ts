// The 8259A pair as a hypervisor drives it: line masks, EOIs and start-of-day initialisation, each
// write an `out` to the PIC that costs what port I/O costs (the profile's port_io), charged to the
// CPU the hypervisor runs on. Only the mask byte that changed is written, as a PIC driver keeps a
// cached copy of each mask register (Linux's cached_21/cached_A1); an EOI for a slave line goes to
// both chips. The hypervisor's cost for an interrupt's mask/EOI/unmask then follows from the writes
// it actually makes instead of from a separate figure.
import type { Bus, CostTable } from '../types.ts';

/** What the PIC driver needs of the CPU: the cycle counter and the port_io figure. */
export interface ChargedCpu {
  cycles: number;
  readonly costs: CostTable;
  /** The cycle ledger, when the CPU keeps one: port writes are device cycles. */
  readonly ledger?: { chargeDevice(n: number): void };
}

export class HostPic {
  /** Bit n set: line n masked. Line 2 (the cascade) is always open. */
  private mask = 0xfffb;
  /** The bytes last written to 0x21 and 0xa1 (-1 before the first write). */
  private written = [-1, -1];
  /** Port writes made (for tests and counters). */
  writes = 0;

  /** charged: each write costs port_io (false only to measure what that contributes). */
  constructor(private readonly bus: Bus, private readonly cpu: ChargedCpu, private readonly charged = true) {}

  /** ICW1-4 on both chips (vectors `masterBase` and `masterBase + 8`, cascade on line 2), then the masks. */
  init(masterBase: number): void {
    for (const [cmd, data, base, cascade] of [[0x20, 0x21, masterBase, 0x04], [0xa0, 0xa1, masterBase + 8, 0x02]] as const) {
      this.out(cmd, 0x11); this.out(data, base); this.out(data, cascade); this.out(data, 0x01);
    }
    this.written = [-1, -1];
    this.sync();
  }

  isMasked(line: number): boolean {
    return (this.mask & (1 << line)) !== 0;
  }

  maskLine(line: number): void {
    this.mask |= 1 << line;
    this.sync();
  }

  unmaskLine(line: number): void {
    this.mask &= ~(1 << line);
    this.sync();
  }

  /** Non-specific EOI: the slave first for lines 8-15, then the master. */
  eoi(line: number): void {
    if (line >= 8) this.out(0xa0, 0x20);
    this.out(0x20, 0x20);
  }

  /** Writes each mask register whose value differs from the one last written. */
  private sync(): void {
    const lo = this.mask & 0xff, hi = (this.mask >> 8) & 0xff;
    if (this.written[0] !== lo) { this.out(0x21, lo); this.written[0] = lo; }
    if (this.written[1] !== hi) { this.out(0xa1, hi); this.written[1] = hi; }
  }

  private out(port: number, v: number): void {
    if (this.charged) {
      this.cpu.cycles += this.cpu.costs.port_io;
      this.cpu.ledger?.chargeDevice(this.cpu.costs.port_io);
    }
    this.writes++;
    this.bus.ioWrite(port, 1, v);
  }
}
