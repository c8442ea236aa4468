// `world bench`: plans the matrix, builds the guests it needs through the cache (world build),
// runs each runnable configuration x workload in a worker process, and assembles the results
// file. A run that fails (transfer incomplete, worker crash) fails the bench and nothing is
// written: the last good results file stays.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { countWedge, LOC_RULE } from './loc.ts';
import { runKey, shardRuns, type BenchDecl, type ConfigurationDecl, type PlannedRun, type Shard } from './matrix.ts';
import type { MeasureSpec } from './measure.ts';
import { runPool, type WorkerEntry } from './pool.ts';
import { published } from './published.ts';
import { RESULTS_SCHEMA, RESULTS_VERSION, type Results, type RunResult } from './results.ts';

export interface BenchOptions {
  /** The tree the bench measures (the folder holding world.yaml): the wedge's lines are counted there. */
  root: string;
  /** Where the results came from (src/provenance.ts), read once the guests are built and before
   *  the runs, so a commit made while the runs go on does not label results it did not produce. */
  provenance(): Record<string, unknown>;
  bench: BenchDecl;
  runs: PlannedRun[];
  shard: Shard | null;
  jobs: number;
  /** The installed images a configuration boots (its guest's kernel, its initrd if any, its wedge), once built. */
  images(c: ConfigurationDecl): { guest: string; initrd?: string; wedge?: string };
  /** Builds package@variant units through the cache; returns false when a build failed. */
  build(units: string[]): Promise<boolean>;
  say(line: string): void;
  /** The worker module the runs use (default: the source under tsx). */
  worker?: WorkerEntry;
  signal: AbortSignal;
}

/** The bench section as the results file records it (the configurations actually selected). */
export function benchRecord(bench: BenchDecl, runs: PlannedRun[]): Results['bench'] {
  const names = new Set(runs.map((r) => r.configuration.name));
  return {
    transfer_bytes: bench.transferBytes,
    message_bytes: bench.messageBytes,
    profile: bench.profile,
    configurations: bench.configurations.filter((c) => names.has(c.name)).map((c) => ({ ...c })),
    workloads: bench.workloads.map((w) => ({ ...w })),
    expansion: { configurations: [...bench.expansion.configurations], workload: bench.expansion.workload },
  };
}

function fileSha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export type BenchOutcome = { ok: true; results: Results } | { ok: false; message: string };

export async function runBench(o: BenchOptions): Promise<BenchOutcome> {
  const started = new Date();
  const t0 = performance.now();
  const mine = o.shard ? shardRuns(o.runs, o.shard) : o.runs;
  const runnable = mine.filter((r) => r.notRun === null);

  // Build what the runnable runs need, through the orchestrator's cache.
  const units = [...new Set(runnable.flatMap((r) => [r.configuration.guest, ...(r.configuration.wedge ? [r.configuration.wedge] : [])]))];
  if (units.length > 0) {
    o.say(`bench: building ${units.join(', ')}`);
    if (!(await o.build(units))) return { ok: false, message: `building ${units.join(', ')} failed; nothing was run` };
  }
  const provenance = o.provenance();
  const specs: MeasureSpec[] = runnable.map((r) => ({
    configuration: r.configuration.name,
    workload: r.workload.name,
    backend: r.configuration.backend,
    ...o.images(r.configuration),
    direction: r.workload.direction,
    transferBytes: o.bench.transferBytes,
    messageBytes: o.bench.messageBytes,
    profile: o.bench.profile,
    // The expansion runs also run a one-message reference, so boot and set-up cancel out.
    ...(o.bench.expansion.configurations.includes(r.configuration.name) && r.workload.name === o.bench.expansion.workload
      ? { referenceBytes: Math.min(o.bench.messageBytes, o.bench.transferBytes) } : {}),
  }));
  for (const r of mine) if (r.notRun !== null) o.say(`bench: ${runKey(r)}: not run: ${r.notRun}`);

  const seconds: Record<string, number> = {};
  let done = 0;
  const measurements = await runPool(specs, o.jobs, {
    started: (i) => o.say(`bench: ${specs[i]!.configuration}/${specs[i]!.workload}: running (${o.bench.transferBytes} bytes, ${specs[i]!.direction})`),
    finished: (i, s, m) => {
      done += 1;
      const id = `${specs[i]!.configuration}/${specs[i]!.workload}`;
      seconds[id] = Math.round(s * 10) / 10;
      o.say(`bench: [${done}/${specs.length}] ${id}: ${m.failure ? `FAILED: ${m.failure}` : m.notRun ? `did not run: ${m.notRun}` : `${m.figures.throughput_mib_s} MiB/s, ${m.figures.cpu_percent}% CPU`} (${s.toFixed(1)} s)`);
    },
  }, o.signal, o.worker).catch((err: Error) => err);
  if (measurements instanceof Error) return { ok: false, message: measurements.message };
  const failures = measurements.map((m, i) => m.failure ? `${specs[i]!.configuration}/${specs[i]!.workload}: ${m.failure}` : null).filter((x) => x !== null);
  if (failures.length > 0) return { ok: false, message: `${failures.length} run(s) failed; no results written:\n  ${failures.join('\n  ')}` };

  const byKey = new Map(runnable.map((r, i) => [runKey(r), i]));
  const runs: RunResult[] = mine.map((r) => {
    if (r.notRun !== null) return { configuration: r.configuration.name, workload: r.workload.name, status: 'not run', reason: r.notRun };
    const spec = specs[byKey.get(runKey(r))!]!;
    // An outcome of the configuration (hole-outcome.ts): shown instead of figures.
    const outcome = measurements[byKey.get(runKey(r))!]!.notRun;
    if (outcome !== null) return { configuration: r.configuration.name, workload: r.workload.name, status: 'not run', reason: outcome };
    return {
      configuration: r.configuration.name, workload: r.workload.name, status: 'ok',
      images: {
        [r.configuration.guest]: fileSha(spec.guest),
        // A Linux guest's /init is the netperf program: its initramfs is part of what ran.
        ...(spec.initrd ? { [`${r.configuration.guest} initrd`]: fileSha(spec.initrd) } : {}),
        ...(spec.wedge ? { [r.configuration.wedge!]: fileSha(spec.wedge) } : {}),
      },
      figures: measurements[byKey.get(runKey(r))!]!.figures,
    };
  });
  const loc = countWedge(join(o.root, 'guests', 'wedge'), published().loc.map((l) => l.component));
  const results: Results = {
    schema: RESULTS_SCHEMA,
    version: RESULTS_VERSION,
    bench: benchRecord(o.bench, o.runs),
    provenance,
    loc: loc ? { rule: LOC_RULE, components: loc } : null,
    runs,
    ...(o.shard ? { shard: { ...o.shard } } : {}),
    host: {
      hostname: hostname(),
      node: process.version,
      started: started.toISOString(),
      seconds: Math.round((performance.now() - t0) / 100) / 10,
      run_seconds: seconds,
      jobs: o.jobs,
    },
  };
  return { ok: true, results };
}
