// The results file (results/<name>.json): every deterministic figure of a bench run, the
// provenance that produced them, and, apart, the host's view (time, host name) that no
// comparison reads. Written as JSON with sorted keys and a trailing newline, so the same figures
// are the same bytes; read back with a check of the schema name and version first.
import { readFileSync } from 'node:fs';
import { sortKeys } from '../emulator/json.ts';
import type { WindowCounters } from '../emulator/window.ts';

export const RESULTS_SCHEMA = 'world-bench-results';
/**
 * 2 added figures.window (every counter over the transfer window, with the cycle breakdown).
 * 3 made bench.expansion a list of configurations (`configurations`, one column of the
 * instruction-expansion table each) where 1 and 2 named one (`configuration`).
 */
export const RESULTS_VERSION = 3;
/** Versions this world reads: 2 added fields only; a 1 or 2 file's one expansion configuration reads as a list of one. */
export const RESULTS_VERSIONS_READ: readonly number[] = [1, 2, 3];

/** One run's figures. Every value is a guest quantity (cycles, counts, bytes), never host time. */
export interface NetperfFigures {
  /** netperf -f M: 2^20 bytes per second of guest time, bytes over the window. */
  throughput_mib_s: number;
  /** Percent: guest busy cycles over the window's cycles, x100. */
  cpu_percent: number;
  busy_cycles: number;
  window_cycles: number;
  /** Instructions retired in the window. */
  window_instructions: number;
  window_ns: number;
  bytes: number;
  verified: boolean;
  retransmissions: { guest: number | null; peer: number };
  frames: { from_guest: number; to_guest: number };
  /** Hardware interrupts in the window, by IRQ line. */
  interrupts: Record<string, number>;
  /**
   * Version 2: every counter over the window (exceptions, page faults, TLB, sensitive
   * instructions, hypercalls and L4 messages, the wedge's counters) and the window's cycles by
   * category (guest kernel, guest user, wedge, hypervisor by operation, device, interrupt and
   * exception entry, idle), which sum exactly to window_cycles.
   */
  window?: WindowCounters;
  /** The whole run, boot to exit: what the CPU's counters hold. */
  run: {
    instructions: number;
    cycles: { total: number; busy: number; idle: number };
    /** Hardware interrupts over the whole run, by IRQ line: the per-interrupt denominator. */
    interrupts: Record<string, number>;
    /** Sensitive instructions executed over the whole run, by name, as [ring0, ring1, ring2, ring3]; zero counts left out. */
    sensitive: Record<string, number[]>;
    /** Software interrupts by vector (system calls at 0x80 = 128). */
    software_interrupts: Record<string, number>;
    exceptions: Record<string, number>;
    /** Hypervisor calls by name: Xen's hypercalls, or L4's system calls plus `ipc <kind>` message counts; empty on hardware. */
    hypercalls: Record<string, number>;
  };
  /**
   * The instruction-expansion run only: counters of this run minus those of a reference run of
   * the same guest that transfers `reference_bytes`, so boot, connection set-up and close cancel
   * and what is left is what moving the other bytes cost.
   */
  expansion?: {
    reference_bytes: number;
    sensitive: Record<string, number[]>;
    interrupts: Record<string, number>;
    instructions: number;
  };
}

export interface RunResult {
  configuration: string;
  workload: string;
  status: 'ok' | 'not run';
  /** Why a run did not run (status 'not run'). */
  reason?: string;
  /** The guest (its initrd, its wedge) images that ran: unit (`unit initrd`) and sha256. */
  images?: Record<string, string>;
  figures?: NetperfFigures;
}

export interface LocCount { headers: number; sources: number }

export interface Results {
  schema: typeof RESULTS_SCHEMA;
  version: number;
  bench: {
    transfer_bytes: number;
    message_bytes: number;
    profile: string;
    configurations: { name: string; title: string; guest: string; backend: string; wedge: string | null }[];
    workloads: { name: string; kind: string; direction: string }[];
    /** Versions 1 and 2 wrote { configuration, workload }; readResults gives every version this shape. */
    expansion: { configurations: string[]; workload: string };
  };
  provenance: Record<string, unknown>;
  /** Lines of code of the wedge by component, or null when guests/wedge/ is not in the tree. */
  loc: { rule: string; components: Record<string, LocCount> } | null;
  runs: RunResult[];
  /** Present only in a shard's file: which slice of the matrix it holds. */
  shard?: { index: number; count: number };
  /** Present only in a history file (harness/history.ts): the commit measured, its time and subject. */
  history?: { commit: string; time: string; subject: string };
  /** Host time and host name: never compared, never in a table. */
  host: Record<string, unknown>;
}

