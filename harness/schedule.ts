// The order in which `world bench` starts its runs. Runs differ in cost by an order of magnitude
// (a Linux guest boots a real kernel: about 60 M instructions against 10 M for our kernel), and
// with a few workers the matrix order left the longest runs for the end, one worker busy while the
// other idled. Starting the longest first (LPT, longest processing time first) fills the workers
// evenly. The estimate of a run's cost is a guest quantity, its instructions retired (reference
// transfer included) in an earlier results file, so the order is the same for the same files; a
// run the file does not hold counts as the longest (it may be; it is then not left for last).
// Only the order of starting changes: results are assembled in matrix order whatever the order.
import type { Results } from './results.ts';

/** Instructions each run retired in `results`, by `configuration/workload`, its reference transfer included. */
export function costEstimates(results: Results): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of results.runs) {
    const f = r.figures;
    if (r.status !== 'ok' || !f) continue;
    // The expansion runs also ran a reference transfer: its instructions are the run's less the difference.
    const reference = f.expansion ? f.run.instructions - f.expansion.instructions : 0;
    out.set(`${r.configuration}/${r.workload}`, f.run.instructions + reference);
  }
  return out;
}

/**
 * Indices of `keys` in the order to start them: costliest first by `estimates`, runs it lacks
 * before all others, ties in the given order.
 */
export function longestFirst(keys: readonly string[], estimates: ReadonlyMap<string, number>): number[] {
  const cost = (i: number): number => estimates.get(keys[i]!) ?? Infinity;
  return keys.map((_, i) => i).sort((a, b) => {
    const ca = cost(a);
    const cb = cost(b);
    return ca === cb ? a - b : cb > ca ? 1 : -1;
  });
}
