// Builds the fuzz kernel, .world/fuzz/fuzz.elf: its own sources (fuzz.c, gen.c, enter.S) linked
// with the test kernels' runtime (test/emulator-kernels/lib: boot, serial, GDT/IDT/TSS, trap
// stubs, PIC/PIT) with the same flags and linker script. Rebuilt only when a hash of its inputs
// (sources, headers, flags, compiler identity) changes; the image is written atomically, under a
// lock since test files run in parallel.
//   node --import tsx guests/fuzz/build.ts
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { CFLAGS, ASFLAGS, LDFLAGS } from '../../test/emulator-kernels/build.ts';
import { writeFileAtomic } from '../../src/atomic.ts';
import { withLock } from '../../src/dirlock.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const LIB = join(HERE, '../../test/emulator-kernels/lib');
export const FUZZ_OUT = join(HERE, '../../.world/fuzz');

function sources(): string[] {
  const own = readdirSync(HERE).filter((f) => /\.(c|S)$/.test(f)).sort().map((f) => join(HERE, f));
  const lib = readdirSync(LIB).filter((f) => /\.(c|S)$/.test(f)).sort().map((f) => join(LIB, f));
  return [...own, ...lib];
}

/** Builds (or finds up to date) the fuzz kernel; returns the ELF's path. */
export async function buildFuzzKernel(outDir = FUZZ_OUT): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const elf = join(outDir, 'fuzz.elf');
  return withLock(`${elf}.lock`, async () => {
    const h = createHash('sha256');
    const { stdout: gcc } = await execa('gcc', ['-m32', '--version']);
    const { stdout: ld } = await execa('ld', ['--version']);
    h.update(gcc).update(ld).update([...CFLAGS, ...ASFLAGS, ...LDFLAGS].join(' '));
    const srcs = sources();
    const headers = [join(HERE, 'fuzz.h'), join(LIB, 'lib.h'), join(LIB, 'kernel.ld')];
    for (const f of [...srcs, ...headers]) h.update(f.slice(f.lastIndexOf('/') + 1)).update(readFileSync(f));
    const key = h.digest('hex');
    const keyFile = `${elf}.key`;
    if (existsSync(elf) && existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key) return elf;
    const tmp = mkdtempSync(join(outDir, 'tmp-'));
    try {
      const objs: string[] = [];
      for (const [i, src] of srcs.entries()) {
        const obj = join(tmp, `${i}.o`);
        const flags = src.endsWith('.S') ? ASFLAGS : [...CFLAGS, `-I${HERE}`];
        await execa('gcc', [...flags, '-c', src, '-o', obj]);
        objs.push(obj);
      }
      const out = join(tmp, 'fuzz.elf');
      await execa('ld', [...LDFLAGS, '-o', out, ...objs]);
      writeFileAtomic(elf, readFileSync(out));
      writeFileAtomic(keyFile, key);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return elf;
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildFuzzKernel().then(
    (p) => process.stdout.write(`${p}\n`),
    (e: Error) => {
      process.stderr.write(`${e.message}\n`);
      process.exitCode = 1;
    },
  );
}
