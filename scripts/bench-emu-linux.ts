// `npm run bench:emu-linux [-- --mib A,B] [--runs R] [--bios FILE]`: the emulators side by side on
// Linux kernel code, where bench:emu's integer kernel says little: the Linux guest's bzImage
// (linux@native, built through the cache) boots on our emulator, on v86 and on QEMU TCG with a
// second /init (guests/linux/init/loopback.c) that moves A and then B MiB over TCP on the loopback
// interface between two processes: the kernel's socket, TCP/IP, scheduling and copy paths, with no
// device model behind them, so every engine runs the same work. Each engine's cost of the
// transfer is its host time at B less its time at A (boot, start-up and connection set-up cancel
// out), and its speed that difference in MiB per host second, wall and CPU (user + system, all
// threads). The guest's instruction counts differ between engines (each clocks the guest's timer
// its own way), so speed is compared per MiB moved, not per instruction. Each run must print the
// workload's `loopback: done bytes=N ok` and exit through the debug-exit port. Host seconds are
// printed only; the engines run one after the other, R rounds (default 3), medians.
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { execa } from 'execa';
import { writeFileAtomic } from '../src/atomic.ts';
import { linuxInitramfs } from '../recipes/linux.ts';
import { median } from './median.ts';
import { linuxFiles } from './linux-files.ts';
import { runNode, runQemu, type EngineRun } from './engine-run.ts';

const DEFAULT_MIB = [64, 320];
const DEFAULT_RUNS = 3;
const DEFAULT_BIOS = '/usr/share/seabios/bios.bin';  // Debian package seabios
/** Guest RAM: v86 places the initramfs below the top of RAM and fails to load it into 64 MiB. */
const MEM_MIB = 128;
const ROOT = join(import.meta.dirname, '..');
const ENGINES = ['ours', 'v86', 'qemu'] as const;

function usage(message: string): never {
  process.stderr.write(`bench-emu-linux: ${message}\nusage: npm run bench:emu-linux -- [--mib A,B (default ${DEFAULT_MIB.join(',')})] ` +
    `[--runs R (default ${DEFAULT_RUNS})] [--bios SEABIOS.bin]\n`);
  process.exit(2);
}

const { values } = parseArgs({ options: { mib: { type: 'string' }, runs: { type: 'string' }, bios: { type: 'string' } }, allowPositionals: false });
const sizes = values.mib === undefined ? DEFAULT_MIB : values.mib.split(',').map(Number);
if (sizes.length !== 2 || !sizes.every((m) => Number.isSafeInteger(m) && m >= 1 && m <= 2047) || sizes[0]! >= sizes[1]!) {
  usage(`--mib '${values.mib}': expected two whole numbers of MiB, the first smaller, each from 1 to 2047`);
}
const rounds = values.runs === undefined ? DEFAULT_RUNS : Number(values.runs);
if (!Number.isSafeInteger(rounds) || rounds <= 0 || rounds > 99) usage(`--runs '${values.runs}': expected a whole number from 1 to 99`);
const bios = values.bios ?? DEFAULT_BIOS;
if (!existsSync(bios)) usage(`no SeaBIOS image at ${bios} (install Debian's seabios package: sh scripts/setup.sh test)`);

const kernel = (await linuxFiles('native')).kernel;
if (kernel === undefined) throw new Error('linux@native installed no kernel');
// The workload's /init, in an initramfs of the same layout as the package's.
const dir = join(ROOT, '.world', 'bench-emu-linux');
mkdirSync(dir, { recursive: true });
await execa('make', ['-s', '-C', join(ROOT, 'guests', 'linux', 'init'), `O=${dir}`, join(dir, 'loopback'), 'CC=gcc'], { stdio: 'inherit' });
const initrd = join(dir, 'loopback.cpio');
writeFileAtomic(initrd, linuxInitramfs(readFileSync(join(dir, 'loopback'))));

/** One engine's run moving `mib` MiB; a run that did not finish the transfer is an error. */
async function run(engine: typeof ENGINES[number], mib: number): Promise<EngineRun> {
  const cmdline = `console=ttyS0 -- ${mib}`;
  const r = engine === 'ours' ? await runNode('ours', 'bench-emu-ours.ts', [kernel!, String(MEM_MIB), initrd, cmdline])
    : engine === 'v86' ? await runNode('v86', 'bench-emu-v86.ts', [kernel!, bios, String(MEM_MIB), initrd, cmdline])
    : await runQemu(['-kernel', kernel!, '-initrd', initrd, '-append', cmdline, '-m', String(MEM_MIB)]);
  const done = `loopback: done bytes=${mib * 2 ** 20} ok`;
  if (r.exitValue !== 0 || !r.serial.includes(done)) {
    throw new Error(`${engine}, ${mib} MiB: no '${done}' and exit 0 (exit ${r.exitValue}${r.note ? `: ${r.note}` : ''})\n${r.serial.slice(-2000)}`);
  }
  return r;
}

const load0 = loadavg()[0]!;
/** runs[round][engine] = [the run at A, the run at B]. */
const runs: [EngineRun, EngineRun][][] = [];
for (let k = 0; k < rounds; k++) {
  const round: [EngineRun, EngineRun][] = [];
  for (const engine of ENGINES) round.push([await run(engine, sizes[0]!), await run(engine, sizes[1]!)]);
  runs.push(round);
  process.stderr.write(`bench-emu-linux: round ${k + 1} of ${rounds}: CPU s at ${sizes.join(' and ')} MiB: ` +
    `${ENGINES.map((e, i) => `${e} ${round[i]![0].cpu.toFixed(2)}, ${round[i]![1].cpu.toFixed(2)}`).join('; ')}\n`);
}
const load1 = loadavg()[0]!;

const moved = sizes[1]! - sizes[0]!;
const fmt = (x: number, d = 2): string => x.toFixed(d);
/** Each engine's median cost of the extra MiB, wall and CPU seconds, and its guest instructions (ours, v86). */
const cost = ENGINES.map((name, e) => ({
  name,
  wall: median(runs.map((round) => round[e]![1].wall - round[e]![0].wall)),
  cpu: median(runs.map((round) => round[e]![1].cpu - round[e]![0].cpu)),
  instructions: runs[0]![e]![0].instructions === null ? null : runs[0]![e]![1].instructions! - runs[0]![e]![0].instructions!,
}));
const [ours, v86, qemu] = cost as [typeof cost[0], typeof cost[0], typeof cost[0]];
process.stdout.write([
  `Linux 6.1 (linux@native), TCP over loopback between two processes, ${sizes[0]} and ${sizes[1]} MiB; the ${moved} MiB between them:`,
  `machine load (1-minute average) ${fmt(load0)} before, ${fmt(load1)} after`,
  `${rounds > 1 ? `median of ${rounds}:` : 'one run:'}   wall s    CPU s   MiB/s(wall)  MiB/s(CPU)   guest instructions`,
  ...cost.map((c) => `  ${c.name.padEnd(6)} ${fmt(c.wall).padStart(7)} ${fmt(c.cpu).padStart(8)} ${fmt(moved / c.wall, 1).padStart(12)} ` +
    `${fmt(moved / c.cpu, 1).padStart(11)}   ${c.instructions === null ? '-' : `${(c.instructions / 1e6).toFixed(1)} M`}`),
  `speed ratio ours/v86:  ${fmt(v86.wall / ours.wall)}x wall, ${fmt(v86.cpu / ours.cpu)}x CPU`,
  `speed ratio ours/qemu: ${fmt(qemu.wall / ours.wall)}x wall, ${fmt(qemu.cpu / ours.cpu)}x CPU`,
].join('\n') + '\n');
