// The environment of the processes that run the emulator (bench workers, the CPU benchmark's
// child, `world boot` and `world netperf`): glibc is asked to back large allocations with
// transparent huge pages (glibc.malloc.hugetlb=1, glibc 2.35 and later; ignored elsewhere). A
// guest's RAM is one large zeroed allocation that the guest touches page by page (the guest
// kernel threads its free list through every page at boot), so with 4 KiB pages the host takes a
// page fault per guest page; with 2 MiB pages about 1/500 of them. Such a process also sets V8's
// tiering budget lower (useEmulatorV8Flags). Host time only: no guest figure depends on either.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { setFlagsFromString } from 'node:v8';

const HUGE_PAGES = 'glibc.malloc.hugetlb=1';

/** Whether `env` already asks glibc for huge pages (or sets the tunable otherwise on purpose). */
export function hasEmulatorEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.GLIBC_TUNABLES?.includes('glibc.malloc.hugetlb') === true;
}

/** process.env plus the huge-page tunable, kept after any tunables already set. */
export function emulatorEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (hasEmulatorEnv(env)) return env;
  const have = env.GLIBC_TUNABLES;
  return { ...env, GLIBC_TUNABLES: have ? `${have}:${HUGE_PAGES}` : HUGE_PAGES };
}

/** Signals passed on to the re-run process, so that stopping this one stops it. */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs this process's command line again (same Node options, same arguments, same terminal) in
 * emulatorEnv, for a command that runs a machine in its own process: glibc reads the tunable only
 * when a process starts. Resolves with the re-run's exit status (128 + the signal's number when
 * a signal ended it). A signal this process receives is passed on, and the re-run's end decides.
 */
export function rerunInEmulatorEnv(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: emulatorEnv() });
  const forward = (sig: NodeJS.Signals): void => { child.kill(sig); };
  for (const sig of FORWARDED) process.on(sig, forward);
  return new Promise((resolve) => {
    const done = (status: number): void => {
      for (const sig of FORWARDED) process.off(sig, forward);
      resolve(status);
    };
    child.on('error', (err) => {
      process.stderr.write(`world: could not start ${process.execPath} again with huge pages: ${err.message}\n`);
      done(125);
    });
    child.on('exit', (code, signal) => done(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}

/**
 * V8 options for a process that runs the emulator. V8 hands a function to its optimizing compiler
 * after it has run a budget of bytecode (67,584 bytes by default in Node 20). The emulator's run
 * loop, its handlers and its generated block functions are all hot from their first calls, and a
 * Linux guest's blocks get their functions late (cpu/blocks.ts CODEGEN_THRESHOLD), so a smaller
 * budget moves them out of V8's lower tiers sooner: host CPU 0.966-0.985 of the default's on the
 * netperf rows measured side by side (emulator/README.md step 27).
 */
export const EMULATOR_V8_FLAGS: readonly string[] = ['--interrupt-budget=40000'];

let v8FlagsSet = false;
/** Sets EMULATOR_V8_FLAGS in this process, once; call it before the emulator runs. */
export function useEmulatorV8Flags(): void {
  if (v8FlagsSet) return;
  v8FlagsSet = true;
  for (const flag of EMULATOR_V8_FLAGS) setFlagsFromString(flag);
}

/**
 * Makes this process one that runs the emulator, for a command or script that runs a machine in
 * its own process: re-runs it in emulatorEnv when the environment lacks the tunable (resolving
 * with the re-run's exit status, which the caller ends with), else sets EMULATOR_V8_FLAGS and
 * resolves with null.
 */
export async function enterEmulatorProcess(): Promise<number | null> {
  if (!hasEmulatorEnv()) return rerunInEmulatorEnv();
  useEmulatorV8Flags();
  return null;
}
