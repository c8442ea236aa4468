// npm run bench:afterburn [-- --build '<shell command>'] [--runs N] [--files N]
//
// How much afterburning adds to a clean build: runs the same build with plain gcc and with the
// `as` drop-in (gcc -B <as-dir>), alternating, each into a fresh output directory, and prints
// the medians and the added time (target: under 10%). The build command is a shell command in
// which {cc} stands for the C compiler command and {out} for the output directory. Default: the
// guest kernel (make -C guests/kernel O={out} CC={cc}) when guests/kernel exists, otherwise a
// bundled C workload (many freestanding C files full of inline-asm sensitive instructions).
// Host seconds are measured here, never mixed into deterministic results.
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureAsDir } from '../afterburner/as-dir.ts';
import { mergeReports } from '../afterburner/report.ts';
import { median } from './median.ts';

const root = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({
  options: { build: { type: 'string' }, runs: { type: 'string', default: '5' }, files: { type: 'string', default: '40' } },
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

/** CPU seconds (user + system) the afterburn daemon has used so far (0 when none runs). */
function daemonCpu(): number {
  try {
    // The daemon writes its pid beside its socket, whose path the client was compiled with.
    const socket = readFileSync(join(asDir, 'config.h'), 'utf8').match(/SOCKET_PATH "(.*)"/)![1];
    const pid = readFileSync(`${socket}.pid`, 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

interface Timing { wall: number; cpu: number; daemon: number }

/** One clean build: wall seconds, and CPU seconds of the build's processes plus the daemon's. */
async function build(cc: string, reports?: string): Promise<Timing> {
  const out = mkdtempSync(join(tmpdir(), 'world-bench-ab-'));
  const cmd = template!.replaceAll('{cc}', shellQuote(cc)).replaceAll('{out}', shellQuote(out));
  const env = reports ? { WORLD_AFTERBURN_REPORT_DIR: reports } : {};
  const timeFile = join(out, '.cpu');
  const d0 = daemonCpu();
  const t0 = performance.now();
  try {
    await execa('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, 'sh', '-c', cmd], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const wall = (performance.now() - t0) / 1000;
    const [user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    const daemon = Math.max(0, daemonCpu() - d0); // a daemon restarted meanwhile counts whole
    return { wall, cpu: user! + sys! + daemon, daemon };
  } catch (err) {
    throw new Error(`build failed: ${cmd}\n${(err as { stderr?: string }).stderr ?? err}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

process.stdout.write(`afterburn bench: ${what}\n  build: ${template}\n  drop-in: gcc -B ${asDir}\n`);
process.stdout.write(`  load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
const plain: Timing[] = [];
const burnt: Timing[] = [];
const reports = mkdtempSync(join(tmpdir(), 'world-bench-ab-reports-'));
try {
  await build('gcc'); // warm the page cache so the first timed run is not penalised
  for (let r = 0; r < runs; r++) {
    plain.push(await build('gcc'));
    rmSync(reports, { recursive: true, force: true });
    burnt.push(await build(`gcc -B ${asDir}`, reports));
    const pr = plain[r]!;
    const br = burnt[r]!;
    process.stdout.write(`  run ${r + 1}: plain ${pr.wall.toFixed(2)} s wall / ${pr.cpu.toFixed(2)} s CPU, ` +
      `afterburnt ${br.wall.toFixed(2)} s wall / ${br.cpu.toFixed(2)} s CPU (daemon ${br.daemon.toFixed(2)} s)\n`);
  }
  const merged = await mergeReports(reports);
  const line = (what: string, p: number, b: number): string =>
    `${what}: plain ${p.toFixed(2)} s, afterburnt ${b.toFixed(2)} s: afterburning adds ${(((b - p) / p) * 100).toFixed(1)}%`;
  const cpu = (ts: Timing[]) => ts.map((t) => t.cpu);
  const wall = (ts: Timing[]) => ts.map((t) => t.wall);
  process.stdout.write(`median ${line('CPU time (build processes + afterburn daemon)', median(cpu(plain)), median(cpu(burnt)))} (target: under 10%)\n`);
  process.stdout.write(`min    ${line('CPU time (build processes + afterburn daemon)', Math.min(...cpu(plain)), Math.min(...cpu(burnt)))}\n`);
  process.stdout.write(`median ${line('wall time', median(wall(plain)), median(wall(burnt)))}\n`);
  process.stdout.write(`  (host seconds on a ${cpus().length}-core machine, load average now ${loadavg().map((x) => x.toFixed(2)).join(' ')}: ` +
    'other processes inflate and scatter these; CPU time is the steadier figure)\n');
  const list = Object.entries(merged.sites).map(([k, v]) => `${k} ${v}`).join(', ');
  process.stdout.write(`sites: ${merged.total} in ${merged.files} objects (${list})\n`);
} finally {
  rmSync(reports, { recursive: true, force: true });
}
