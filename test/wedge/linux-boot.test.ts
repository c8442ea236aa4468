// The afterburnt Linux 6.1 vmlinux under the wedge on Xen, entered by the Linux 32-bit boot
// protocol with its initramfs handed over in the wedge's module (wedge-initrd=, README.md). Oracles:
// - the same afterburnt kernel's bzImage booted on hardware (the emulator's boot loader, whose
//   Linux boot is checked against QEMU by test/linux/boot.test.ts) with the same command line and
//   initramfs prints the same console lines up to "Run /init as init process", numbers aside (the
//   domain has less memory than the machine, and the TSC calibration differs in its last digits);
//   the wedge's own lines and Linux's report of the reservetop= the wedge appends are the only
//   extra lines;
// - native Linux on a PC (QEMU running linux@native's bzImage and the same initramfs) prints the
//   self-test lines /init must print under the wedge, and the run ends through the debug-exit
//   port with status 0 (init's ioperm grant, checked by the wedge against the guest's TSS bitmap);
// - objdump and addr2line of vmlinux for its page-table sites (profile feedback): the writes that
//   still fault are no store on a line the feedback names, and with the sites left plain the
//   self-test prints the same lines, every write faulting.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { runKernel, type RunKernelOptions, type RunKernelResult } from '../../emulator/run.ts';
import type { Machine } from '../../emulator/machine.ts';
import { buildWedge } from './build.ts';
import { worldLinux, linuxGuest } from '../linux/world-build.ts';
import { runLinuxOnQemu } from '../linux/qemu.ts';
import { SELFTEST_APPEND } from '../linux/selftest-append.ts';
import { recordRanges } from '../afterburner/tools.ts';
import { instructionsAt, isWordStore, linuxFeedback, onStack, sourceLines } from '../linux/feedback-oracle.ts';

const MEM_MIB = 64;
const BUDGET = 3_000_000_000;
const RUN_INIT = 'Run /init as init process';

function lines(out: Uint8Array): string[] {
  return Buffer.from(out).toString('latin1').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l !== '');
}
const selftestLines = (ls: string[]): string[] => ls.filter((l) => l.startsWith('selftest: '));

/** Numbers masked: hex with 0x, then any word holding a digit. */
function masked(ls: string[]): string[] {
  return ls.map((l) => l.replace(/ reservetop=0x[0-9a-f]+/, '').replace(/0x[0-9a-f]+/g, 'H').replace(/[0-9a-f]*[0-9][0-9a-f]*/g, 'N'));
}

const linux = await worldLinux('afterburnt');
const initrd = readFileSync(linux.initrd!);
const wedge = await buildWedge('xen');

/** A run that a panic ends at once (the kernel would spin until the budget). */
function run(o: Pick<RunKernelOptions, 'elf' | 'kernelName' | 'backend' | 'wedge' | 'wedgeName'>, more = ''): RunKernelResult {
  let machine: Machine | null = null;
  let text = '';
  return runKernel({
    mem: MEM_MIB << 20, cmdline: `${SELFTEST_APPEND}${more}`, initrd, maxInstructions: BUDGET, ...o,
    setup: (m) => { machine = m; },
    serial: (bytes) => {
      text += Buffer.from(bytes).toString('latin1');
      if (text.includes('end Kernel panic')) machine!.abort('the guest kernel panicked');
    },
  });
}

const hw = run({ elf: readFileSync(linux.kernel!), kernelName: 'bzImage' });
const onXen = { elf: readFileSync(linux.vmlinux!), kernelName: 'vmlinux', backend: 'xen', wedge: readFileSync(wedge.elf), wedgeName: 'wedge-xen.elf' } as const;
const xen = run(onXen);
// The same kernel with its page-table sites left plain stores (the wedge's skip-pt-site=all,
// removed before Linux sees its command line): every write to a table in use faults.
const safetyNet = run(onXen, ' skip-pt-site=all');
const hwLines = lines(hw.serialOutput);
const all = lines(xen.serialOutput);

