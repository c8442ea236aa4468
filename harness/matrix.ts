// The benchmark matrix: world.yaml's bench configurations x workloads, in declaration order, and
// their shapes; whether each configuration can run here is the caller's to say (src/runnable.ts,
// also what `world netperf --config` checks); the deterministic slices that `world bench --shard
// I/N` runs; and the GitHub Actions matrix of those slices (`world bench --matrix-json`).
import type { BackendName } from '../emulator/hypervisors/backend-names.ts';

/** A configuration: a row of the tables (a guest unit on a back-end, with a wedge unit or not). */
export interface ConfigurationDecl { name: string; title: string; guest: string; backend: BackendName; wedge: string | null }
/** A workload: a column of the tables. */
export interface WorkloadDecl { name: string; kind: 'netperf'; direction: 'send' | 'receive' }

/** The largest netperf message the guests take (their MAX_MESSAGE: netperf -m up to the socket buffer). */
export const MAX_MESSAGE_BYTES = 256 << 10;
/** The largest transfer the guests count (a 32-bit byte count). */
export const MAX_TRANSFER_BYTES = 2 ** 32 - 1;

/** The matrix world.yaml's bench: section declares (src/manifest/bench.ts reads it). */
export interface BenchDecl {
  transferBytes: number;
  messageBytes: number;
  profile: string;
  configurations: ConfigurationDecl[];
  workloads: WorkloadDecl[];
  /**
   * The runs the instruction-expansion table reads: each configuration's run of one workload (a
   * column each, beside the slides'), every one also run with a one-message reference.
   */
  expansion: { configurations: string[]; workload: string };
}

export interface PlannedRun {
  configuration: ConfigurationDecl;
  workload: WorkloadDecl;
  /** Why this run cannot run here; null when it can. */
  notRun: string | null;
}

export function runKey(r: PlannedRun): string {
  return `${r.configuration.name}/${r.workload.name}`;
}

/** Every configuration x workload, in declaration order; `problemOf` says why a configuration cannot run here (null: it can). */
export function planMatrix(bench: BenchDecl, problemOf: (c: ConfigurationDecl) => string | null): PlannedRun[] {
  const out: PlannedRun[] = [];
  for (const configuration of bench.configurations) {
    const notRun = problemOf(configuration);
    for (const workload of bench.workloads) out.push({ configuration, workload, notRun });
  }
  return out;
}

export interface Shard { index: number; count: number }

export function parseShard(text: string): Shard | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return count >= 1 && index >= 1 && index <= count ? { index, count } : undefined;
}

/**
 * The runs shard I of N owns: the runnable runs dealt round-robin in matrix order (so shards
 * get similar work), and every not-run entry in shard 1 (they cost nothing).
 */
export function shardRuns(runs: PlannedRun[], shard: Shard): PlannedRun[] {
  let k = 0;
  return runs.filter((r) => {
    if (r.notRun !== null) return shard.index === 1;
    return k++ % shard.count === shard.index - 1;
  });
}

/** A GitHub Actions matrix: one entry per shard, `shard: "I/N"`; N defaults to the runnable runs (at least 1). */
export function actionsMatrix(runs: PlannedRun[], count?: number): { include: { shard: string; runs: string }[] } {
  const n = count ?? Math.max(1, runs.filter((r) => r.notRun === null).length);
  const include = [];
  for (let i = 1; i <= n; i++) {
    const mine = shardRuns(runs, { index: i, count: n }).filter((r) => r.notRun === null);
    include.push({ shard: `${i}/${n}`, runs: mine.map(runKey).join(' ') || '(not-run entries only)' });
  }
  return { include };
}
