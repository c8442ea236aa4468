// Runs the fuzz kernel (fuzz.c) once: patches its parameters into the ELF image (seed, number of
// streams, instructions per stream, modes, deterministic mode), boots it on one back-end through
// runKernel, and turns what happened into one record: the guest's exception counts by vector,
// or why it did not finish. A JavaScript exception thrown by the emulator or a hypervisor model
// is caught and returned as `hostError`: for a fuzzer it is a finding, not a crash of the run.
import { runKernel } from '../../emulator/run.ts';
import type { BackendName } from '../../emulator/hypervisors/hypervisor.ts';

export interface FuzzParams {
  seed: number;
  streams: number;
  /** Instructions generated per stream (at most 256). */
  insns: number;
  /** Bit mask: 1 ring 0 unpaged, 2 ring 3 unpaged, 4 ring 0 paged, 8 ring 3 paged. */
  modes: number;
  /** Deterministic streams only (ring 3, paged, no timer), a digest line per stream; 'verbose'
   *  also prints each fault and the final registers. */
  det: boolean | 'verbose';
  /** PIT periods a stream may run before it is ended (a loop in a ring-3 stream). */
  tickLimit: number;
}

export const MODE_NAMES: Record<number, string> = { 1: 'ring 0, paging off', 2: 'ring 3, paging off', 4: 'ring 0, paging on', 8: 'ring 3, paging on' };

/** The modes each back-end runs. Not ring 3 without paging on the L4 model: its trap-and-emulate
 *  gives a guest's user mode L4's flat segments (a Pistachio user task has no descriptors of its
 *  own), so the segment limits that confine such a stream on hardware do not exist there. */
export function modesFor(backend: BackendName): number {
  return backend === 'l4' ? 1 | 4 | 8 : 1 | 2 | 4 | 8;
}

/** PIT periods a stream may run. Under the L4 model each fault of a stream is an exception or
 *  page-fault IPC to the monitor and, first time, a mapping: tens of microseconds of guest time,
 *  so two periods (84 us) would end most paged streams before their end; 16 lets them finish. */
export function tickLimitFor(backend: BackendName): number {
  return backend === 'l4' ? 16 : 2;
}

const MAGIC = Buffer.from('WORLD-FUZZ-PARM\0', 'latin1');

/** A copy of the kernel image with `params` written over the defaults of `fuzz_params`. */
export function patchParams(elf: Uint8Array, params: FuzzParams): Uint8Array {
  const out = Buffer.from(elf);
  const at = out.indexOf(MAGIC);
  if (at < 0 || out.indexOf(MAGIC, at + 1) >= 0) throw new Error('fuzz kernel: fuzz_params not found exactly once in the image');
  const words = [params.seed >>> 0, params.streams, params.insns, params.modes, params.det === 'verbose' ? 2 : params.det ? 1 : 0, params.tickLimit];
  words.forEach((w, i) => out.writeUInt32LE(w >>> 0, at + 16 + 4 * i));
  return out;
}

export interface FuzzRun {
  backend: BackendName;
  seed: number;
  /** Instructions the machine retired (the kernel's own included). */
  instructions: number;
  /** Exceptions the guest's handlers counted, by vector (hex). */
  vectors: Record<string, number>;
  streams: number;
  timeouts: number;
  escapes: number;
  /** The run's outcome: ok, hang (instruction budget spent), guest (the kernel stopped otherwise), host (a JS error). */
  outcome: 'ok' | 'hang' | 'guest' | 'host';
  detail: string;
  serial: string;
}

export function runFuzz(elf: Uint8Array, backend: BackendName, params: FuzzParams, budget: number): FuzzRun {
  const image = patchParams(elf, params);
  const base = { backend, seed: params.seed, vectors: {}, streams: 0, timeouts: 0, escapes: 0, instructions: 0, serial: '' };
  let r: ReturnType<typeof runKernel>;
  try {
    r = runKernel({ elf: image, mem: 64 << 20, backend, maxInstructions: budget });
  } catch (e) {
    const err = e as Error;
    return { ...base, outcome: 'host', detail: `${err.name}: ${err.message}\n${err.stack ?? ''}` };
  }
  const serial = Buffer.from(r.serialOutput).toString('latin1');
  const vectors: Record<string, number> = {};
  for (const m of serial.matchAll(/^vector ([0-9a-f]{2}) (\d+)$/gm)) vectors[m[1]!] = Number(m[2]);
  const head = /^streams=(\d+) timeouts=(\d+) escapes=(\d+)/m.exec(serial);
  const done = r.exitCode === 0 && /^done$/m.test(serial);
  // The CPU turns a JavaScript error thrown inside the emulator or a model into a stop whose
  // reason says 'internal emulator error'; a deliberate stop (triple fault, an isolation
  // refusal, something not modelled) names itself instead.
  const outcome = done ? 'ok' : r.stop.kind === 'budget' ? 'hang' : /internal emulator error/.test(r.reason) ? 'host' : 'guest';
  return {
    ...base,
    instructions: r.stats.instructions,
    vectors,
    streams: head ? Number(head[1]) : 0,
    timeouts: head ? Number(head[2]) : 0,
    escapes: head ? Number(head[3]) : 0,
    outcome,
    detail: done ? '' : `${r.reason}; serial tail: ${serial.slice(-300)}`,
    serial,
  };
}
