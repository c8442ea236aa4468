// Builds the test kernels and runs one on QEMU (the oracle) or on our emulator. Shared by the
// differential tests (test/emulator/diff*.test.ts) and the CPU benchmark (scripts/bench-emu.ts).
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { buildKernels, kernelNames } from './build.ts';
import { withLock } from '../../src/dirlock.ts';

export { kernelNames };

export const GUESTS_DIR = fileURLToPath(new URL('.', import.meta.url));
export const REPO_ROOT = resolve(GUESTS_DIR, '../..');
export const BUILD_DIR = join(REPO_ROOT, '.world', 'test-guests');

/** RAM of both machines, so nothing a kernel sees depends on which one runs it. */
export const GUEST_MEM_MIB = 64;
export const QEMU_TIMEOUT_MS = 120_000;  // generous: on a loaded shared machine QEMU start-up alone can take seconds
/** Guards the emulator against a kernel that never ends; the largest kernel needs far fewer. */
export const EMU_MAX_INSTRUCTIONS = 400_000_000;

export function kernelPath(name: string, dir = BUILD_DIR): string {
  return join(dir, `${name}.elf`);
}


/** Builds every kernel (only what changed is rebuilt, see build.ts); returns the output folder. */
export async function buildGuests(dir = BUILD_DIR): Promise<string> {
  mkdirSync(dir, { recursive: true });
  await withLock(`${dir}.lock`, () => buildKernels(dir), 120_000); // two test files may build at once
  return dir;
}

/** How a run ended: a debug-exit write, a shutdown (triple fault), or anything else. */
export type StopKind = 'exit' | 'shutdown' | 'other';

export interface GuestRun {
  serial: string;
  stop: StopKind;
  /** The value the guest wrote to the debug-exit port, or null if it stopped any other way. */
  exitValue: number | null;
  /** Why the run ended, in words. */
  reason: string;
  /** Host seconds for the whole run (never part of a result, only printed by the bench). */
  seconds: number;
  instructions?: number;
}

export async function runQemu(elf: string, timeoutMs = QEMU_TIMEOUT_MS): Promise<GuestRun> {
  const t0 = performance.now();
  const r = await execa(
    'qemu-system-i386',
    ['-kernel', elf, '-serial', 'stdio', '-display', 'none', '-monitor', 'none', '-no-reboot',
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-m', String(GUEST_MEM_MIB)],
    { reject: false, timeout: timeoutMs, stripFinalNewline: false, encoding: 'latin1', stdin: 'ignore' },
  );
  const seconds = (performance.now() - t0) / 1000;
  const status = r.exitCode;
  // isa-debug-exit makes QEMU exit with (v << 1) | 1; anything even is QEMU's own status.
  if (r.timedOut) return { serial: r.stdout, stop: 'other', exitValue: null, reason: `timed out after ${timeoutMs} ms`, seconds };
  if (status !== undefined && status % 2 === 1) {
    return { serial: r.stdout, stop: 'exit', exitValue: status >> 1, reason: `guest wrote ${status >> 1} to the debug-exit port`, seconds };
  }
  // With -no-reboot a triple fault (a reset request) makes QEMU exit with status 0.
  if (status === 0) return { serial: r.stdout, stop: 'shutdown', exitValue: null, reason: 'qemu shut down (triple fault)', seconds };
  return { serial: r.stdout, stop: 'other', exitValue: null, reason: `qemu exited with status ${status} ${r.stderr}`.trim(), seconds };
}

/**
 * Starts QEMU on many kernels, at most `concurrency` at a time, and returns each run's promise.
 * QEMU spends most of a short run starting up, so overlapping runs (with each other and with the
 * in-process emulator) keeps the suite fast.
 */
export function runQemuMany(elves: string[], concurrency = 3): Map<string, Promise<GuestRun>> {
  const out = new Map<string, Promise<GuestRun>>();
  let running = 0;
  const waiting: (() => void)[] = [];
  const slot = async (): Promise<void> => {
    if (running < concurrency) {
      running++;
      return;
    }
    await new Promise<void>((r) => waiting.push(r));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  for (const elf of elves) {
    if (out.has(elf)) continue;
    out.set(elf, (async () => {
      await slot();
      try {
        return await runQemu(elf);
      } finally {
        release();
      }
    })());
  }
  return out;
}

/**
 * Blocks' runs through the generic runner before their JavaScript is generated, in the
 * differential tests: the kernels' loops (a few hundred passes per form) are written to reach
 * the generated code at this threshold, far below the emulator's default (blocks.ts
 * CODEGEN_THRESHOLD), so both tiers are checked against QEMU.
 */
export const DIFF_CODEGEN_AFTER = 64;

/**
 * Runs a kernel on our emulator in this process through emulator/run.ts's runKernel (loaded on
 * first use, so the QEMU-only checks do not depend on the emulator). codegenAfter replaces the
 * CPU's code-generation threshold (Cpu.codegenAfter) when given.
 */
export async function runEmulator(elf: string, maxInstructions = EMU_MAX_INSTRUCTIONS, codegenAfter?: number): Promise<GuestRun> {
  const { runKernel } = await import('../../emulator/run.ts');
  const { Cpu } = await import('../../emulator/cpu/cpu.ts');
  const t0 = performance.now();
  const setup = codegenAfter === undefined ? undefined : (m: { cpu: unknown }): void => {
    if (m.cpu instanceof Cpu) m.cpu.codegenAfter = codegenAfter;
  };
  const r = runKernel({ elf: readFileSync(elf), mem: GUEST_MEM_MIB << 20, maxInstructions, setup });
  const seconds = (performance.now() - t0) / 1000;
  return {
    serial: Buffer.from(r.serialOutput).toString('latin1'),
    stop: r.stop.kind === 'exit' || r.stop.kind === 'shutdown' ? r.stop.kind : 'other',
    exitValue: r.exitCode,
    reason: r.reason,
    seconds,
    instructions: r.stats.instructions,
  };
}
