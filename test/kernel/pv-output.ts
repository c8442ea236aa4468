// What the two para-virtual kernel tests (xen-pv.test.ts, l4-pv.test.ts) share: building a
// kernel for an arch layer, reading its image end from nm, and comparing a para-virtual run's
// serial output with the native run's (the oracle), allowing only the differences those files'
// top comments list.
import * as assert from 'uvu/assert';
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
