// Cache-cold DMA: a 128-byte line (the Pentium 4's L2 line, COSTS.md §1) that a device wrote is
// not in the CPU's caches, so the CPU's first read of it costs l2_miss_to_memory; the next reads
// of the line, and lines the device did not write, cost nothing extra. Holds for a page the TLB
// already mapped before the DMA and with paging off.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Cpu } from '../../emulator/cpu/cpu.ts';
import { TestBus, assemble, noInterrupts, unitCosts } from './cpu-harness.ts';

const BASE = 0x100000, BUF = 0x200000, MISS = 300;

function cpuWith(src: string): Cpu {
  const bus = new TestBus(4 << 20);
  bus.ram.set(assemble(src, BASE), BASE);
  const cpu = new Cpu(bus, noInterrupts, { ...unitCosts(), l2_miss_to_memory: MISS });
  cpu.resetForMultiboot(BASE, 0, 0);
  cpu.r[4] = 0x90000;
  return cpu;
}

/** Cycles of one `mov ADDR, %ebx` (class and load, 1 each at unit costs) and hlt, beyond those. */
function step(cpu: Cpu): number {
  const before = cpu.cycles;
  cpu.halted = false;
  assert.is(cpu.run(Infinity), 'halt');
  return cpu.cycles - before - 3;
}

test('the first read of each DMA-written line pays a memory access, later reads do not', () => {
  const cpu = cpuWith(`mov ${BUF}, %ebx\nhlt\nmov ${BUF}, %ebx\nhlt\nmov ${BUF + 4}, %ebx\nhlt\nmov ${BUF + 128}, %ebx\nhlt\nmov ${BUF + 256}, %ebx\nhlt\nmov ${BUF}, %ebx\nhlt\nmov ${BUF}, %ebx\nhlt`);
  assert.is(step(cpu), 0, 'before any DMA the line is warm');
  cpu.dmaWritten(BUF, 256); // two lines
  assert.is(step(cpu), MISS, 'first read of line 0');
  assert.is(step(cpu), 0, 'same line again');
  assert.is(step(cpu), MISS, 'first read of line 1');
  assert.is(step(cpu), 0, 'a line the device did not write');
  cpu.dmaWritten(BUF + 8, 4); // the device writes into line 0 again
  assert.is(step(cpu), MISS, 'cold again after the second DMA');
  assert.is(step(cpu), 0);
  assert.is(cpu.coldLineReads, 3);
});

test('with paging: a page the TLB mapped before the DMA still pays, without a new page walk', () => {
  const PD = 0x10000, PT = 0x11000;
  const cpu = cpuWith(`mov $${PD}, %eax\nmov %eax, %cr3\nmov %cr0, %eax\nor $0x80000000, %eax\nmov %eax, %cr0\nmov ${BUF}, %ebx\nhlt\nmov ${BUF + 64}, %ebx\nhlt\nmov ${BUF + 64}, %ebx\nhlt`);
  const dv = new DataView(cpu.ram.buffer);
  dv.setUint32(PD, PT | 3, true);
  for (let p = 0; p < 1024; p++) dv.setUint32(PT + p * 4, (p << 12) | 3, true);
  assert.is(cpu.run(Infinity), 'halt');
  cpu.dmaWritten(BUF, 128);
  const walks = cpu.stats.tlbMisses;
  assert.is(step(cpu), MISS);
  assert.is(cpu.stats.tlbMisses, walks, 'no page walk charged for the cold line');
  assert.is(step(cpu), 0, 'the page is back on the fast path');
});

test.run();
