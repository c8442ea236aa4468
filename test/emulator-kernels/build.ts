// Builds the test kernels: every NAME.c / NAME.S in test/emulator-kernels compiled with the freestanding
// flags below, linked with the runtime in lib/ at 1 MiB. A step runs again only when a hash of
// everything it reads (flags, sources, headers, linker script, compiler identity) changed; the
// hash is stored beside its output, and outputs are written to a temporary name and renamed.
//   node --import tsx test/emulator-kernels/build.ts [OUTDIR [NAME...]]
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const GUESTS_DIR = fileURLToPath(new URL('.', import.meta.url));
const LIB_DIR = join(GUESTS_DIR, 'lib');

export const CFLAGS = [
  '-m32', '-O2', '-march=i686', '-ffreestanding', '-fno-pic', '-fno-stack-protector', '-mno-sse', '-mno-mmx',
  '-nostdlib', '-fno-builtin', '-fno-asynchronous-unwind-tables', '-fno-omit-frame-pointer',
  '-Wall', '-Wextra', '-Wno-unused-parameter', `-I${LIB_DIR}`,
];
export const ASFLAGS = ['-m32', `-I${LIB_DIR}`];
export const LDFLAGS = ['-m', 'elf_i386', '-T', join(LIB_DIR, 'kernel.ld'), '-z', 'noexecstack', '--no-warn-rwx-segments'];

/** Kernel names: one per NAME.c or NAME.S in test/emulator-kernels (not lib/). */
export function kernelNames(): string[] {
  const names = new Set<string>();
  for (const f of readdirSync(GUESTS_DIR)) {
    const m = /^([a-z0-9_]+)\.(c|S)$/.exec(f);
    if (m) names.add(m[1]!);
  }
  return [...names].sort();
}

function sourceOf(dir: string, name: string): string {
  const c = join(dir, `${name}.c`);
  return existsSync(c) ? c : join(dir, `${name}.S`);
}

const hash = (...parts: (string | Buffer)[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
};

function writeAtomic(path: string, data: string | Buffer): void {
  writeFileSync(`${path}.tmp`, data);
  renameSync(`${path}.tmp`, path);
}

/** Runs `make` unless `out` exists with the same key; returns the key. */
async function step(out: string, key: string, make: (tmp: string) => Promise<void>): Promise<string> {
  const keyFile = `${out}.key`;
  if (existsSync(out) && existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key) return key;
  await make(`${out}.tmp`);
  renameSync(`${out}.tmp`, out);
  writeAtomic(keyFile, key);
  return key;
}

async function run(cmd: string, args: string[]): Promise<void> {
  const r = await execa(cmd, args, { all: true, reject: false });
  if (r.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')}\n${r.all ?? ''}`);
}

/** Runs the jobs at most `n` at a time. */
async function pool<T>(jobs: (() => Promise<T>)[], n: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
  return out;
}

/** Builds every kernel (or those named) into `outDir` as NAME.elf; returns the names built. */
export async function buildKernels(outDir: string, only?: string[]): Promise<string[]> {
  const objDir = join(outDir, 'obj');
  mkdirSync(objDir, { recursive: true });
  const { stdout: gccId } = await execa('gcc', ['-m32', '--version']);
  const { stdout: ldId } = await execa('ld', ['--version']);
  // Every header of the runtime, in name order: a kernel's object depends on those it includes.
  const header = Buffer.concat(readdirSync(LIB_DIR).filter((f) => f.endsWith('.h')).sort().map((f) => readFileSync(join(LIB_DIR, f))));

  const compile = (src: string, obj: string) => async (): Promise<string> => {
    const isAsm = src.endsWith('.S');
    const flags = isAsm ? ASFLAGS : CFLAGS;
    const key = hash(gccId, flags.join(' '), readFileSync(src), header);
    return step(obj, key, (tmp) => run('gcc', [...flags, '-c', src, '-o', tmp]));
  };

  const libSources = readdirSync(LIB_DIR).filter((f) => /\.(c|S)$/.test(f)).sort();
  const libObjs = libSources.map((f) => join(objDir, `lib-${f}.o`));
  const all = kernelNames();
  for (const n of only ?? []) if (!all.includes(n)) throw new Error(`no test kernel '${n}' (expected one of: ${all.join(', ')})`);
  const names = only && only.length > 0 ? all.filter((n) => only.includes(n)) : all;
  const kernelObjs = names.map((n) => join(objDir, `${n}.o`));
  const keys = await pool(
    [
      ...libSources.map((f, i) => compile(join(LIB_DIR, f), libObjs[i]!)),
      ...names.map((n, i) => compile(sourceOf(GUESTS_DIR, n), kernelObjs[i]!)),
    ],
    2,
  );
  const libKeys = keys.slice(0, libSources.length);
  const script = readFileSync(join(LIB_DIR, 'kernel.ld'));
  await pool(
    names.map((n, i) => async () => {
      const key = hash(ldId, LDFLAGS.join(' '), script, keys[libSources.length + i]!, ...libKeys);
      await step(join(outDir, `${n}.elf`), key, (tmp) => run('ld', [...LDFLAGS, '-o', tmp, kernelObjs[i]!, ...libObjs]));
    }),
    2,
  );
  return names;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = process.argv[2] ?? join(GUESTS_DIR, '..', '..', '.world', 'test-guests');
  buildKernels(out, process.argv.slice(3)).then(
    (names) => process.stdout.write(`built ${names.length} kernel${names.length === 1 ? "" : "s"} in ${out}\n`),
    (e: Error) => {
      process.stderr.write(`${e.message}\n`);
      process.exitCode = 1;
    },
  );
}
