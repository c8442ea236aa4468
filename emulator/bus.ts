// The machine side of the Bus seam: RAM, the I/O port map and the MMIO map. Every device access
// is charged to the cycle clock from the cost profile (port_io, mmio_read, mmio_write), whether
// or not a device answers; unclaimed ports and addresses read all-ones and ignore writes, as an
// ISA/PCI bus with nothing driving the data lines does.
import type { AccessSize, Bus, DmaMemory } from './types.ts';
import { RamDma } from './dma.ts';
import type { Clock } from './clock.ts';
import { allocateGuestRam } from './guest-memory.ts';

/** A device on the I/O port space. `port` is absolute; the device is registered over a range. */
export interface PortDevice {
  ioRead(port: number, size: AccessSize): number;
  ioWrite(port: number, size: AccessSize, value: number): void;
}

/** A device in the physical address space above RAM (or in a hole). `offset` is from the region base. */
export interface MmioDevice {
  mmioRead(offset: number, size: AccessSize): number;
  mmioWrite(offset: number, size: AccessSize, value: number): void;
}

interface PortRange {
  base: number;
  count: number;
  device: PortDevice;
  /** Access sizes the device decodes itself; other sizes are split into byte accesses. */
  sizes: number;
}

/** Where an MmioDevice is mapped. */
interface MmioMapping {
  base: number;
  size: number;
  device: MmioDevice;
  name: string;
}

/** All-ones for an access of `size` bytes, as an undriven bus reads. */
export function allOnes(size: AccessSize): number {
  return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
}

export interface Costs {
  port_io: number;
  mmio_read: number;
  mmio_write: number;
}

export class MachineBus implements Bus {
  readonly ram: Uint8Array;
  /** Count of port accesses and MMIO accesses, for the statistics. */
  portAccesses = 0;
  mmioAccesses = 0;
  /** Called with (physAddr, length) after DMA writes RAM: the CPU drops decoded code there. */
  onRamWritten: (addr: number, length: number) => void = () => {};
  // One slot per port: index into `ranges` plus one, 0 for unclaimed. A flat table keeps the
  // per-access lookup to one array read on the `in`/`out` path.
  private portSlot = new Uint16Array(0x10000);
  private ranges: PortRange[] = [];
  private regions: MmioMapping[] = [];

  constructor(ramBytes: number, private clock: Clock, private costs: Costs) {
    this.ram = allocateGuestRam(ramBytes);
    this.dma = new RamDma(this.ram, (addr, length) => this.onRamWritten(addr, length));
  }

  /**
   * Claims `count` ports from `base` for `device`. `sizes` lists the access widths the device
   * decodes itself (default: bytes only; wider accesses become byte accesses at port, port+1, ...).
   */
  registerPorts(base: number, count: number, device: PortDevice, sizes: AccessSize[] = [1]): void {
    for (let p = base; p < base + count; p++) {
      if (this.portSlot[p] !== 0) throw new Error(`bus: port 0x${p.toString(16)} is already claimed`);
    }
    this.ranges.push({ base, count, device, sizes: sizes.reduce((m, s) => m | s, 0) });
    const slot = this.ranges.length;
    for (let p = base; p < base + count; p++) this.portSlot[p] = slot;
  }

  /** Like registerPorts, but returns false instead of throwing when a port is taken. */
  tryRegisterPorts(base: number, count: number, device: PortDevice, sizes: AccessSize[] = [1]): boolean {
    for (let p = base; p < base + count; p++) if (this.portSlot[p] !== 0) return false;
    this.registerPorts(base, count, device, sizes);
    return true;
  }

  /** Releases every port `device` claimed (a PCI I/O BAR being moved or disabled). */
  unregisterPorts(device: PortDevice): void {
    this.ranges.forEach((r, i) => {
      if (r.device !== device) return;
      for (let p = r.base; p < r.base + r.count; p++) if (this.portSlot[p] === i + 1) this.portSlot[p] = 0;
      r.count = 0;
    });
  }

