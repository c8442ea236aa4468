// The layout a compiled block relies on (emulator/guest-memory.ts): guest RAM at offset 0 of one
// memory, the registers and the TLB entries at the offsets stateLayout gives. Programs assembled by
// GNU as write registers and memory and walk a page table; the test reads the results back through
// raw views of the memory's buffer, not through the CPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Cpu } from '../../emulator/cpu/cpu.ts';
import { allocateGuestRam, cpuState, stateLayout, wasmMemoryOf } from '../../emulator/guest-memory.ts';
import { TestBus, noInterrupts, unitCosts, buildRings, enterRing, assemble } from './cpu-harness.ts';

const CODE = 0x10000;

function run(source: string, paging: boolean): { cpu: Cpu; bus: TestBus } {
  const bus = new TestBus(4 << 20);
  bus.ram.set(assemble(source, CODE), CODE);
  const cpu = new Cpu(bus, noInterrupts, unitCosts());
  buildRings(cpu, bus.ram, paging);
  enterRing(cpu, 0, CODE);
  assert.is(cpu.run(Infinity, 1000), 'halt');
  return { cpu, bus };
}

test('the registers a program leaves are the dwords at stateLayout().regs, EAX first', () => {
  const { bus } = run('mov $0x12345678, %eax\nmov $0x9abcdef0, %ecx\nmov $7, %edi\nhlt', false);
  const regs = new Int32Array(bus.ram.buffer, stateLayout(bus.ram.length).regs, 8);
  assert.is(regs[0]! >>> 0, 0x12345678);
  assert.is(regs[1]! >>> 0, 0x9abcdef0);
  assert.is(regs[7], 7);
});

test('a store to a physical address lands at that offset of the memory', () => {
  const { bus } = run('movl $0xdeadbeef, 0x5008\nhlt', false);
  assert.is(new DataView(bus.ram.buffer).getUint32(0x5008, true), 0xdeadbeef);
});

test('a read and a write through paging fill the entries of their linear page at stateLayout().tlbR and tlbW', () => {
  // buildRings maps the first 4 MiB with one identity-mapped large page.
  const { bus } = run('mov 0x200010, %eax\nmovl $1, 0x301000\nhlt', true);
  const at = stateLayout(bus.ram.length);
  const tlbR = new Int32Array(bus.ram.buffer, at.tlbR, 1 << 20), tlbW = new Int32Array(bus.ram.buffer, at.tlbW, 1 << 20);
  assert.is.not(tlbR[0x200], 0, 'read entry of page 0x200');
  assert.is((tlbR[0x200]! & ~0xfff) >>> 0, 0x200000, 'it maps physical page 0x200');
  assert.is.not(tlbW[0x301], 0, 'write entry of page 0x301');
  assert.is((tlbW[0x301]! & ~0xfff) >>> 0, 0x301000, 'it maps physical page 0x301');
  assert.is(tlbW[0x200], 0, 'no write entry for the page only read');
});

test('RAM from anywhere else is refused, and so is a size that is not whole dwords', () => {
  assert.throws(() => cpuState(new Uint8Array(1 << 20)), /allocateGuestRam/);
  assert.throws(() => allocateGuestRam(4097), /whole number of dwords/);
  assert.is(allocateGuestRam(1 << 20).byteOffset, 0);
});

test('the RAM is a WebAssembly memory\'s (test/emulator/machine-cli.test.ts boots a kernel where the host refuses one)', () => {
  assert.ok(wasmMemoryOf(allocateGuestRam(1 << 20)) !== undefined);
});

test.run();
