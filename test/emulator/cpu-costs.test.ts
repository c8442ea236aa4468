// Cost classes applied as their sources mean them: rep movs/stos pay their set-up once per
// instruction and then per byte at the memory bus's rate (however the emulator splits the work or
// suspends it), lea/shift/adc have their own classes. Expected cycles are computed from the
// profile's figures and the instruction encodings GNU as produced, not from a previous run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Cpu } from '../../emulator/cpu/cpu.ts';
import { loadProfile } from '../../emulator/profiles/load.ts';
import { TestBus, assemble, noInterrupts } from './cpu-harness.ts';
import type { CostTable } from '../../emulator/types.ts';

const BASE = 0x100000;
const p4 = loadProfile('p4-2.8ghz').costs;

/** Every class 1 except the ones a test looks at. */
function costs(over: Partial<CostTable>): CostTable {
  const c = { ...p4 };
  for (const k of Object.keys(c) as (keyof CostTable)[]) c[k] = 1;
  return { ...c, ...over };
}

function cpuWith(src: string, c: CostTable): Cpu {
  const bus = new TestBus(4 << 20);
  bus.ram.set(assemble(src, BASE), BASE);
  const cpu = new Cpu(bus, noInterrupts, c);
  cpu.resetForMultiboot(BASE, 0, 0);
  cpu.r[4] = 0x90000;
  return cpu;
}

const copy = (bytes: number, op = 'movsl', unit = 4) =>
  `mov $${bytes / unit}, %ecx\nmov $0x200000, %esi\nmov $0x300000, %edi\ncld\nrep ${op}\nhlt`;

test('rep movsl of N bytes: set-up once plus 2N bytes at the bus rate, over many emulator chunks', () => {
  const c = costs({ rep_movs_setup: p4.rep_movs_setup, bus_cycles_per_kib: p4.bus_cycles_per_kib });
  const n = 256 << 10; // well beyond one chunk of the emulator's rep loop
  const cpu = cpuWith(copy(n), c);
  assert.is(cpu.run(Infinity), 'halt');
  // 6 instructions at 1 each, one set-up, and each byte read and written back over the bus.
  assert.is(cpu.cycles, 6 + p4.rep_movs_setup + Math.floor((2 * n * p4.bus_cycles_per_kib) / 1024));
});

test('rep movsb and rep movsl moving the same bytes cost the same: per byte, not per element', () => {
  const c = costs({ rep_movs_setup: p4.rep_movs_setup, bus_cycles_per_kib: p4.bus_cycles_per_kib });
  const a = cpuWith(copy(8192, 'movsl', 4), c), b = cpuWith(copy(8192, 'movsb', 1), c);
  a.run(Infinity); b.run(Infinity);
  assert.is(a.cycles, b.cycles);
});

test('rep stosl: one bus crossing per byte', () => {
  const c = costs({ rep_movs_setup: p4.rep_movs_setup, bus_cycles_per_kib: p4.bus_cycles_per_kib });
  const n = 64 << 10;
  const cpu = cpuWith(`mov $${n / 4}, %ecx\nmov $0x300000, %edi\nxor %eax, %eax\ncld\nrep stosl\nhlt`, c);
  cpu.run(Infinity);
  assert.is(cpu.cycles, 6 + p4.rep_movs_setup + Math.floor((n * p4.bus_cycles_per_kib) / 1024));
});

test('a rep movs suspended and resumed (run stopped by a cycle limit) pays its set-up once', () => {
  const c = costs({ rep_movs_setup: p4.rep_movs_setup, bus_cycles_per_kib: p4.bus_cycles_per_kib });
  const n = 256 << 10;
  const whole = cpuWith(copy(n), c);
  whole.run(Infinity);
  const pieces = cpuWith(copy(n), c);
  let stops = 0;
  while (pieces.run(pieces.cycles + 5000) === 'limit') stops++;
  assert.ok(stops > 10, `suspended ${stops} times`);
  assert.is(pieces.cycles, whole.cycles);
  assert.is(pieces.stats.instructions, whole.stats.instructions);
});

test('lea, shifts, rotates and adc/sbb are charged their own classes', () => {
  const c = costs({ lea: 3, shift: 4, adc: 5, alu: 1 });
  const cpu = cpuWith('lea 4(%eax,%ebx,2), %ecx\nshl $3, %eax\nrol %cl, %edx\nshrd $4, %ebx, %eax\nadc %ebx, %eax\nsbb $1, %edx\nadcl $0, %eax\nadd %ebx, %eax\nhlt', c);
  assert.is(cpu.run(Infinity), 'halt');
  assert.is(cpu.cycles, 3 + 4 + 4 + 4 + 5 + 5 + 5 + 1 + 1);
});

test.run();
