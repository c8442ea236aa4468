// Comparing a guest kernel's serial output under a hypervisor with the native run's, after the
// documented exceptions (boot.test.ts says which lines differ and why), and counting the
// afterburner's sites in an image, and the checks both wedges must pass: every site rewritten,
// and a site left unrewritten (skip-site=N) as the one hole. Shared by the Xen and L4 wedge tests.
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { readAfterburnRanges } from '../../afterburner/validate.ts';
import type { RunKernelResult } from '../../emulator/run.ts';

export function mask(line: string): string {
  return line
    .replace(/\b(ticks|switches|preempted)=\d+/g, '$1=#')
    .replace(/^sys: slept \d+ ms in \d+ ticks/, 'sys: slept # ms in # ticks');
}

export const MEMORY = /^\[kernel\] memory: (\d+) KiB mapped at 0xc0000000, (\d+) pages free$/;

/** How many more pages the other kernel's image occupies than the base's (nm's `end`), which
 *  the page allocator then does not have: an afterburnt image is larger by its padding and
 *  records, by a page or none depending on where its end falls. */
export async function extraImagePages(baseElf: string, otherElf: string): Promise<number> {
  const end = async (elf: string): Promise<number> => {
    const m = /^([0-9a-f]+) \w end$/m.exec((await execa('nm', [elf])).stdout);
    assert.ok(m, `${elf}: nm finds the symbol end`);
    return Math.ceil(parseInt(m![1]!, 16) / 4096);
  };
  return (await end(otherElf)) - (await end(baseElf));
}

/** Compares a run's lines with the native run's, after the documented exceptions; imagePages:
 *  extraImagePages of the two kernels. */
export function sameOutput(base: string[], other: string[], what: string, imagePages = 0): void {
  const mb = base.map((l) => MEMORY.exec(l)).find(Boolean), mo = other.map((l) => MEMORY.exec(l)).find(Boolean);
  assert.ok(mb && mo, `${what}: both print the memory line`);
  const kib = Number(mb![1]) - Number(mo![1]);
  // Each missing 4 KiB is a page fewer, less the page table (one per 4 MiB) it no longer needs.
  assert.is(Number(mb![2]) - Number(mo![2]), kib / 4 - kib / 4096 + imagePages, `${what}: free pages differ exactly by the missing RAM (and image pages)`);
  const norm = (ls: string[]) => ls.filter((l) => !MEMORY.test(l)).map(mask);
  const a = norm(base), b = norm(other);
  assert.is(b[0], a[0], `${what}: first line`);
  assert.is(b[b.length - 1], a[a.length - 1], `${what}: last line`);
  assert.equal([...b].sort(), [...a].sort(), `${what}: the same lines`);
}

export async function siteCount(elf: string): Promise<number> {
  const r = await execa('objdump', ['-h', elf]);
  const m = /\.afterburn\s+([0-9a-f]{8})/.exec(r.stdout);
  assert.ok(m, 'the afterburnt kernel has .afterburn');
  return parseInt(m![1]!, 16) / 8;
}

/** A kernel run under the wedge: its stop and exit status, and its serial lines. */
export interface WedgeRun { r: RunKernelResult; lines: string[] }

/** The wedge's one start-up line says it rewrote every .afterburn site of the kernel at
 *  `afterburntPath`, and the guest's memory line shows the memory the wedge says it gave. */
export async function assertEveryRewritten(run: WedgeRun, afterburntPath: string): Promise<void> {
  const sites = await siteCount(afterburntPath);
  const wl = run.lines.filter((l) => l.startsWith('[wedge]'));
  assert.equal(wl.length, 1, 'one wedge line');
  const m = /^\[wedge\] (\d+) sites rewritten \((\d+) inline, 0 left as they were\), guest memory (\d+) KiB$/.exec(wl[0]!);
  assert.ok(m, wl[0]);
  assert.is(Number(m![1]), sites, 'every .afterburn site rewritten');
  const mem = run.lines.map((l) => MEMORY.exec(l)).find(Boolean);
  assert.is(Number(mem![1]), Number(m![3]), 'the guest sees the memory the wedge gave it');
}

/** skip-site=N on the first site (in .afterburn order) of the kernel at `afterburntPath` that
 *  holds a cli (objdump, the oracle, finds it): that cli, and only it, is a hole, trapped into
 *  the wedge (which emulates it) each time it ran; the wedge took its option off the command line. */
export async function assertSkippedCliIsTheHole(afterburntPath: string, wedged: (cmdline: string) => WedgeRun, cmdline: string): Promise<void> {
  const objdump = (await execa('objdump', ['-d', afterburntPath])).stdout;
  const ranges = await readAfterburnRanges(afterburntPath);
  const site = ranges.findIndex((r) => new RegExp(`\\n${r.begin.toString(16)}:\\s+fa\\s+cli`).test(objdump));
  assert.ok(site >= 0, 'the kernel has a cli site');
  const run = wedged(`${cmdline} skip-site=${site}`);
  assert.is(run.r.exitCode, 0, run.r.reason);
  const holes = run.r.backend.holes as { instruction: string; address: string; count: number }[];
  assert.is(holes.length, 1, JSON.stringify(holes));
  assert.is(holes[0]!.instruction, 'cli');
  const addr = parseInt(holes[0]!.address, 16).toString(16);
  assert.match(objdump, new RegExp(`\\n${addr}:\\s+fa\\s+cli`), 'the hole is a cli the afterburner padded');
  const w = run.r.backend.wedge as Record<string, number>;
  assert.is(w['sites skipped'], 1);
  assert.is(w['trapped (unrewritten sites)'], holes[0]!.count, 'each execution trapped into the wedge');
  assert.ok(!run.lines.join('\n').includes('skip-site'), 'the wedge removed its option from the guest command line');
}

/** No sensitive instruction of the guest ran unrewritten, and the wedge counted each of
 *  `counters` (the emulations this back-end must need) at least once. */
export function assertRewrittenAndCounted(run: WedgeRun, counters: string[]): void {
  assert.equal(run.r.backend.holes, [], 'no sensitive instruction of the guest ran unrewritten');
  const w = run.r.backend.wedge as Record<string, number>;
  for (const c of counters) assert.ok((w[c] ?? 0) > 0, `the wedge counted ${c}`);
}

/** The kernel's fault programs kill the process under the wedge as on hardware: 1, a user read
 *  of a kernel address (#PF, status 64 + 14), and 2, a privileged instruction in ring 3 (#GP,
 *  64 + 13); both are reflected into the guest's IDT. */
export function assertFaultsAsNative(native: (cmdline: string) => WedgeRun, wedged: (cmdline: string) => WedgeRun, imagePages: number): void {
  for (const [arg, status] of [[1, 78], [2, 77]] as const) {
    const base = native(`run=fault arg=${arg}`);
    const run = wedged(`run=fault arg=${arg}`);
    assert.is(base.r.exitCode, status, base.r.reason);
    assert.is(run.r.exitCode, status, run.r.reason);
    sameOutput(base.lines, run.lines.filter((l) => !l.startsWith('[wedge]')), `fault ${arg}`, imagePages);
  }
}
