// npm run bench:afterburn [-- --build '<shell command>'] [--runs N]
//
// How much afterburning adds to a clean build: runs the same build with plain gcc and with the
// `as` drop-in (gcc -B <as-dir>), alternating, each into a fresh output directory, and prints
// the medians and the added time (target: under 10%). The build command is a shell command in
// which {cc} stands for the C compiler command and {out} for the output directory. Default: the
// guest kernel (make -C guests/kernel O={out} CC={cc}) when guests/kernel exists, otherwise a
// bundled C workload (many freestanding C files full of inline-asm sensitive instructions).
// Host seconds are measured here, never mixed into deterministic results.
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureAsDir } from '../afterburner/as-dir.ts';
import { mergeReports } from '../afterburner/report.ts';

const root = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({
  options: { build: { type: 'string' }, runs: { type: 'string', default: '3' }, files: { type: 'string', default: '40' } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a positive integer, got ${values.runs}`);

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The bundled workload: a Makefile compiling N copies of the test fixture, renamed apart. */
function bundledWorkload(files: number): string {
  const dir = join(root, '.world', 'bench-afterburn', `workload-${files}`);
  mkdirSync(dir, { recursive: true });
  const fixtures = join(root, 'test', 'afterburner', 'fixtures');
  const objs: string[] = [];
  for (let i = 0; i < files; i++) {
    const names = ['checksum', 'serial_write', 'load_tables', 'flush', 'idle', 'gdtr', 'idtr'];
    // unit0 keeps the fixture's names (entry.S calls serial_write); the others are renamed apart
    const renames = i === 0 ? '' : names.map((n) => `#define ${n} ${n}_${i}\n`).join('');
    writeFileSync(join(dir, `unit${i}.c`), renames + `#include "${join(fixtures, 'sensitive.c')}"\n`);
    objs.push(`$(O)/unit${i}.o`);
  }
  writeFileSync(join(dir, 'Makefile'), [
    'CFLAGS = -m32 -ffreestanding -fno-pic -mno-sse -mno-mmx -nostdlib -O2 -Wall',
    `OBJS = $(O)/entry.o ${objs.join(' ')}`,
    '$(O)/kernel.elf: $(OBJS)',
    '\tld -m elf_i386 -Ttext=0x100000 -e start -o $@ $(OBJS)',
    '$(O)/%.o: %.c',
    '\t$(CC) $(CFLAGS) -c $< -o $@',
    `$(O)/entry.o: ${join(fixtures, 'entry.S')}`,
    '\t$(CC) $(CFLAGS) -c $< -o $@',
    '',
  ].join('\n'));
  return `make -s -j2 -C ${shellQuote(dir)} O={out} CC={cc}`;
}

let template = values.build;
let what = 'the given build command';
if (!template) {
  if (existsSync(join(root, 'guests', 'kernel', 'Makefile'))) {
    template = `make -s -j2 -C ${shellQuote(join(root, 'guests', 'kernel'))} O={out} CC={cc}`;
    what = 'the guest kernel';
  } else {
    template = bundledWorkload(Number(values.files));
    what = `the bundled C workload (${values.files} files; guests/kernel does not exist in this tree)`;
  }
}

const asDir = ensureAsDir();
// Start the daemon before timing: a build pays for that once, and only after a change.
await execa(join(asDir, 'as'), ['--version']);

async function build(cc: string, reports?: string): Promise<number> {
  const out = mkdtempSync(join(tmpdir(), 'world-bench-ab-'));
  const cmd = template!.replaceAll('{cc}', shellQuote(cc)).replaceAll('{out}', shellQuote(out));
  const env = reports ? { WORLD_AFTERBURN_REPORT_DIR: reports } : {};
  const t0 = performance.now();
  try {
    await execa('sh', ['-c', cmd], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    return (performance.now() - t0) / 1000;
  } catch (err) {
    throw new Error(`build failed: ${cmd}\n${(err as { stderr?: string }).stderr ?? err}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

process.stdout.write(`afterburn bench: ${what}\n  build: ${template}\n  drop-in: gcc -B ${asDir}\n`);
process.stdout.write(`  load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (shared machine: figures are noisy)\n`);
const plain: number[] = [];
const burnt: number[] = [];
const reports = mkdtempSync(join(tmpdir(), 'world-bench-ab-reports-'));
try {
  await build('gcc'); // warm the page cache so the first timed run is not penalised
  for (let r = 0; r < runs; r++) {
    plain.push(await build('gcc'));
    rmSync(reports, { recursive: true, force: true });
    burnt.push(await build(`gcc -B ${asDir}`, reports));
    process.stdout.write(`  run ${r + 1}: plain ${plain[r]!.toFixed(2)} s, afterburnt ${burnt[r]!.toFixed(2)} s\n`);
  }
  const merged = await mergeReports(reports);
  const p = median(plain);
  const b = median(burnt);
  const added = ((b - p) / p) * 100;
  process.stdout.write(`median: plain ${p.toFixed(2)} s, afterburnt ${b.toFixed(2)} s: afterburning adds ${added.toFixed(1)}% (target: under 10%)\n`);
  const list = Object.entries(merged.sites).map(([k, v]) => `${k} ${v}`).join(', ');
  process.stdout.write(`sites: ${merged.total} in ${merged.files} objects (${list})\n`);
} finally {
  rmSync(reports, { recursive: true, force: true });
}
