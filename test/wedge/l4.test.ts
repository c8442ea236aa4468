// The wedge's L4 back-end. First, the image itself, with GNU binutils as the oracle: the L4
// model starts it as its privileged task (section __l4_guest, linked at VIRT_BASE), and since
// every L4 thread runs in ring 3 it must hold no instruction that faults there (hlt, cli, sti,
// iret, descriptor-table and task-register loads, control-register moves, segment loads, Xen's
// int $0x82): the only system call is int $0x30. Then, on the L4 model (--backend l4 --wedge),
// the afterburnt guest kernel must print what the native kernel prints on hardware (the same
// documented exceptions as on Xen, see boot.test.ts), a site left unrewritten (skip-site=N)
// must be exactly the hole the model reports, and user faults must reach the guest.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { runKernel } from '../../emulator/run.ts';
import { afterburnAsDir, buildKernel, buildWedge } from './build.ts';
import { assertEveryRewritten, assertFaultsAsNative, assertSkippedCliIsTheHole, assertRewrittenAndCounted, extraImagePages, sameOutput } from './output.ts';

const MEM = 64 << 20;
const ARGS = 'run=init arg=3,20,2';
const BUDGET = 150_000_000;
let wedgePath: string, afterburntPath: string;
let wedge: Uint8Array, native: Uint8Array, afterburnt: Uint8Array;

let extra = 0;

test.before(async () => {
  const asDir = await afterburnAsDir();
  const [w, n, a] = await Promise.all([buildWedge('l4'), buildKernel('gcc'), buildKernel(`gcc -B ${asDir}`)]);
  wedgePath = w.elf;
  afterburntPath = a;
  wedge = readFileSync(w.elf);
  native = readFileSync(n);
  afterburnt = readFileSync(a);
  extra = await extraImagePages(n, a);
});

test('the L4 wedge is a privileged-task image: __l4_guest, linked at VIRT_BASE, counters exported', async () => {
  const sections = (await execa('readelf', ['-SW', wedgePath])).stdout;
  assert.match(sections, /__l4_guest/);
  assert.not.match(sections, /__xen_guest/);
  const strings = (await execa('readelf', ['-p', '__l4_guest', wedgePath])).stdout;
  assert.equal([...strings.matchAll(/^\s+\[\s*\w+\]\s+(.*)$/gm)].map((x) => x[1]), ['GUEST_OS=wedge,L4_API=x2,VIRT_BASE=0xF8000000']);
  const syms = (await execa('nm', [wedgePath])).stdout;
  const addr = (name: string) => parseInt(new RegExp(`^([0-9a-f]{8}) \\w ${name}$`, 'm').exec(syms)?.[1] ?? 'x', 16);
  const loads = [...(await execa('readelf', ['-lW', wedgePath])).stdout.matchAll(/^\s+LOAD\s+0x\w+\s+0x(\w+)/gm)].map((x) => parseInt(x[1]!, 16));
  assert.is(Math.min(...loads), 0xf8000000, 'the lowest segment at VIRT_BASE');
  assert.ok(addr('_start') > 0xf8000000, 'the entry point in the image');
  assert.ok(addr('wedge_stats') >= 0xf8000000 && addr('wedge_stat_names') >= 0xf8000000, 'STATS.md symbols');
  assert.ok(addr('vcpu_irq_mask') >= 0xf8000000, 'the virtual interrupt flag is a byte of the wedge');
});

test('the L4 wedge holds no instruction that faults in ring 3; its only system call is int $0x30', async () => {
  const dis = (await execa('objdump', ['-d', '--no-show-raw-insn', wedgePath])).stdout;
  const bad = /\t(hlt|cli|sti|iret[lw]?|lgdt[lw]?|lidt[lw]?|ltr|lldt|clts|invlpg|wbinvd|mov\s+%cr\d,|mov\s+%e\w\w,%cr\d|mov[lw]?\s+%\w+,%[cdefgs]s\b|pop[lw]?\s+%[defgs]s\b|l[defgs]s\s)/;
  const offenders = dis.split('\n').filter((l) => bad.test(l));
  assert.equal(offenders, [], 'ring-3-faulting instructions');
  const ints = dis.split('\n').filter((l) => /\tint\s/.test(l)).map((l) => /\tint\s+(\S+)/.exec(l)![1]);
  assert.ok(ints.length > 0, 'the wedge makes L4 system calls');
  assert.equal([...new Set(ints)], ['$0x30']);
});

// --- runs on the L4 model ---

function boot(elf: Uint8Array, cmdline: string, wedge?: Uint8Array) {
  const r = runKernel({
    elf, kernelName: 'kernel', mem: MEM, cmdline, maxInstructions: BUDGET,
    ...(wedge ? { backend: 'l4' as const, wedge, wedgeName: 'wedge-l4.elf' } : {}),
  });
  return { r, lines: Buffer.from(r.serialOutput).toString().split('\n').filter((l) => l !== '') };
}

test('on the L4 model: the afterburnt kernel with the wedge prints what the native kernel prints', async () => {
  const base = boot(native, ARGS);
  assert.is(base.r.exitCode, 0, base.r.reason);
  const l4 = boot(afterburnt, ARGS, wedge);
  assert.is(l4.r.exitCode, 0, `${l4.r.reason}\n${l4.lines.join('\n')}`);
  assert.is(l4.r.backend.backend, 'l4');
  await assertEveryRewritten(l4, afterburntPath);
  sameOutput(base.lines, l4.lines.filter((l) => !l.startsWith('[wedge]')), 'afterburnt + wedge on L4', extra);
  assertRewrittenAndCounted(l4, ['iret', 'port out', 'address-space switches']);
});

test('on the L4 model: skip-site=N on a cli site is the one hole; it traps (#GP in ring 3) and is emulated', async () => {
  await assertSkippedCliIsTheHole(afterburntPath, (c) => boot(afterburnt, c, wedge), ARGS);
});

test('on the L4 model: user faults reach the guest and kill the process as natively', () => {
  // Both arrive as exception IPCs from the process's thread.
  assertFaultsAsNative((c) => boot(native, c), (c) => boot(afterburnt, c, wedge), extra);
});

test.run();
