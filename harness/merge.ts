// Combining shard results into the file an unsharded run would have written: the same bench,
// provenance and lines of code (checked equal), the runs of all shards in matrix order, no shard
// field. Only the host section differs: it lists each shard's host section.
import { ResultsError, runId, type Results, type RunResult } from './results.ts';
import { sortKeys } from '../emulator/json.ts';

export function mergeShards(files: { path: string; results: Results }[]): Results {
  if (files.length === 0) throw new ResultsError('no shard files given');
  const first = files[0]!;
  const count = first.results.shard?.count;
  const seen = new Map<number, string>();
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
  for (const { path, results } of files) {
    if (!results.shard) throw new ResultsError(`${path}: not a shard's results (no shard field); merge takes the files of 'world bench --shard I/N'`);
    if (results.shard.count !== count) throw new ResultsError(`${path}: shard ${results.shard.index}/${results.shard.count}, but ${first.path} is one of ${count}`);
    const other = seen.get(results.shard.index);
    if (other) throw new ResultsError(`${path}: shard ${results.shard.index}/${count} is also ${other}`);
    seen.set(results.shard.index, path);
    for (const key of ['bench', 'provenance', 'loc'] as const) {
      if (!same(results[key], first.results[key])) throw new ResultsError(`${path}: its ${key} differs from ${first.path}'s: the shards come from different trees or settings`);
    }
  }
  const missing = Array.from({ length: count! }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length > 0) throw new ResultsError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing`);

  const runs = new Map<string, RunResult>();
  for (const { path, results } of files) {
    for (const r of results.runs) {
      if (runs.has(runId(r))) throw new ResultsError(`${path}: run ${runId(r)} is in two shards`);
      runs.set(runId(r), r);
    }
  }
  const bench = first.results.bench;
  const ordered: RunResult[] = [];
  for (const c of bench.configurations) {
    for (const w of bench.workloads) {
      const r = runs.get(`${c.name}/${w.name}`);
      if (!r) throw new ResultsError(`run ${c.name}/${w.name} is in no shard`);
      ordered.push(r);
      runs.delete(`${c.name}/${w.name}`);
    }
  }
  if (runs.size > 0) throw new ResultsError(`runs outside the matrix: ${[...runs.keys()].join(', ')}`);
  const { shard: _shard, host: _host, ...rest } = first.results;
  const byIndex = [...files].sort((a, b) => a.results.shard!.index - b.results.shard!.index);
  return { ...rest, runs: ordered, host: { shards: byIndex.map((f) => ({ index: f.results.shard!.index, ...f.results.host })) } };
}
