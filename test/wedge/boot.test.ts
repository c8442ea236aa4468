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
import { readFileSync } from 'node:fs';
import { runKernel } from '../../emulator/run.ts';
import { afterburnAsDir, buildKernel, buildWedge } from './build.ts';
import { assertEveryRewritten, assertFaultsAsNative, assertSkippedCliIsTheHole, assertRewrittenAndCounted, extraImagePages, sameOutput } from './output.ts';

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

  await assertEveryRewritten(xen, afterburntPath);

  sameOutput(base.lines, hw.lines, 'afterburnt on hardware', extra);
  sameOutput(base.lines, xen.lines.filter((l) => !l.startsWith('[wedge]')), 'afterburnt + wedge on Xen', extra);
  assertRewrittenAndCounted(xen, ['iret', 'port out', 'write ds']);
});

test('skip-site=N: that site, and only it, is a hole; the wedge emulates it after the trap', async () => {
  // Skip the first site (in .afterburn order) that holds a cli: it faults in ring 1 and is
  // emulated. objdump finds which one that is.
  await assertSkippedCliIsTheHole(afterburntPath, (c) => boot(afterburnt, c, true), ARGS);
});

test('user faults reach the guest through the wedge: page fault and #GP kill the process alike', () => {
  // The page fault is a guest fault the shadow tables must not absorb.
  assertFaultsAsNative((c) => boot(native, c, false), (c) => boot(afterburnt, c, true), extra);
});

test.run();
