// TLB capacity (emulator/cpu/tlb-capacity.ts): with dtlb_entries / itlb_entries set, the data and
// instruction TLBs hold that many translations each, a 4 MiB page is one translation, and the
// oldest translation makes room for a new one (first in, first out). The expected page-walk
// counts below are worked out by hand from those rules for each access sequence.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assemble, noInterrupts, TestBus, unitCosts } from './cpu-harness.ts';
import { Cpu } from '../../emulator/cpu/cpu.ts';

const PD = 0x10000, PT = 0x11000, BASE = 0x100000;

/**
 * Runs `body` after paging is on: the first hlt ends the set-up (paging on, the code page walked),
 * and the walks counted are those of `body` alone, up to its closing hlt.
 */
function walks(body: string, dtlb: number, itlb: number, big = false): number {
  const code = assemble(`
    mov $${PD}, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $0x10, %eax
    mov %eax, %cr4
    mov %cr0, %eax
    or $0x80000000, %eax
    mov %eax, %cr0
    hlt
${body}
    hlt`, BASE);
  const bus = new TestBus(8 << 20);
  bus.ram.set(code, BASE);
  const cpu = new Cpu(bus, noInterrupts, { ...unitCosts(), dtlb_entries: dtlb, itlb_entries: itlb });
  cpu.resetForMultiboot(BASE, 0x2badb002, 0);
  const dv = new DataView(bus.ram.buffer);
  // 0-4 MiB identity-mapped with 4 KiB pages; with `big`, 4-8 MiB as one 4 MiB page.
  dv.setUint32(PD, PT | 0x3, true);
  for (let p = 0; p < 1024; p++) dv.setUint32(PT + p * 4, (p << 12) | 0x3, true);
  if (big) dv.setUint32(PD + 4, 0x400000 | 0x83, true);
  assert.is(cpu.run(Infinity), 'halt');
  const before = cpu.stats.tlbMisses;
  cpu.halted = false;
  assert.is(cpu.run(Infinity), 'halt');
  return cpu.stats.tlbMisses - before;
}

const A = 0x200000, B = 0x201000, C = 0x202000;
const loads = (...addrs: number[]): string => addrs.map((a) => `    mov 0x${a.toString(16)}, %ebx`).join('\n');

test('unbounded (0 entries): each data page is walked once', () => {
  assert.is(walks(loads(A, B, C, A), 0, 0), 3);
});

test('a 2-entry DTLB walks again the page pushed out first, not the one used last', () => {
  // A B C A with room for 3: three walks; with room for 2, C pushes A out and A is walked again.
  assert.is(walks(loads(A, B, C, A), 3, 8), 3);
  assert.is(walks(loads(A, B, C, A), 2, 8), 4);
  // A B A C A: first in, first out. A's second use does not keep it: C pushes A out (4 walks);
  // a least-recently-used TLB would have pushed B out and walked 3 times.
  assert.is(walks(loads(A, B, A, C, A), 2, 8), 4);
});

test('a 4 MiB page is one DTLB entry whatever the 4 KiB pages used in it', () => {
  // The large page is walked once; its other 4 KiB pages hit the same entry (the emulator fills its
  // per-page entry for each without a walk). Then B: two translations resident, the large page still in.
  assert.is(walks(loads(0x400000, 0x401000, 0x402000, B, 0x400000), 2, 8, true), 2);
  // Unbounded, the same: one walk for the large page.
  assert.is(walks(loads(0x400000, 0x401000, 0x402000), 0, 0, true), 1);
  // Then C pushes the large page out (it came first): 0x401000 is walked again (4 walks in all).
  assert.is(walks(loads(0x400000, 0x401000, B, C, 0x401000), 2, 8, true), 4);
});

const stores = (...addrs: number[]): string => addrs.map((a) => `    movl $1, 0x${a.toString(16)}`).join('\n');

test('a write through a resident translation walks only to set the dirty bit', () => {
  // The page tables start clean (D = 0): reading A fills a clean entry, so the first write walks to
  // set D; the second write and a later read hit. A page written first is filled dirty: one walk.
  assert.is(walks(loads(A) + '\n' + stores(A, A) + '\n' + loads(A), 8, 8), 2);
  assert.is(walks(stores(A) + '\n' + loads(A) + '\n' + stores(A), 8, 8), 1);
  // With room for one entry, B pushes A out: A is walked again, and filled dirty by that write.
  assert.is(walks(stores(A, B, A, A), 1, 8), 3);
  // A read that walks a page already dirty fills a dirty entry: the write after it hits.
  assert.is(walks(stores(A, B) + '\n' + loads(A) + '\n' + stores(A), 1, 8), 3);
});

test('writes to a page holding decoded code hit the TLB like any other write', () => {
  // The code writes twice to a dword of its own page, away from its instructions: the emulator
  // takes those writes on its slow path (to catch self-modifying code), the TLB walks once (the
  // code page's data entry, filled dirty by the first write).
  const body = `
    movl $1, 2f
    movl $2, 2f
    jmp 3f
    .balign 64
2:  .long 0
3:`;
  assert.is(walks(body, 8, 8), 1);
});

test('a page-crossing access looks up both pages', () => {
  // A dword at the last two bytes of A: A and B are each walked once; the same access again hits both.
  const at = A + 0xffe;
  assert.is(walks(loads(at, at), 8, 8), 2);
  assert.is(walks(stores(at, at), 8, 8), 2);
});

test('instruction fetches and data use separate TLBs under a capacity model', () => {
  // Reading the code page as data: a walk of its own for the DTLB (the ITLB has it already).
  const readCode = `    mov 0x${BASE.toString(16)}, %ebx`;
  assert.is(walks(readCode, 8, 8), 1);
  assert.is(walks(readCode, 0, 0), 0, 'unbounded: one shared entry, no walk');
});

test('a 1-entry ITLB walks the code page again at every switch between two code pages', () => {
  // ecx = 3: p1 -> p2 (walk), p2 -> p1 (walk), p1 -> p2, p2 -> p1, then p1 -> p2 to the hlt: 5 walks.
  const body = `
    mov $3, %ecx
1:  dec %ecx
    jz 3f
    jmp 2f
    .balign 4096
2:  jmp 1b
3:`;
  assert.is(walks(body, 8, 1), 5);
  assert.is(walks(body, 8, 2), 1, 'both code pages fit: only the second is walked, once');
});

test.run();
