// The seams between the network pieces (NIC, wire, peer, pcap) and the rest of the machine.
// The machine (emulator/machine.ts) implements these over its own clock, PIC and RAM; tests
// and the peer-to-peer bench use the small implementations in sim-clock.ts and dma.ts.

/** The machine's cycle clock and event queue. Events at the same cycle run in the order scheduled. */
export interface Clock {
  /** The current time in CPU cycles. */
  now(): number;
  /** Runs fn when the clock reaches atCycle (at once on the next step if atCycle <= now()). */
  schedule(atCycle: number, fn: () => void): void;
}

/** One input of the interrupt controller (a PIC line); level-triggered from the device's side. */
export interface IrqLine {
  raise(): void;
  lower(): void;
}

/**
 * Bus-master access to guest physical memory. Every call is bounds-checked: an address that
 * does not name guest RAM returns false (reads) and changes nothing; the device turns that
 * into a device error (a PCI master abort), never a host exception.
 */
export interface DmaMemory {
  /** Copies len bytes at guest address addr into dst[dstOff..]; false if out of RAM. */
  read(addr: number, dst: Uint8Array, dstOff: number, len: number): boolean;
  /** Copies src[srcOff..srcOff+len) to guest address addr; false if out of RAM. */
  write(addr: number, src: Uint8Array, srcOff: number, len: number): boolean;
  /** A little-endian 32-bit word at addr, or undefined if out of RAM. */
  read32(addr: number): number | undefined;
  /** Writes a little-endian 32-bit word; false if out of RAM. */
  write32(addr: number, value: number): boolean;
}

/** A memory-mapped register window (a PCI memory BAR) as the bus sees it: offsets from its base. */
export interface MmioRegion {
  readonly size: number;
  read32(offset: number): number;
  write32(offset: number, value: number): void;
}

/** What the PCI configuration space needs to present a function. */
export interface PciIdentity {
  vendorId: number;
  deviceId: number;
  classCode: number;       // 24 bits: base class, subclass, programming interface
  revision: number;
  /** Memory BARs by index: size in bytes (a power of two). */
  memoryBars: { index: number; size: number }[];
  /** Interrupt pin (1 = INTA#). */
  interruptPin: number;
}

/** One end of a point-to-point link: what a station hands frames to and hears frames from. */
export interface LinkPort {
  /** Starts transmitting frame (Ethernet header onwards, no FCS) as soon as the transmitter is free. */
  send(frame: Uint8Array): void;
  /** The time in ns at which the transmitter will have finished everything queued so far. */
  freeAtNs(): number;
  /** Called when a frame has fully arrived at this end. */
  onReceive: (frame: Uint8Array) => void;
}

/** Cycles <-> nanoseconds for a CPU of the given clock rate; the wire and peer keep time in ns. */
export class TimeBase {
  constructor(readonly clock: Clock, readonly mhz: number) {
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
    this.clock.schedule(this.cyclesAt(ns), fn);
  }
}
