// `npm run bench:emu [-- --iterations N] [--runs R] [--bios FILE]`: the CPU benchmark, side by side. Runs
// test/emulator-kernels/bench.c (CRC32, Shell sort, division, bit counting) for N iterations on our
// emulator, on v86 (npm `v86`, booting SeaBIOS from Debian's `seabios` package) and on
// qemu-system-i386 (TCG), each as its own process timed whole (start-up included), checks all
// three print the same checksums, and prints each one's wall and CPU seconds, guest MIPS and the
// ratios. Host seconds are measurements of this machine at this moment, printed only, never
// stored as results; on a shared machine CPU seconds are the steadier of the two. The three run
// in R rounds (default 3), one after the other in each, and the ratios are those of the medians:
// one run's ratio moved between 0.53x and 0.76x on the loaded 2-core machine.
import { parseArgs } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { execa } from 'execa';
import { writeFileAtomic } from '../src/atomic.ts';
import { buildGuests, GUEST_MEM_MIB, kernelPath } from '../test/emulator-kernels/harness.ts';
import { median } from './median.ts';
import { runNode, runQemu, type EngineRun } from './engine-run.ts';

const DEFAULT_ITERATIONS = 8000;  // about 1.5e9 instructions
const DEFAULT_RUNS = 3;
const DEFAULT_BIOS = '/usr/share/seabios/bios.bin';  // Debian package seabios
const SYMBOL = 'bench_iterations';

function usage(message: string): never {
  process.stderr.write(`bench-emu: ${message}\nusage: npm run bench:emu -- [--iterations N (default ${DEFAULT_ITERATIONS})] [--runs R (default ${DEFAULT_RUNS})] [--bios SEABIOS.bin]\n`);
  process.exit(2);
}

/** The file offset of a virtual address, through the ELF32 program headers of `elf`. */
function fileOffsetOf(elf: Buffer, vaddr: number): number {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 1 || elf[5] !== 1) throw new Error('not a little-endian ELF32 file');
  const phoff = elf.readUInt32LE(28);
  const phentsize = elf.readUInt16LE(42);
  const phnum = elf.readUInt16LE(44);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    const [type, offset, va, filesz] = [elf.readUInt32LE(ph), elf.readUInt32LE(ph + 4), elf.readUInt32LE(ph + 8), elf.readUInt32LE(ph + 16)];
    if (type === 1 && vaddr >= va && vaddr + 4 <= va + filesz) return offset + (vaddr - va);
  }
  throw new Error(`address 0x${vaddr.toString(16)} is not in a loaded, file-backed segment`);
}

/** Writes a copy of the bench kernel with its iteration count set to n; returns its path. */
async function patchedKernel(dir: string, n: number): Promise<string> {
  const src = kernelPath('bench', dir);
  const { stdout } = await execa('nm', [src]);
  const line = stdout.split('\n').find((l) => l.endsWith(` ${SYMBOL}`));
  if (!line) throw new Error(`${src}: no symbol ${SYMBOL}`);
  const elf = readFileSync(src);
  elf.writeUInt32LE(n, fileOffsetOf(elf, parseInt(line.split(' ')[0]!, 16)));
  const out = `${dir}/bench-${n}.elf`;
  writeFileAtomic(out, elf);
  return out;
}

const { values } = parseArgs({ options: { iterations: { type: 'string', short: 'n' }, runs: { type: 'string' }, bios: { type: 'string' } }, allowPositionals: false });
const iterations = values.iterations === undefined ? DEFAULT_ITERATIONS : Number(values.iterations);
if (!Number.isSafeInteger(iterations) || iterations <= 0 || iterations > 0xffffffff) {
  usage(`--iterations '${values.iterations}': expected a positive whole number`);
}
const rounds = values.runs === undefined ? DEFAULT_RUNS : Number(values.runs);
if (!Number.isSafeInteger(rounds) || rounds <= 0 || rounds > 99) usage(`--runs '${values.runs}': expected a whole number from 1 to 99`);
const bios = values.bios ?? DEFAULT_BIOS;
if (!existsSync(bios)) usage(`no SeaBIOS image at ${bios} (install Debian's seabios package: sh scripts/setup.sh test)`);

