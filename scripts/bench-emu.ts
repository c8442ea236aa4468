// `npm run bench:emu [-- --iterations N]`: the CPU benchmark. Runs test/emulator-kernels/bench.c (CRC32,
// Shell sort, division, bit counting) for N iterations on our emulator and on qemu-system-i386,
// checks both print the same checksums, and prints the emulator's MIPS (instructions retired /
// host seconds), QEMU's host seconds and the ratio. Host seconds are measurements of this machine
// at this moment, printed only, never stored as results.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { writeFileAtomic } from '../src/atomic.ts';
import { buildGuests, GUEST_MEM_MIB, kernelPath, runEmulator, runQemu } from '../test/emulator-kernels/harness.ts';

const DEFAULT_ITERATIONS = 500;  // about 95 M instructions
const SYMBOL = 'bench_iterations';

function usage(message: string): never {
  process.stderr.write(`bench-emu: ${message}\nusage: npm run bench:emu -- [--iterations N]\n`);
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

/**
 * QEMU's CPU seconds (user + system, all its threads) for one run, through bash's `time`: on a
 * shared machine CPU time says more than wall time about the emulator itself.
 */
async function qemuCpuSeconds(elf: string): Promise<number> {
  const cmd = `TIMEFORMAT='%U %S'; time qemu-system-i386 -kernel '${elf}' -serial null -display none -monitor none ` +
    `-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -m ${GUEST_MEM_MIB} >/dev/null`;
  const r = await execa('bash', ['-c', cmd], { reject: false, timeout: 600_000 });
  const m = /([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  if (!m) throw new Error(`could not time QEMU: ${r.stderr}`);
  return Number(m[1]) + Number(m[2]);
}

const { values } = parseArgs({ options: { iterations: { type: 'string', short: 'n' } }, allowPositionals: false });
const iterations = values.iterations === undefined ? DEFAULT_ITERATIONS : Number(values.iterations);
if (!Number.isSafeInteger(iterations) || iterations <= 0 || iterations > 0xffffffff) {
  usage(`--iterations '${values.iterations}': expected a positive whole number`);
}

const dir = await buildGuests();
const elf = await patchedKernel(dir, iterations);
const cpu0 = process.cpuUsage();
const emu = await runEmulator(elf, Number.MAX_SAFE_INTEGER);
const cpu1 = process.cpuUsage(cpu0);
const emuCpu = (cpu1.user + cpu1.system) / 1e6;
const instructions = emu.instructions ?? 0;
// Same binary, same deterministic instruction stream: QEMU retires the same count per iteration.
const perIteration = instructions / iterations;
const qemu = await runQemu(elf, 600_000);
// QEMU runs a short kernel mostly in start-up, so its guest speed is measured apart: one
// iteration (start-up and shutdown) against QEMU_SCALE times more iterations, same kernel.
const QEMU_SCALE = Math.max(1, Math.ceil(10_000 / iterations));
const baseElf = await patchedKernel(dir, 1);
const bigElf = await patchedKernel(dir, iterations * QEMU_SCALE);
const bigInstructions = perIteration * iterations * QEMU_SCALE;
const qemuBase = await runQemu(baseElf);
const qemuBig = await runQemu(bigElf, 600_000);
const qemuMips = bigInstructions / Math.max(qemuBig.seconds - qemuBase.seconds, 1e-3) / 1e6;
const qemuNet = instructions / 1e6 / qemuMips;
const qemuBaseCpu = await qemuCpuSeconds(baseElf);
const qemuBigCpu = await qemuCpuSeconds(bigElf);
const qemuMipsCpu = bigInstructions / Math.max(qemuBigCpu - qemuBaseCpu, 1e-3) / 1e6;
const emuMipsCpu = instructions / emuCpu / 1e6;

const fmt = (x: number, d = 2) => x.toFixed(d);
const ok = emu.exitValue === 0 && qemu.exitValue === 0 && emu.serial === qemu.serial && qemuBig.exitValue === 0;
process.stdout.write(
  [
    `bench kernel: ${iterations} iterations (CRC32 over 2 KiB, Shell sort of 512, 1024 divisions, bit counting per iteration)`,
    `checksums: emulator and QEMU ${ok ? 'agree' : 'DIFFER'}`,
    ...(ok ? [] : [`  emulator (${emu.reason}):\n${emu.serial}`, `  qemu (${qemu.reason}):\n${qemu.serial}`]),
    `emulator: ${instructions} instructions retired in ${fmt(emu.seconds)} s = ${fmt(instructions / emu.seconds / 1e6, 1)} MIPS`,
    `qemu:     ${fmt(qemu.seconds)} s wall for the same kernel (start-up ${fmt(qemuBase.seconds)} s); ` +
      `guest speed ${fmt(qemuMips, 0)} MIPS over ${iterations * QEMU_SCALE} iterations, so ${fmt(qemuNet, 3)} s net`,
    `ratio:    emulator / qemu = ${fmt(emu.seconds / qemu.seconds, 1)}x wall, ${fmt(emu.seconds / qemuNet, 0)}x net of start-up`,
    `cpu time: emulator ${fmt(emuCpu)} s = ${fmt(emuMipsCpu, 1)} MIPS; qemu ${fmt(qemuMipsCpu, 0)} MIPS ` +
      `(${fmt(qemuBigCpu)} - ${fmt(qemuBaseCpu)} s); ratio ${fmt(qemuMipsCpu / emuMipsCpu, 0)}x`,
  ].join('\n') + '\n',
);
process.exitCode = ok ? 0 : 1;
