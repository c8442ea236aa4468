// One run of the CPU benchmark kernel on our emulator, as a child process of scripts/bench-emu.ts
// so the parent times the whole process (start-up and TypeScript loading included), as it does
// for v86 and QEMU. Prints one JSON line on stdout: { exitValue, instructions, serial }.
// usage: node --import tsx scripts/bench-emu-ours.ts KERNEL.elf MEM_MIB
import { readFileSync } from 'node:fs';
import { runKernel } from '../emulator/run.ts';

const [elfPath, memMib] = process.argv.slice(2);
if (elfPath === undefined || !(Number(memMib) > 0)) {
  process.stderr.write('usage: bench-emu-ours.ts KERNEL.elf MEM_MIB\n');
  process.exit(2);
}
const r = runKernel({ elf: readFileSync(elfPath), mem: Number(memMib) * 2 ** 20, maxInstructions: Number.MAX_SAFE_INTEGER });
const serial = Buffer.from(r.serialOutput).toString('latin1');
process.stdout.write(`${JSON.stringify({ exitValue: r.exitCode, instructions: r.stats.instructions, serial })}\n`);
if (r.exitCode === null) process.stderr.write(`bench-emu-ours: ${r.reason}\n`);
