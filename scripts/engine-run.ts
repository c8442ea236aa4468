// One engine's run of a benchmark kernel as a child process, timed whole (start-up included), for
// the side-by-side benchmarks (bench-emu.ts, bench-emu-linux.ts): wall and CPU seconds (user +
// system, all threads) under bash's `time`, and what the guest printed. Host seconds are printed by
// the benchmarks, never stored as results.
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { emulatorEnv } from '../harness/host-env.ts';

const TIMEOUT_MS = 1_800_000;

interface Timed { wall: number; cpu: number; stdout: string; exitCode: number | undefined; stderr: string }

/** Runs a command under bash's `time`: whole-process wall and CPU (user + system, all threads) seconds. */
async function timed(cmd: string, args: string[], env = process.env): Promise<Timed> {
  const r = await execa('bash', ['-c', `TIMEFORMAT='@time %R %U %S'; time "$@"`, 'bash', cmd, ...args],
    { reject: false, timeout: TIMEOUT_MS, stdin: 'ignore', encoding: 'latin1', stripFinalNewline: false, env, extendEnv: false });
  const m = /@time ([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  if (!m) throw new Error(`could not time ${cmd}: ${r.stderr}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), stdout: r.stdout, exitCode: r.exitCode, stderr: r.stderr.slice(0, m.index) };
}

export interface EngineRun { name: string; wall: number; cpu: number; exitValue: number | null; serial: string; instructions: number | null; note: string }

/**
 * Our emulator and v86, each through its runner script beside this file (bench-emu-ours.ts,
 * bench-emu-v86.ts), which prints a JSON line { exitValue, instructions, serial }.
 */
export async function runNode(name: string, script: string, args: string[]): Promise<EngineRun> {
  // Both Node processes get the environment of our bench workers (harness/host-env.ts: huge pages for RAM).
  const t = await timed(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(script, import.meta.url)), ...args], emulatorEnv());
  const line = t.stdout.split('\n').find((l) => l.startsWith('{'));
  if (line === undefined) return { name, wall: t.wall, cpu: t.cpu, exitValue: null, serial: '', instructions: null, note: t.stderr.trim() };
  const j = JSON.parse(line) as { exitValue: number | null; instructions: number; serial: string };
  return { name, wall: t.wall, cpu: t.cpu, exitValue: j.exitValue, serial: j.serial, instructions: j.instructions, note: '' };
}

/** qemu-system-i386 (TCG) with `args` (the kernel, its RAM, ...), its serial port on stdout and QEMU's isa-debug-exit. */
export async function runQemu(args: string[]): Promise<EngineRun> {
  const t = await timed('qemu-system-i386', [...args, '-serial', 'stdio', '-display', 'none', '-monitor', 'none',
    '-no-reboot', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04']);
  // isa-debug-exit makes QEMU exit with (v << 1) | 1.
  const ok = t.exitCode !== undefined && t.exitCode % 2 === 1;
  return { name: 'qemu', wall: t.wall, cpu: t.cpu, exitValue: ok ? t.exitCode! >> 1 : null, serial: t.stdout, instructions: null, note: ok ? '' : t.stderr.trim() };
}