  /** Like mapMmio, but returns false instead of throwing on overlap. */
  tryMapMmio(base: number, size: number, device: MmioDevice, name: string): boolean {
    try {
      this.mapMmio(base, size, device, name);
      return true;
    } catch {
      return false;
    }
  }

  /** Maps an MMIO region; it must not overlap RAM or another region. */
  mapMmio(base: number, size: number, device: MmioDevice, name: string): void {
    if (base < this.ram.length) throw new Error(`bus: ${name} at 0x${base.toString(16)} overlaps RAM`);
    for (const r of this.regions) {
      if (base < r.base + r.size && r.base < base + size) throw new Error(`bus: ${name} overlaps ${r.name}`);
    }
    this.regions.push({ base, size, device, name });
  }

  /** Removes every MMIO region of `device` (a PCI BAR being moved or disabled). */
  unmapMmio(device: MmioDevice): void {
    this.regions = this.regions.filter((r) => r.device !== device);
  }

  ioRead(port: number, size: AccessSize): number {
    this.clock.charge(this.costs.port_io);
    this.portAccesses++;
    return this.portRead(port & 0xffff, size);
  }

  ioWrite(port: number, size: AccessSize, value: number): void {
    this.clock.charge(this.costs.port_io);
    this.portAccesses++;
    this.portWrite(port & 0xffff, size, value);
  }

  /** A profiler's hook: called with the address of every device-memory access (world netperf
   *  --feedback-out records the accessing instruction). Never set in a measured run. */
  mmioWatch: ((addr: number) => void) | null = null;

  mmioRead(addr: number, size: AccessSize): number {
    this.clock.charge(this.costs.mmio_read);
    this.mmioAccesses++;
    if (this.mmioWatch) this.mmioWatch(addr);
    const r = this.findRegion(addr >>> 0);
    if (!r) return allOnes(size);
    return r.device.mmioRead((addr >>> 0) - r.base, size);
  }

  mmioWrite(addr: number, size: AccessSize, value: number): void {
    this.clock.charge(this.costs.mmio_write);
    this.mmioAccesses++;
    if (this.mmioWatch) this.mmioWatch(addr);
    const r = this.findRegion(addr >>> 0);
    if (r) r.device.mmioWrite((addr >>> 0) - r.base, size, value);
  }

  /** DMA for bus-master devices: bounds-checked RAM access that keeps the CPU's decoded code honest. */
  readonly dma: DmaMemory;

  private findRegion(addr: number): MmioMapping | undefined {
    for (const r of this.regions) if (addr >= r.base && addr < r.base + r.size) return r;
    return undefined;
  }

  private portRead(port: number, size: AccessSize): number {
    const slot = this.portSlot[port]!;
    if (slot === 0) {
      if (size === 1) return 0xff;
      // A wide access may straddle into a claimed port; assemble it byte by byte.
      return this.splitRead(port, size);
    }
    const r = this.ranges[slot - 1]!;
    if (r.sizes & size) return r.device.ioRead(port, size);
    return this.splitRead(port, size);
  }

  private splitRead(port: number, size: AccessSize): number {
    let v = 0;
    for (let i = 0; i < size; i++) {
      const p = (port + i) & 0xffff;
      const slot = this.portSlot[p]!;
      const b = slot === 0 ? 0xff : this.ranges[slot - 1]!.device.ioRead(p, 1) & 0xff;
      v |= b << (8 * i);
    }
    return v >>> 0;
  }

  private portWrite(port: number, size: AccessSize, value: number): void {
    const slot = this.portSlot[port]!;
    if (slot !== 0) {
      const r = this.ranges[slot - 1]!;
      if (r.sizes & size) {
        r.device.ioWrite(port, size, value);
        return;
      }
    }
    if (size === 1) return;
    for (let i = 0; i < size; i++) {
      const p = (port + i) & 0xffff;
      const s = this.portSlot[p]!;
      if (s !== 0) this.ranges[s - 1]!.device.ioWrite(p, 1, (value >>> (8 * i)) & 0xff);
    }
  }
}
