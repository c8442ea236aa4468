// A hypervisor's access to its guest's memory (the Xen and L4 models both use it): virtual
// addresses are translated by walking the current page tables in software (no TLB fill, no
// accessed/dirty bits, no #PF: a hypercall with a bad pointer gets -EFAULT, not a fault), and
// writes go through the CPU's physical path so decoded code in the written page is dropped.
import type { Cpu } from '../cpu/cpu.ts';
import { CR0_PG, CR4_PSE } from '../cpu/mmu.ts';

/** A guest pointer Xen could not follow; hypercalls turn it into -EFAULT. */
export class GuestFault extends Error {
  constructor(readonly va: number, readonly write: boolean) {
    super(`${write ? 'write to' : 'read from'} unmapped or read-only guest address 0x${(va >>> 0).toString(16)}`);
  }
}

export class GuestMemory {
  /** `pageDirectory` gives the directory to walk (default: the one CR3 holds now). */
  constructor(private readonly cpu: Cpu, private readonly pageDirectory?: () => number) {}

  /** Machine address of virtual `va` in the current address space, or -1 if not mapped (or not writable when `write`). */
  translate(va: number, write: boolean): number {
    va >>>= 0;
    const cpu = this.cpu;
    if (!(cpu.cr0 & CR0_PG)) return va;
    const root = this.pageDirectory ? this.pageDirectory() : cpu.cr3;
    const pde = cpu.physRead32(((root & ~0xfff) >>> 0) + (va >>> 22) * 4);
    if (!(pde & 1)) return -1;
    if ((pde & 0x80) && (cpu.cr4 & CR4_PSE)) {
      if (write && !(pde & 2)) return -1;
      return ((pde & 0xffc00000) | (va & 0x3fffff)) >>> 0;
    }
    const pte = cpu.physRead32(((pde & ~0xfff) >>> 0) + ((va >>> 12) & 0x3ff) * 4);
    if (!(pte & 1)) return -1;
    if (write && !(pde & pte & 2)) return -1;
    return ((pte & ~0xfff) | (va & 0xfff)) >>> 0;
  }

  private addr(va: number, write: boolean): number {
    const p = this.translate(va, write);
    if (p < 0 || p + 4 > this.cpu.ramSize) throw new GuestFault(va, write);
    return p;
  }

  read32(va: number): number {
    if ((va & 0xfff) <= 0xffc) return this.cpu.physRead32(this.addr(va, false)) >>> 0;
    return (this.read8(va) | (this.read8(va + 1) << 8) | (this.read8(va + 2) << 16) | (this.read8(va + 3) << 24)) >>> 0;
  }
  read16(va: number): number {
    return this.read8(va) | (this.read8(va + 1) << 8);
  }
  read8(va: number): number {
    const p = this.translate(va, false);
    if (p < 0 || p >= this.cpu.ramSize) throw new GuestFault(va, false);
    return this.cpu.ram[p]!;
  }
  write32(va: number, v: number): void {
    if ((va & 0xfff) <= 0xffc) { this.cpu.physWrite32(this.addr(va, true), v | 0); return; }
    for (let i = 0; i < 4; i++) this.write8(va + i, v >>> (8 * i));
  }
  write8(va: number, v: number): void {
    const p = this.translate(va, true);
    if (p < 0 || p >= this.cpu.ramSize) throw new GuestFault(va, true);
    this.cpu.ram[p] = v;
    this.cpu.invalidateCode(p, 1);
  }
  readBytes(va: number, n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.read8(va + i);
    return out;
  }
}
