// Global pages (Intel SDM vol. 3, "Global pages"): with CR4.PGE set, a TLB entry made from a PTE
// with the G bit survives a CR3 load; entries without it, or any entry once PGE is clear, do not.
// Counted as page walks (TLB misses) of the emulated CPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { machineWith, assemble } from './cpu-harness.ts';

const PD = 0x10000, PT = 0x11000;

/** Identity-maps the first 4 MiB with 4 KiB pages, all global except the page at `plain`. */
function setup(pge: boolean) {
  const code = assemble(`
    mov $${PD}, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $${pge ? 0x80 : 0}, %eax
    mov %eax, %cr4
    mov %cr0, %eax
    or $0x80000000, %eax
    mov %eax, %cr0
    mov 0x200000, %ebx
    mov 0x300000, %ebx
    hlt
    mov %cr3, %eax
    mov %eax, %cr3
    mov 0x200000, %ebx
    mov 0x300000, %ebx
    hlt`);
  const { cpu, bus } = machineWith(code);
  const dv = new DataView(bus.ram.buffer);
  dv.setUint32(PD, PT | 0x3, true);
  for (let p = 0; p < 1024; p++) dv.setUint32(PT + p * 4, (p << 12) | 0x3 | (p === 0x300 ? 0 : 0x100), true);
  return cpu;
}

test('a CR3 load keeps the entries of global pages and drops the others', () => {
  const cpu = setup(true);
  assert.is(cpu.run(Infinity), 'halt');
  const before = cpu.stats.tlbMisses;
  cpu.halted = false;
  assert.is(cpu.run(Infinity), 'halt');
  // Only the non-global page is walked again: code, stack and 0x200000 are global.
  assert.is(cpu.stats.tlbMisses - before, 1);
});

test('with the profile\'s global_pages switch off, a CR3 load drops global entries too', () => {
  const cpu = setup(true);
  cpu.keepGlobalPages = false;
  cpu.run(Infinity);
  const before = cpu.stats.tlbMisses;
  cpu.halted = false;
  cpu.run(Infinity);
  assert.ok(cpu.stats.tlbMisses - before >= 3, `${cpu.stats.tlbMisses - before} walks`);
});

test('without CR4.PGE the G bit is ignored: a CR3 load drops every entry', () => {
  const cpu = setup(false);
  cpu.run(Infinity);
  const before = cpu.stats.tlbMisses;
  cpu.halted = false;
  cpu.run(Infinity);
  // The code page and both data pages are walked again.
  assert.ok(cpu.stats.tlbMisses - before >= 3, `${cpu.stats.tlbMisses - before} walks`);
});

test.run();
