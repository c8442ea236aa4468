// The network's own seams: one end of a link (what a NIC or the peer sends on and hears from)
// and guest time in nanoseconds over the cycle clock. What a device gets from the machine (its
// interrupt line, DMA, registers, clock) is the emulator's (types.ts, bus.ts, clock.ts); the
// machine provides it, and tests and the peer-to-peer bench use sim-clock.ts and dma.ts.

/** One end of a point-to-point link: what a station hands frames to and hears frames from. */
export interface LinkPort {
  /** Starts transmitting frame (Ethernet header onwards, no FCS) as soon as the transmitter is free. */
  send(frame: Uint8Array): void;
  /** The time in ns at which the transmitter will have finished everything queued so far. */
  freeAtNs(): number;
  /** Called when a frame has fully arrived at this end. */
  onReceive: (frame: Uint8Array) => void;
}

import type { Scheduler } from '../clock.ts';

/** Cycles <-> nanoseconds for a CPU of the given clock rate; the wire and peer keep time in ns. */
export class TimeBase {
  constructor(readonly clock: Scheduler, readonly mhz: number) {
    if (!(mhz > 0)) throw new Error(`TimeBase: mhz must be positive, got ${mhz}`);
  }
  nowNs(): number {
    return Math.floor((this.clock.now() * 1000) / this.mhz);
  }
  /** The first cycle at or after the given ns. */
  cyclesAt(ns: number): number {
    return Math.ceil((ns * this.mhz) / 1000);
  }
  atNs(ns: number, fn: () => void): void {
    this.clock.schedule(this.cyclesAt(ns), 'net', fn);
  }
}
