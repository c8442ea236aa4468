// Shared by the CPU unit tests: a bare bus (RAM plus recorded port writes), a zero interrupt line,
// a unit cost table, and a helper that assembles a snippet with GNU as and loads it flat.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bus, CostTable, InterruptController, AccessSize } from '../../emulator/types.ts';
import { Cpu } from '../../emulator/cpu/cpu.ts';
import { allocateGuestRam } from '../../emulator/guest-memory.ts';

export class TestBus implements Bus {
  readonly ram: Uint8Array;
  readonly portWrites: { port: number; size: number; value: number }[] = [];
  portReads = new Map<number, number>();
  constructor(bytes: number) {
    this.ram = allocateGuestRam(bytes);
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

export const noInterrupts: InterruptController = { pending: () => false, acknowledge: () => 0 };

export function unitCosts(): CostTable {
  const keys = ['alu', 'load', 'store', 'branch_taken', 'branch_not_taken', 'imul', 'div', 'rep_movs_setup',
    'rep_per_element', 'locked_rmw_extra', 'pushf', 'popf', 'cli', 'sti', 'mov_to_sreg', 'mov_from_sreg', 'rdtsc',
    'cpuid', 'int_n_cross_ring', 'int_n_same_ring', 'iret_cross_ring', 'iret_same_ring', 'hw_interrupt_entry',
    'exception_entry', 'mov_cr3', 'mov_cr_other', 'tlb_miss_refill', 'invlpg', 'descriptor_table_load', 'wbinvd',
    'port_io', 'mmio_read', 'mmio_write', 'far_transfer', 'lea', 'shift', 'adc', 'l2_miss_to_memory'] as const;
  const c = {} as Record<(typeof keys)[number], number>;
  for (const k of keys) c[k] = 1;
  // A byte moved by rep movs/stos costs nothing on the bus here: the string tests count elements.
  // An unbounded TLB: the tests that count page walks do not depend on a capacity.
  return { ...c, bus_cycles_per_kib: 0, dtlb_entries: 0, itlb_entries: 0 };
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

// ---- a ring 0-3 environment built directly in memory ---------------------------------------------
export const GDT = 0x1000, IDT = 0x2000, STUBS = 0x3000, TSS = 0x4000, PD = 0x5000;
export const SEL = { code: [0x08, 0x1b - 0x2 + 0x1, 0x2a, 0x3b], data: [0x10, 0x21, 0x32, 0x43], tss: 0x48 };
// Selectors with RPL = DPL: ring n code at GDT index 1+2n, data at 2+2n.
for (let n = 0; n < 4; n++) {
  SEL.code[n] = ((1 + 2 * n) << 3) | n;
  SEL.data[n] = ((2 + 2 * n) << 3) | n;
}
export const STACK_TOP = [0x9000, 0x8800, 0x8400, 0x8000];

function putDesc(ram: Uint8Array, addr: number, base: number, limit: number, access: number, flags: number): void {
  const dv = new DataView(ram.buffer, ram.byteOffset);
  dv.setUint32(addr, ((base & 0xffff) << 16) | (limit & 0xffff), true);
  dv.setUint32(addr + 4, ((base >>> 24) << 24) | ((flags & 0xf) << 20) | (((limit >>> 16) & 0xf) << 16) | (access << 8) | ((base >>> 16) & 0xff), true);
}

/**
 * Writes a GDT (flat code/data for rings 0-3 and a TSS), an IDT whose 256 interrupt gates (DPL 3)
 * point at stubs that drop any error code, step the return EIP by one byte and iret, a TSS with
 * stacks for rings 0-2 and an I/O bitmap (ports 0x80 allowed, 0x81 denied), and a page directory
 * mapping the first 4 MiB with one user-writable 4 MiB page. Loads GDTR, IDTR and TR.
 */
export function buildRings(cpu: Cpu, ram: Uint8Array, paging: boolean): void {
  const dv = new DataView(ram.buffer, ram.byteOffset);
  putDesc(ram, GDT, 0, 0, 0, 0);
  for (let n = 0; n < 4; n++) {
    putDesc(ram, GDT + 8 * (1 + 2 * n), 0, 0xfffff, 0x9a | (n << 5), 0xc);
    putDesc(ram, GDT + 8 * (2 + 2 * n), 0, 0xfffff, 0x92 | (n << 5), 0xc);
  }
  putDesc(ram, GDT + 0x48, TSS, 0x68 + 0x20 + 1, 0x89, 0);
  // Stubs: with an error code "add $4,%esp; incl (%esp); iret", without "incl (%esp); iret".
  const withErr = [0x83, 0xc4, 0x04, 0xff, 0x04, 0x24, 0xcf];
  const noErr = [0xff, 0x04, 0x24, 0xcf];
  ram.set(withErr, STUBS);
  ram.set(noErr, STUBS + 16);
  for (let v = 0; v < 256; v++) {
    const hasErr = v === 8 || (v >= 10 && v <= 14) || v === 17;
    const target = hasErr ? STUBS : STUBS + 16;
    dv.setUint32(IDT + 8 * v, (SEL.code[0]! << 16) | (target & 0xffff), true);
    dv.setUint32(IDT + 8 * v + 4, (target & 0xffff0000) | 0xee00, true);
  }
  for (let n = 0; n < 3; n++) {
    dv.setUint32(TSS + 4 + 8 * n, STACK_TOP[n]!, true);
    dv.setUint32(TSS + 8 + 8 * n, SEL.data[n]!, true);
  }
  dv.setUint16(TSS + 0x66, 0x68, true);
  ram.fill(0xff, TSS + 0x68, TSS + 0x68 + 0x21);
  ram[TSS + 0x68 + 0x10] = 0xfe; // port 0x80 allowed, 0x81.. denied
  dv.setUint32(PD, 0x87 | 0x40 | 0x20, true); // 4 MiB, present, writable, user, accessed, dirty
  cpu.gdtBase = GDT; cpu.gdtLimit = 0x4f;
  cpu.idtBase = IDT; cpu.idtLimit = 0x7ff;
  cpu.readDescriptor(SEL.tss);
  cpu.trSel = SEL.tss; cpu.trBase = TSS; cpu.trLimit = 0x68 + 0x20 + 1; cpu.trAr = 0x8b00;
  if (paging) {
    cpu.cr4 |= 0x10;
    cpu.cr3 = PD;
    cpu.writeCr0(cpu.cr0 | 0x80000000 | 0x10000);
  }
}

/** Puts the CPU at ring `cpl` with that ring's flat code, data and stack, at `eip`. */
export function enterRing(cpu: Cpu, cpl: number, eip: number, eflags = 0x202): void {
  const code = 0xc09a00 | (cpl << 13) | 0x100, data = 0xc09200 | (cpl << 13) | 0x100;
  cpu.setSegCache(1, SEL.code[cpl]!, 0, 0xffffffff, code, true);
  for (const s of [0, 2, 3, 4, 5]) cpu.setSegCache(s, SEL.data[cpl]!, 0, 0xffffffff, data, true);
  cpu.r[4] = STACK_TOP[cpl]!;
  cpu.eip = eip;
  cpu.writeEflags(eflags, 0x3f7fd7);
}
