// The order the bench hands its runs to the workers: longest first, from how long each run took
// in the last results file of the same name (its host section), as ninja orders by its build log.
// A run with no recorded time goes first (it may be long); ties keep the matrix order. Only the
// schedule follows host time: each run is its own deterministic process and the results file
// lists runs in matrix order, so the bytes do not depend on this order.

/** Indices into `ids`, longest recorded time first; unknown ids first; ties in matrix order. */
export function longestFirst(ids: string[], lastSeconds: Record<string, number>): number[] {
  const cost = (id: string): number => {
    const s = lastSeconds[id];
    return typeof s === 'number' && Number.isFinite(s) && s >= 0 ? s : Infinity;
  };
  return ids.map((_, i) => i).sort((a, b) => {
    const ca = cost(ids[a]!), cb = cost(ids[b]!);
    return ca === cb ? a - b : cb - ca;
  });
}

/** The per-run host seconds a results file recorded (`host.run_seconds`), or none when the file
 *  is missing, unreadable or has no such record: a schedule hint, never an error. */
export function recordedSeconds(text: string | undefined): Record<string, number> {
  if (text === undefined) return {};
  try {
    const host = (JSON.parse(text) as { host?: { run_seconds?: unknown } }).host;
    const rs = host?.run_seconds;
    if (rs === null || typeof rs !== 'object' || Array.isArray(rs)) return {};
    return Object.fromEntries(Object.entries(rs as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number'));
  } catch {
    return {};
  }
}
