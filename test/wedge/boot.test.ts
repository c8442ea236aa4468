// The afterburnt guest kernel with the wedge on the Xen model must print what the native kernel
// prints on hardware (and so must the afterburnt kernel on hardware, where the padding is only
// NOPs). Lines that legitimately differ, and why:
//   [wedge] ...           the wedge's one start-up line (Xen run only); its site count is checked
//                         against the kernel's .afterburn section instead
//   [kernel] memory: ...  under Xen the guest gets less RAM: Xen keeps 4 MiB and the wedge's
//                         bootstrap region sits at the top; checked: the size is what the wedge
//                         reported, and the free pages differ by exactly the missing RAM (less
//                         the direct map's page tables it no longer needs)
//   ticks= switches= preempted= and "slept N ms in T ticks": timer interrupts land at other
//                         instructions when the wedge and Xen add work, so scheduling counts
//                         vary; the values are masked, the lines must still be there
//   the order of lines from different processes may change with the scheduling, so lines are
//                         compared as a multiset, with the first and last line fixed
// The other test: a site left unrewritten (skip-site=N) is exactly the hole Xen reports.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { runKernel } from '../../emulator/run.ts';
import { readAfterburnRanges } from '../../afterburner/validate.ts';
import { afterburnAsDir, buildKernel, buildWedge } from './build.ts';
import { MEMORY, extraImagePages, sameOutput, siteCount } from './output.ts';

const MEM = 64 << 20;
const ARGS = 'run=init arg=3,20,2';
const BUDGET = 100_000_000;
let native: Uint8Array, afterburnt: Uint8Array, wedge: Uint8Array;
let afterburntPath: string;
let extra = 0;

function boot(elf: Uint8Array, cmdline: string, onXen: boolean) {
  const r = runKernel({
    elf, kernelName: 'kernel', mem: MEM, cmdline, maxInstructions: BUDGET,
    ...(onXen ? { backend: 'xen' as const, wedge, wedgeName: 'wedge-xen.elf' } : {}),
  });
  return { r, lines: Buffer.from(r.serialOutput).toString().split('\n').filter((l) => l !== '') };
}

test.before(async () => {
  const asDir = await afterburnAsDir();
  const [n, a, w] = await Promise.all([buildKernel('gcc'), buildKernel(`gcc -B ${asDir}`), buildWedge()]);
  native = readFileSync(n);
  afterburnt = readFileSync(a);
  afterburntPath = a;
  extra = await extraImagePages(n, a);
  wedge = readFileSync(w.elf);
});

test('native on hardware, afterburnt on hardware, afterburnt + wedge on Xen: same serial output', async () => {
  const base = boot(native, ARGS, false);
  assert.is(base.r.exitCode, 0, base.r.reason);
  const hw = boot(afterburnt, ARGS, false);
  assert.is(hw.r.exitCode, 0, hw.r.reason);
  const xen = boot(afterburnt, ARGS, true);
  assert.is(xen.r.exitCode, 0, `${xen.r.reason}\n${xen.lines.join('\n')}`);
  assert.is(xen.r.backend.mode, 'pv-wedge');

  const sites = await siteCount(afterburntPath);
  const wl = xen.lines.filter((l) => l.startsWith('[wedge]'));
  assert.equal(wl.length, 1, 'one wedge line');
  const m = /^\[wedge\] (\d+) sites rewritten \((\d+) inline, 0 left as they were\), guest memory (\d+) KiB$/.exec(wl[0]!);
  assert.ok(m, wl[0]);
  assert.is(Number(m![1]), sites, 'every .afterburn site rewritten');
  const mem = xen.lines.map((l) => MEMORY.exec(l)).find(Boolean);
  assert.is(Number(mem![1]), Number(m![3]), 'the guest sees the memory the wedge gave it');

  sameOutput(base.lines, hw.lines, 'afterburnt on hardware', extra);
  sameOutput(base.lines, xen.lines.filter((l) => !l.startsWith('[wedge]')), 'afterburnt + wedge on Xen', extra);
  assert.equal(xen.r.backend.holes, [], 'no sensitive instruction of the guest ran unrewritten');
  const w = xen.r.backend.wedge as Record<string, number>;
  assert.ok(w['iret']! > 0 && w['port out']! > 0 && w['write ds']! > 0, 'the wedge counted what it emulated');
});

test('skip-site=N: that site, and only it, is a hole; the wedge emulates it after the trap', async () => {
  // Skip the first site (in .afterburn order) that holds a cli: it faults in ring 1 and is
  // emulated. objdump finds which one that is.
  const objdump = await execa('objdump', ['-d', afterburntPath]);
  const ranges = await readAfterburnRanges(afterburntPath);
  const cliSite = ranges.findIndex((r) => new RegExp(`\\n${r.begin.toString(16)}:\\s+fa\\s+cli`).test(objdump.stdout));
  assert.ok(cliSite >= 0, 'the kernel has a cli site');
  const xen = boot(afterburnt, `${ARGS} skip-site=${cliSite}`, true);
  assert.is(xen.r.exitCode, 0, xen.r.reason);
  const holes = xen.r.backend.holes as { instruction: string; address: string; count: number }[];
  assert.is(holes.length, 1, JSON.stringify(holes));
  assert.is(holes[0]!.instruction, 'cli');
  const addr = parseInt(holes[0]!.address, 16).toString(16);
  assert.match(objdump.stdout, new RegExp(`\\n${addr}:\\s+fa\\s+cli`), 'the hole is a cli the afterburner padded');
  const w = xen.r.backend.wedge as Record<string, number>;
  assert.is(w['sites skipped'], 1);
  assert.is(w['trapped (unrewritten sites)'], holes[0]!.count, 'each execution trapped into the wedge');
  assert.ok(!xen.lines.join('\n').includes('skip-site'), 'the wedge removed its option from the guest command line');
});

test('user faults reach the guest through the wedge: page fault and #GP kill the process alike', () => {
  // fault 1: a user read of a kernel address (page fault, status 64 + 14); fault 2: a privileged
  // instruction in ring 3 (#GP, status 64 + 13). The page fault is a guest fault the shadow
  // tables must not absorb; both are reflected into the guest's IDT.
  for (const [arg, status] of [[1, 78], [2, 77]] as const) {
    const base = boot(native, `run=fault arg=${arg}`, false);
    const xen = boot(afterburnt, `run=fault arg=${arg}`, true);
    assert.is(base.r.exitCode, status, base.r.reason);
    assert.is(xen.r.exitCode, status, xen.r.reason);
    sameOutput(base.lines, xen.lines.filter((l) => !l.startsWith('[wedge]')), `fault ${arg}`, extra);
  }
});

test.run();
