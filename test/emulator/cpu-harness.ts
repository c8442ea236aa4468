// Shared by the CPU unit tests: a bare bus (RAM plus recorded port writes), a zero interrupt line,
// a unit cost table, and a helper that assembles a snippet with GNU as and loads it flat.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bus, CostTable, InterruptLine, AccessSize } from '../../emulator/types.ts';
import { Cpu } from '../../emulator/cpu/cpu.ts';

export class TestBus implements Bus {
  readonly ram: Uint8Array;
  readonly portWrites: { port: number; size: number; value: number }[] = [];
  portReads = new Map<number, number>();
  constructor(bytes: number) {
    this.ram = new Uint8Array(bytes);
  }
  mmioRead(_addr: number, size: AccessSize): number {
    return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  }
  mmioWrite(): void {}
  ioRead(port: number, size: AccessSize): number {
    return this.portReads.get(port) ?? (size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff);
  }
  ioWrite(port: number, size: AccessSize, value: number): void {
    this.portWrites.push({ port, size, value });
  }
}

export const noInterrupts: InterruptLine = { pending: () => false, acknowledge: () => 0 };

export function unitCosts(): CostTable {
  const keys = ['alu', 'load', 'store', 'branch_taken', 'branch_not_taken', 'imul', 'div', 'rep_movs_setup',
    'rep_per_element', 'locked_rmw_extra', 'pushf', 'popf', 'cli', 'sti', 'mov_to_sreg', 'mov_from_sreg', 'rdtsc',
    'cpuid', 'int_n_cross_ring', 'int_n_same_ring', 'iret_cross_ring', 'iret_same_ring', 'hw_interrupt_entry',
    'exception_entry', 'mov_cr3', 'mov_cr_other', 'tlb_miss_refill', 'invlpg', 'descriptor_table_load', 'wbinvd',
    'port_io', 'mmio_read', 'mmio_write', 'far_transfer'] as const;
  const c = {} as Record<(typeof keys)[number], number>;
  for (const k of keys) c[k] = 1;
  return c;
}

/** Assembles AT&T source (32-bit) linked at `base` and returns the flat binary. */
export function assemble(source: string, base = 0x100000): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'cpu-test-'));
  try {
    writeFileSync(join(dir, 'a.s'), `.code32\n.text\n.globl _start\n_start:\n${source}\n`);
    execFileSync('as', ['--32', '-o', join(dir, 'a.o'), join(dir, 'a.s')]);
    execFileSync('ld', ['-m', 'elf_i386', '-Ttext', `0x${base.toString(16)}`, '-e', '_start', '-o', join(dir, 'a.elf'), join(dir, 'a.o')]);
    execFileSync('objcopy', ['-O', 'binary', join(dir, 'a.elf'), join(dir, 'a.bin')]);
    return new Uint8Array(readFileSync(join(dir, 'a.bin')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A CPU with `code` loaded at `base` in flat ring-0 protected mode and a stack below 0x90000. */
export function machineWith(code: Uint8Array, base = 0x100000, ramBytes = 4 << 20): { cpu: Cpu; bus: TestBus } {
  const bus = new TestBus(ramBytes);
  bus.ram.set(code, base);
  const cpu = new Cpu(bus, noInterrupts, unitCosts());
  cpu.resetForMultiboot(base, 0x2badb002, 0);
  cpu.r[4] = 0x90000;
  return { cpu, bus };
}
