// What a trap-and-emulate monitor counts and reports, the same under either hypervisor model
// (Xen's, with the guest kernel in ring 1; L4's user-level monitor, with it in ring 3): the
// privileged instructions it emulated, the events it reflected through the guest's IDT, the
// guest's CR3 loads, and the holes its HoleRecorder saw.
import type { HoleRecorder, HoleSite } from './holes.ts';

export interface TrapEmulateStats {
  /** Privileged instructions the monitor emulated after they faulted, by name. */
  emulated: Record<string, number>;
  /** Traps, int n and interrupts reflected through the guest's IDT, by vector. */
  reflected: Record<string, number>;
  /** CR3 loads (address-space switches). */
  address_space_switches: number;
  /** Sites of sensitive instructions that ran deprivileged without a trap. */
  holes: HoleSite[];
  /** popf run deprivileged whose popped IF differed from the virtual IF (the update was lost). */
  popf_if_lost: number;
}

export class TrapCounters {
  private readonly emulated: Record<string, number> = {};
  private readonly reflected: Record<string, number> = {};
  switches = 0;

  emulate(name: string): void {
    this.emulated[name] = (this.emulated[name] ?? 0) + 1;
  }

  reflect(vector: number): void {
    this.reflected[vector] = (this.reflected[vector] ?? 0) + 1;
  }

  /** The report, names and vectors in a fixed order. */
  report(holes: HoleRecorder): TrapEmulateStats {
    const e = this.emulated, r = this.reflected;
    return {
      emulated: Object.fromEntries(Object.keys(e).sort().map((n) => [n, e[n]!])),
      reflected: Object.fromEntries(Object.keys(r).sort((a, b) => Number(a) - Number(b)).map((n) => [n, r[n]!])),
      address_space_switches: this.switches,
      holes: holes.report(),
      popf_if_lost: holes.popfIfLost,
    };
  }
}
