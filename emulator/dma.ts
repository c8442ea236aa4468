// Bus-master access to a RAM array: the DmaMemory the machine gives its PCI devices.
// Bounds are checked on every access; writes tell the CPU's code cache which bytes changed.
import type { DmaMemory } from './types.ts';

/**
 * A hypervisor's limit on bus-master access: RAM at or above `limit()` is not the guest's (the
 * hypervisor's own memory), so an access there is refused and reported with its address.
 */
export interface DmaGuard {
  limit(): number;
  refused(addr: number, len: number): void;
}

export class RamDma implements DmaMemory {
  constructor(
    private readonly ram: Uint8Array,
    /** Called after every successful write, so decoded code in [addr, addr+len) can be dropped. */
    private readonly onDmaWrite: (addr: number, len: number) => void = () => {},
    private readonly guard?: DmaGuard,
  ) {}

  private inRam(addr: number, len: number): boolean {
    if (!(Number.isInteger(addr) && addr >= 0 && len >= 0 && addr + len <= this.ram.length)) return false;
    if (this.guard && addr + len > this.guard.limit()) {
      this.guard.refused(addr, len);
      return false;
    }
    return true;
  }

  read(addr: number, dst: Uint8Array, dstOff: number, len: number): boolean {
    if (!this.inRam(addr, len)) return false;
    dst.set(this.ram.subarray(addr, addr + len), dstOff);
    return true;
  }

  write(addr: number, src: Uint8Array, srcOff: number, len: number): boolean {
    if (!this.inRam(addr, len)) return false;
    this.ram.set(src.subarray(srcOff, srcOff + len), addr);
    this.onDmaWrite(addr, len);
    return true;
  }

  read32(addr: number): number | undefined {
    if (!this.inRam(addr, 4)) return undefined;
    const r = this.ram;
    return (r[addr]! | (r[addr + 1]! << 8) | (r[addr + 2]! << 16) | (r[addr + 3]! << 24)) >>> 0;
  }

  write32(addr: number, value: number): boolean {
    if (!this.inRam(addr, 4)) return false;
    const r = this.ram;
    r[addr] = value & 0xff;
    r[addr + 1] = (value >>> 8) & 0xff;
    r[addr + 2] = (value >>> 16) & 0xff;
    r[addr + 3] = (value >>> 24) & 0xff;
    this.onDmaWrite(addr, 4);
    return true;
  }
}