export class ResultsError extends Error {}

export function formatResults(r: Results): string {
  return JSON.stringify(sortKeys(r), null, 2) + '\n';
}

/** The file without its host section: what must be byte-identical between two runs. */
export function withoutHost(r: Results): Omit<Results, 'host'> {
  const { host: _host, ...rest } = r;
  return rest;
}

/** Reads and checks a results file; every problem names the file and what was expected. */
export function readResults(path: string): Results {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ResultsError(e.code === 'ENOENT' ? `${path}: no such results file` : `${path}: cannot read: ${e.message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ResultsError(`${path}: not valid JSON: ${(err as Error).message}`);
  }
  return checkResults(data, path);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function checkResults(data: unknown, path: string): Results {
  const fail = (key: string, msg: string): never => { throw new ResultsError(`${path}: ${key}: ${msg}`); };
  if (!isObject(data)) return fail('(top level)', 'expected an object (a world bench results file)');
  if (data.schema !== RESULTS_SCHEMA) fail('schema', `expected "${RESULTS_SCHEMA}", got ${JSON.stringify(data.schema)}: not a world bench results file`);
  if (typeof data.version !== 'number' || !RESULTS_VERSIONS_READ.includes(data.version)) {
    fail('version', `results schema version ${JSON.stringify(data.version)}; this world reads versions ${RESULTS_VERSIONS_READ.join(', ')} (re-run 'world bench' to write version ${RESULTS_VERSION})`);
  }
  for (const key of ['bench', 'provenance', 'host']) if (!isObject(data[key])) fail(key, 'expected an object');
  if (!Array.isArray(data.runs)) fail('runs', 'expected a list of runs');
  const bench = data.bench as Record<string, unknown>;
  for (const key of ['configurations', 'workloads']) if (!Array.isArray(bench[key])) fail(`bench.${key}`, 'expected a list');
  (data.runs as unknown[]).forEach((run, i) => {
    if (!isObject(run)) return fail(`runs[${i}]`, 'expected an object');
    if (typeof run.configuration !== 'string' || typeof run.workload !== 'string') fail(`runs[${i}]`, 'expected configuration and workload names');
    if (run.status === 'ok') {
      if (!isObject(run.figures)) fail(`runs[${i}].figures`, 'expected the figures of a run with status "ok"');
    } else if (run.status === 'not run') {
      if (typeof run.reason !== 'string') fail(`runs[${i}].reason`, 'expected why the run did not run');
    } else {
      fail(`runs[${i}].status`, `expected "ok" or "not run", got ${JSON.stringify(run.status)}`);
    }
  });
  if (data.loc !== null && !isObject(data.loc)) fail('loc', 'expected an object or null');
  const exp = bench.expansion;
  if (!isObject(exp) || typeof exp.workload !== 'string') return fail('bench.expansion', 'expected the expansion runs (configurations and workload)');
  if ((data.version as number) < 3) {
    if (typeof exp.configuration !== 'string') fail('bench.expansion.configuration', `expected a configuration name (schema version ${data.version})`);
    bench.expansion = { configurations: [exp.configuration], workload: exp.workload };
  } else if (!Array.isArray(exp.configurations) || !exp.configurations.every((x) => typeof x === 'string')) {
    fail('bench.expansion.configurations', 'expected a list of configuration names');
  }
  return data as unknown as Results;
}

export function runId(r: { configuration: string; workload: string }): string {
  return `${r.configuration}/${r.workload}`;
}

/**
 * Every comparable figure as path -> value: numbers, booleans and strings (a run's status or
 * reason), with paths such as `hardware/netperf-send.throughput_mib_s` or `loc.ia32.sources`.
 */
export function flattenFigures(r: Results): Map<string, number | boolean | string | null> {
  const out = new Map<string, number | boolean | string | null>();
  const walk = (prefix: string, v: unknown): void => {
    if (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') { out.set(prefix, v); return; }
    if (Array.isArray(v)) { v.forEach((x, i) => walk(`${prefix}[${i}]`, x)); return; }
    if (isObject(v)) for (const k of Object.keys(v).sort()) walk(`${prefix}.${k}`, v[k]);
  };
  for (const run of r.runs) {
    const id = runId(run);
    out.set(`${id}.status`, run.status);
    if (run.status === 'ok') walk(id, run.figures);
  }
  if (r.loc) for (const [comp, c] of Object.entries(r.loc.components)) { out.set(`loc.${comp}.headers`, c.headers); out.set(`loc.${comp}.sources`, c.sources); }
  return out;
}
