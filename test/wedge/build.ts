// Builds what the wedge tests need, once per test process: the wedge (Xen or L4), the host build of
// its rewriter, the afterburner's `as` drop-in directory, and guest kernels (native and
// afterburnt). The drop-in comes from `world afterburn --print-as-dir`; WORLD_AFTERBURN_AS_DIR
// overrides it (a checkout without the afterburner can point at another build of it).
import { execa } from 'execa';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
export const repo = join(here, '../..');

async function make(args: string[]): Promise<void> {
  const r = await execa('make', ['-s', ...args], { all: true, reject: false });
  if (r.exitCode !== 0) throw new Error(`make ${args.join(' ')} failed:\n${r.all}`);
}

export async function afterburnAsDir(): Promise<string> {
  if (process.env.WORLD_AFTERBURN_AS_DIR) return process.env.WORLD_AFTERBURN_AS_DIR;
  const r = await execa('node', [join(repo, 'bin/world.js'), 'afterburn', '--print-as-dir'], { all: true, reject: false });
  if (r.exitCode !== 0) {
    throw new Error(`world afterburn --print-as-dir failed (is the afterburner in this checkout?):\n${r.all}`);
  }
  return r.stdout.trim();
}

/** The wedge for one back-end (Xen unless told) and the host rewriter, in one output directory.
 *  dev: the device model (Makefile DEV=; 'virt' emulates the DP83820 in the wedge). */
export async function buildWedge(backend: 'xen' | 'l4' = 'xen', dev: 'direct' | 'virt' | 'virt-nobatch' = 'direct'): Promise<{ elf: string; rewriter: string }> {
  const out = await mkdtemp(join(tmpdir(), 'wedge-'));
  const dir = join(repo, 'guests/wedge');
  const devArgs = dev === 'direct' ? [] : [`DEV=${dev}`];
  await make(['-C', dir, `O=${out}`, `BACKEND=${backend}`, ...devArgs, 'CC=gcc', '-j2']);
  await make(['-C', dir, `O=${out}`, 'rewrite-host']);
  const suffix = dev === 'direct' ? '' : dev === 'virt' ? '-devvirt' : '-devvirt-nobatch';
  return { elf: join(out, `wedge-${backend}${suffix}.elf`), rewriter: join(out, 'rewrite-host') };
}

/** The guest kernel built with cc (e.g. `gcc -B <as-dir>` for an afterburnt one). */
export async function buildKernel(cc: string): Promise<string> {
  const out = await mkdtemp(join(tmpdir(), 'kernel-'));
  await make(['-C', join(repo, 'guests/kernel'), `O=${out}`, `CC=${cc}`, 'UCC=gcc', '-j2']);
  return join(out, 'kernel.elf');
}

/** The afterburnt kernel without the manual annotation, with debug information, annotated from
 *  the feedback file (as recipes/guest-kernel.ts builds guest-kernel@afterburnt-feedback). */
export async function buildFeedbackGuest(asDir: string, feedback: string): Promise<string> {
  const out = await mkdtemp(join(tmpdir(), 'kernel-fb-'));
  const src = join(repo, 'guests/kernel');
  const r = await execa('make', ['-s', '-C', src, `O=${out}`, `CC=gcc -B ${asDir} -g -gno-record-gcc-switches -fdebug-prefix-map=${src}=.`,
    'UCC=gcc', 'PT_ANNOTATE=0', '-j2'], { all: true, reject: false, env: { WORLD_AFTERBURN_FEEDBACK: feedback } });
  if (r.exitCode !== 0) throw new Error(`make failed:\n${r.all}`);
  return join(out, 'kernel.elf');
}

/** Assembles a fixture through the afterburner and links it at the guest kernel's address. */
export async function buildFixture(name: string, asDir: string): Promise<string> {
  const out = await mkdtemp(join(tmpdir(), 'wedge-fixture-'));
  const obj = join(out, `${name}.o`), elf = join(out, `${name}.elf`);
  await execa('gcc', ['-B', asDir, '-m32', '-c', '-o', obj, join(here, 'fixtures', `${name}.S`)]);
  await execa('ld', ['-m', 'elf_i386', '-Ttext=0xc0100000', '-e', '_start', '-o', elf, obj]);
  return elf;
}
