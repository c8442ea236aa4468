// What the two para-virtual kernel tests (xen-pv.test.ts, l4-pv.test.ts) share: building a
// kernel for an arch layer, reading its image end from nm, booting a build on hardware or on a
// back-end with the same RAM and budget, and comparing a para-virtual run's serial output with
// the native run's (the oracle), allowing only the differences those files' top comments list.
import * as assert from 'uvu/assert';
import { runKernel } from '../../emulator/run.ts';
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const kernelDir = new URL('../../guests/kernel', import.meta.url).pathname;

/** The guest kernel built for one arch layer in a fresh folder; its kernel.elf. */
export async function buildArch(arch: string): Promise<string> {
  const out = await mkdtemp(join(tmpdir(), `kernel-${arch}-`));
  const r = await execa('make', ['-s', '-C', kernelDir, `O=${out}`, 'CC=gcc', 'UCC=gcc', `ARCH=${arch}`, '-j2'], { all: true, reject: false });
  if (r.exitCode !== 0) throw new Error(`make ARCH=${arch} failed:\n${r.all}`);
  return join(out, 'kernel.elf');
}

/** The kernel image's end (symbol `end`, from nm: the oracle for how many pages it takes). */
export async function imageEnd(elf: string): Promise<number> {
  const r = await execa('nm', [elf]);
  const m = /^([0-9a-f]{8}) B end$/m.exec(r.stdout);
  assert.ok(m, `${elf} has an 'end' symbol`);
  return parseInt(m![1]!, 16);
}

const mask = (line: string): string => line
  .replace(/\b(ticks|switches|preempted)=\d+/g, '$1=#')
  .replace(/^sys: slept \d+ ms in \d+ ticks/, 'sys: slept # ms in # ticks')
  .replace(/^\[kernel\] world guest kernel, arch=[a-z0-9-]+/, '[kernel] world guest kernel, arch=#');
export const MEMORY = /^\[kernel\] memory: (\d+) KiB mapped at 0xc0000000, (\d+) pages free$/;

/**
 * Checks `other` (a para-virtual run) against `base` (native on hardware): free pages differ
 * exactly by the missing RAM and `extraImagePages`, every other line is the same (as a multiset,
 * first and last fixed). Returns the para-virtual run's memory in KiB.
 */
export function sameOutput(base: string[], other: string[], what: string, extraImagePages: number): number {
  const mb = base.map((l) => MEMORY.exec(l)).find(Boolean), mo = other.map((l) => MEMORY.exec(l)).find(Boolean);
  assert.ok(mb && mo, `${what}: both print the memory line`);
  const kib = Number(mb![1]) - Number(mo![1]);
  assert.is(Number(mb![2]) - Number(mo![2]), kib / 4 - kib / 4096 + extraImagePages,
    `${what}: free pages differ exactly by the missing RAM and the larger image`);
  const norm = (ls: string[]) => ls.filter((l) => !MEMORY.test(l)).map(mask);
  const a = norm(base), b = norm(other);
  assert.is(b[0], a[0], `${what}: first line`);
  assert.is(b[b.length - 1], a[a.length - 1], `${what}: last line`);
  assert.equal([...b].sort(), [...a].sort(), `${what}: the same lines`);
  return Number(mo![1]);
}

/** The RAM and instruction budget of every comparison run, native and para-virtual alike. */
export const MEM = 64 << 20;
export const BUDGET = 200_000_000;

/** Boots `elf` with `cmdline` on hardware or on `backend`; returns the run and its serial lines. */
export function bootKernel(elf: Uint8Array, cmdline: string, backend: 'hardware' | 'xen' | 'l4') {
  const r = runKernel({
    elf, kernelName: 'kernel', mem: MEM, cmdline, maxInstructions: BUDGET,
    ...(backend === 'hardware' ? {} : { backend }),
  });
  return { r, lines: Buffer.from(r.serialOutput).toString().split('\n').filter((l) => l !== '') };
}

/**
 * Runs `cmdline` with the native build on hardware and the para-virtual build on `backend`: both
 * must exit with `status`, the para-virtual one in pv mode, both name their arch layer in the
 * banner, and print the same (sameOutput, `extraImagePages` for the larger
 * image). Returns both runs and the para-virtual run's memory in KiB.
 */
export function compareWithNative(native: Uint8Array, pv: Uint8Array, cmdline: string, backend: 'xen' | 'l4',
  status: number, what: string, extraImagePages: number) {
  const base = bootKernel(native, cmdline, 'hardware');
  const other = bootKernel(pv, cmdline, backend);
  assert.is(base.r.exitCode, status, base.r.reason);
  assert.is(other.r.exitCode, status, `${other.r.reason}\n${other.lines.join('\n')}`);
  assert.is(other.r.backend.mode, 'pv');
  // The banners name the arch layers: the native one, and the para-virtual one for this back-end.
  assert.ok(base.lines[0]!.endsWith('arch=native HZ=1000'), base.lines[0]);
  assert.ok(other.lines[0]!.endsWith(`arch=${backend}-pv HZ=1000`), other.lines[0]);
  return { base, other, kib: sameOutput(base.lines, other.lines, what, extraImagePages) };
}

/** The native build and a para-virtual one, with how many more pages the para-virtual image takes. */
export interface PvPair { native: Uint8Array; pv: Uint8Array; pvPath: string; extraImagePages: number }

/** Builds the native kernel and the `arch` one and reads both images and their ends. */
export async function buildPair(arch: 'xen-pv' | 'l4-pv'): Promise<PvPair> {
  const [n, p] = await Promise.all([buildArch('native'), buildArch(arch)]);
  const [nativeEnd, pvEnd] = await Promise.all([imageEnd(n), imageEnd(p)]);
  return { native: await readFile(n), pv: await readFile(p), pvPath: p, extraImagePages: (pvEnd - nativeEnd) / 4096 };
}
