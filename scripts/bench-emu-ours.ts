// One run of a benchmark kernel on our emulator, as a child process of scripts/bench-emu.ts or
// scripts/bench-emu-linux.ts so the parent times the whole process (start-up and TypeScript
// loading included), as it does for v86 and QEMU: the CPU benchmark's multiboot kernel, or a
// Linux bzImage with its initramfs and command line. Prints one JSON line on stdout:
// { exitValue, instructions, serial }.
// usage: node --import tsx scripts/bench-emu-ours.ts KERNEL MEM_MIB [INITRD CMDLINE]
import { readFileSync } from 'node:fs';
import { runKernel } from '../emulator/run.ts';
import { enterEmulatorProcess } from '../harness/host-env.ts';

const [elfPath, memMib, initrd, cmdline] = process.argv.slice(2);
if (elfPath === undefined || !(Number(memMib) > 0) || (initrd !== undefined && cmdline === undefined)) {
  process.stderr.write('usage: bench-emu-ours.ts KERNEL MEM_MIB [INITRD CMDLINE]\n');
  process.exit(2);
}
const rerun = await enterEmulatorProcess();
if (rerun !== null) process.exit(rerun);
const r = runKernel({
  elf: readFileSync(elfPath), mem: Number(memMib) * 2 ** 20, maxInstructions: Number.MAX_SAFE_INTEGER,
  ...(initrd !== undefined ? { initrd: readFileSync(initrd), cmdline } : {}),
});
const serial = Buffer.from(r.serialOutput).toString('latin1');
process.stdout.write(`${JSON.stringify({ exitValue: r.exitCode, instructions: r.stats.instructions, serial })}\n`);
if (r.exitCode === null) process.stderr.write(`bench-emu-ours: ${r.reason}\n`);