test('under the wedge on Xen the kernel reaches /init, its self-test passes and init ends the run through the debug-exit port', () => {
  assert.is(xen.backend.mode, 'pv-wedge');
  assert.is(xen.exitCode, 0, `${xen.reason}\n${all.slice(-12).join('\n')}`);
  assert.ok(selftestLines(all).includes('selftest: done failures=0'), all.slice(-12).join('\n'));
  for (const bad of ['Oops', 'WARNING:', 'BUG:', 'Call Trace', 'Kernel panic', 'unchecked MSR access', 'traps:']) {
    assert.not.ok(all.some((l) => l.includes(bad)), bad);
  }
  // Every sensitive instruction the kernel ran deprivileged was a rewritten site, but for two the
  // afterburner does not mark: rdtsc (unprivileged in ring 1 with CR4.TSD clear: it reads the
  // machine's TSC, as a para-virtual kernel's does) and the int3 of Linux's int3 self-test (it
  // traps at any privilege; the wedge reflects it as the trap).
  const others = (xen.backend.holes ?? []).filter((h) => h.instruction !== 'rdtsc' && !(h.instruction === 'int3' && h.symbol.startsWith('int3_selftest+')));
  assert.equal(others, [], JSON.stringify(others));
});

// With its page-table sites left plain, the wedge runs Linux on its own directories, pinned by
// Xen, every write to a table in use found by write protection (README.md, "Booting Linux").
// Oracles: Xen's own hypercall counts (the model validates each pin and update), and the shadow
// path's behaviour: with paging on it builds every kernel-half shadow table at once, without a
// fault, so shadow tables built only for faults are the identity map of the paging-off start.
test('Linux runs on its own page tables: pinned, each write to one faulted and done through mmu_update, no shadow table once paging is on', () => {
  assert.is(safetyNet.exitCode, 0, safetyNet.reason);
  assert.equal(selftestLines(lines(safetyNet.serialOutput)), selftestLines(all), 'the same self-test with the sites left plain');
  const w = safetyNet.backend.wedge as Record<string, number>;
  const hc = (safetyNet.backend.xen as { hypercalls: Record<string, number> }).hypercalls;
  assert.ok(w['page directories pinned']! >= 2, `pins: ${w['page directories pinned']}`);   // the first directory, then swapper_pg_dir and /init's
  assert.ok(w['page directories unpinned']! >= 1, 'the first directory (built with paging off) unpinned when left');
  assert.ok(w['page-table write faults']! > 1000, `write faults: ${w['page-table write faults']}`);
  assert.is(w['page-table writes emulated'], w['page-table write faults'], 'every fault on a table was a write the wedge did');
  assert.ok(w['page-table updates']! >= w['page-table writes emulated']!);
  assert.ok(hc.mmu_update! >= w['page-table writes emulated']!, `mmu_update hypercalls: ${hc.mmu_update}`);
  assert.ok(hc.mmuext_op! >= w['page directories pinned']! + w['page directories unpinned']!);
  assert.is(w['page-table sites rewritten'], 0);
  assert.is(w['shadow fills'], w['shadow page faults'], 'shadow tables only for faults while paging was off');
  assert.is(w['shadow reuses'], 0);
});