const dir = await buildGuests();
const elf = await patchedKernel(dir, iterations);
const load0 = loadavg()[0]!;
// Round by round, one engine after the other, so they do not compete for the CPU with each other
// and a change of the machine's load reaches all three alike.
const all: EngineRun[][] = [];
for (let k = 0; k < rounds; k++) {
  const ours = await runNode('ours', 'bench-emu-ours.ts', [elf, String(GUEST_MEM_MIB)]);
  const v86 = await runNode('v86', 'bench-emu-v86.ts', [elf, bios, String(GUEST_MEM_MIB)]);
  const qemu = await runQemu(['-kernel', elf, '-m', String(GUEST_MEM_MIB)]);
  all.push([ours, v86, qemu]);
  if (rounds > 1) process.stderr.write(`bench-emu: round ${k + 1} of ${rounds}: CPU s ours ${ours.cpu.toFixed(2)}, v86 ${v86.cpu.toFixed(2)}, qemu ${qemu.cpu.toFixed(2)}\n`);
}
const load1 = loadavg()[0]!;

const fmt = (x: number, d = 2): string => x.toFixed(d);
const first = all[0]!;
const ours0 = first[0]!;
const ok = all.every((round) => round.every((r) => r.exitValue === 0 && r.serial === ours0.serial));
/** Each engine's median wall and CPU seconds over the rounds. */
const med = first.map((r, e) => ({ ...r, wall: median(all.map((round) => round[e]!.wall)), cpu: median(all.map((round) => round[e]!.cpu)) }));
const [ours, v86, qemu] = med as [EngineRun, EngineRun, EngineRun];
// The same deterministic kernel retires the same instructions everywhere; v86's own count adds SeaBIOS.
const guestInstructions = ours0.instructions ?? 0;
const lines = [
  `bench kernel: ${iterations} iterations (CRC32 over 2 KiB, Shell sort of 512, 1024 divisions, bit counting per iteration), ` +
    `${guestInstructions} instructions on our emulator`,
  `checksums: ours, v86 and QEMU ${ok ? 'agree' : 'DIFFER'}${rounds > 1 ? ` in all ${rounds} rounds` : ''}`,
  ...(ok ? [] : all.flat().filter((r) => r.exitValue !== 0 || r.serial !== ours0.serial).map((r) => `  ${r.name} (exit ${r.exitValue}${r.note ? `, ${r.note}` : ''}):\n${r.serial}`)),
  `machine load (1-minute average) ${fmt(load0)} before, ${fmt(load1)} after`,
  ...(rounds > 1 ? [`CPU s per round: ${['ours', 'v86', 'qemu'].map((n, e) => `${n} ${all.map((round) => fmt(round[e]!.cpu)).join(' ')}`).join('; ')}`] : []),
  `whole process${rounds > 1 ? `, median of ${rounds}` : ''}:   wall s    CPU s   MIPS(wall)  MIPS(CPU)`,
  ...med.map((r) => `  ${r.name.padEnd(6)} ${fmt(r.wall).padStart(10)} ${fmt(r.cpu).padStart(8)} ${fmt(guestInstructions / r.wall / 1e6, 1).padStart(11)} ${fmt(guestInstructions / r.cpu / 1e6, 1).padStart(10)}` +
    (r.name === 'v86' && r.instructions !== null ? `   (v86 counts ${r.instructions} with SeaBIOS)` : '')),
  `speed ratio ours/v86:  ${fmt(v86.wall / ours.wall)}x wall, ${fmt(v86.cpu / ours.cpu)}x CPU (goal 0.6x)`,
  `speed ratio ours/qemu: ${fmt(qemu.wall / ours.wall)}x wall, ${fmt(qemu.cpu / ours.cpu)}x CPU`,
];
process.stdout.write(lines.join('\n') + '\n');
process.exitCode = ok ? 0 : 1;