// Profile feedback (feedback/linux.txt; recipes/linux.md): the 32-bit stores on the lines it
// names are page-table sites, each a call into the wedge's page-table path, so those writes no
// longer fault. What still faults is a write no site covers: an instruction that is no plain
// 32-bit mov store (Linux's andb and btrl read-modify-writes of an entry), or a store on a line
// the netperf profile did not see. Oracles: objdump (the site records and the instruction at each
// faulting EIP) and addr2line (its line), against the wedge's own record of what faulted.
test('profile feedback: the named lines\' stores go through the page-table sites; what faults is no named mov store', async () => {
  const w = xen.backend.wedge as Record<string, number>;
  const net = safetyNet.backend.wedge as Record<string, number>;
  assert.is(w['page-table sites rewritten'], (await recordRanges(linux.vmlinux!, '.afterburn_pt')).length);
  assert.ok(w['page-table sites rewritten']! > 0);
  assert.ok(w['page-table writes']! > 0, 'the sites ran');
  assert.ok(w['page-table write faults']! < net['page-table write faults']!, `write faults ${w['page-table write faults']} against ${net['page-table write faults']} with the sites plain`);
  assert.is(w['page-table writes emulated'], w['page-table write faults']);
  const eips = xen.backend.pt_write_eips ?? [];
  assert.ok(eips.length > 0 || w['page-table write faults'] === 0);
  const fb = linuxFeedback();
  const texts = await instructionsAt(linux.vmlinux!, eips);
  const where = await sourceLines(linux.vmlinux!, eips);
  const named = eips.filter((_, k) => isWordStore(texts[k]!) && !onStack(texts[k]!) && fb.pte.has(where[k]!));
  assert.equal(named.map((e) => `0x${e.toString(16)}`), [], 'a store on a named line faulted');
  process.stdout.write(`# Linux self-test on Xen: ${w['page-table write faults']} page-table write faults with ${w['page-table sites rewritten']} sites ` +
    `(${net['page-table write faults']} with them plain), ${w['page-table writes']} writes through the sites; faulting: ` +
    `${eips.map((e, k) => `${texts[k]!.replace(/\s+/g, ' ')} (${where[k]})`).join('; ')}\n`);
});

// Linux's IDT entry 8 is a task gate to its double-fault TSS, GDT entry 31
// (GDT_ENTRY_DOUBLEFAULT_TSS in Linux 6.1's arch/x86/include/asm/segment.h): selector 0xf8. The
// wedge takes it at the IDT load and gives Xen's trap-table entry 8 to a stop naming it.
test('the double-fault task gate is taken at IDT load: one line naming the TSS, one more set_trap_table', () => {
  const told = all.filter((l) => l.startsWith('[wedge] IDT entry 8'));
  assert.equal(told, ['[wedge] IDT entry 8 is a task gate (TSS 0xf8): not entered, a double fault stops the domain']);
  const hc = (xen.backend.xen as { hypercalls: Record<string, number> }).hypercalls;
  assert.is(hc.set_trap_table, 2, 'the wedge\'s table at start, then vector 8 at the IDT load');
});

test('the zero page carried the command line and the initramfs; the console lines up to /init are those of the bzImage on hardware', () => {
  assert.is(hw.exitCode, 0, `hardware: ${hw.reason}\n${hwLines.slice(-8).join('\n')}`);
  assert.ok(all.includes('Kernel command line: ' + SELFTEST_APPEND + ' reservetop=0x08000000'), 'the command line, with the wedge\'s reservetop= and without its wedge-initrd=');
  assert.ok(all.some((l) => l.startsWith('RAMDISK: [mem ')), 'Linux found the ramdisk in its zero page');
  const got = all.filter((l) => !l.startsWith('[wedge]') && !l.startsWith('Reserving virtual address space above'));
  const upTo = (ls: string[]) => ls.slice(0, ls.indexOf(RUN_INIT) + 1);
  assert.ok(got.includes(RUN_INIT) && hwLines.includes(RUN_INIT));
  assert.equal(masked(upTo(got)), masked(upTo(hwLines)));
});

test('the self-test lines are those native Linux prints on a PC (QEMU)', async () => {
  const native = await linuxGuest();
  const q = runLinuxOnQemu(native.bzImage, native.initrd, SELFTEST_APPEND, MEM_MIB);
  assert.is(q.error, null, q.error ?? '');
  assert.is(q.exitValue, 0, q.serial.slice(-3000));
  const want = selftestLines(q.serial.split('\n').map((l) => l.replace(/\r$/, '')));
  assert.ok(want.length >= 10 && want.includes('selftest: done failures=0'));
  assert.equal(selftestLines(all), want);
});

test.run();
