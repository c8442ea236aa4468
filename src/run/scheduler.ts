// Runs a DAG of steps with at most `jobs` at once, each step starting when all it waits for have
// succeeded. A failure skips everything downstream of it; without keepGoing no new step starts
// after a failure (running ones finish), with keepGoing every step not downstream of a failure runs.
// Steps become ready in the order given, so a run is reproducible for a given graph and -j.

export interface ScheduleOptions {
  jobs: number;
  keepGoing: boolean;
  signal?: AbortSignal;
  /** Called for a step that will not run because `cause` (a step it needs) failed or was skipped. */
  onSkip?: (id: string, cause: string) => void;
}

export interface ScheduleResult<T> {
  done: Map<string, T>;
  failed: Map<string, unknown>;
  skipped: string[];
  /** Steps never started because the build stopped (failure without keepGoing, or interrupt). */
  notStarted: string[];
}

export async function schedule<T>(ids: readonly string[], depsOf: (id: string) => readonly string[],
  run: (id: string) => Promise<T>, opts: ScheduleOptions): Promise<ScheduleResult<T>> {
  const inSet = new Set(ids);
  const pending = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const id of ids) {
    const deps = depsOf(id).filter((d) => inSet.has(d));
    pending.set(id, deps.length);
    for (const d of deps) (dependents.get(d) ?? dependents.set(d, []).get(d)!).push(id);
  }
  const position = new Map(ids.map((id, i) => [id, i]));
  const ready: string[] = ids.filter((id) => pending.get(id) === 0);
  const result: ScheduleResult<T> = { done: new Map(), failed: new Map(), skipped: [], notStarted: [] };
  const finished = new Set<string>();
  let running = 0;
  let stopped = false;

  const skipDownstream = (id: string): void => {
    for (const d of dependents.get(id) ?? []) {
      if (finished.has(d)) continue;
      finished.add(d);
      result.skipped.push(d);
      opts.onSkip?.(d, id);
      skipDownstream(d);
    }
  };

  await new Promise<void>((resolve) => {
    const pump = (): void => {
      if (opts.signal?.aborted) stopped = true;
      while (!stopped && running < opts.jobs && ready.length > 0) {
        const id = ready.shift()!;
        if (finished.has(id)) continue;
        running += 1;
        run(id).then((value) => {
          result.done.set(id, value);
          finished.add(id);
          for (const d of dependents.get(id) ?? []) {
            const left = pending.get(d)! - 1;
            pending.set(d, left);
            if (left === 0 && !finished.has(d)) {
              // Keep the ready list in graph order so the run does not depend on timing.
              const at = ready.findIndex((r) => position.get(r)! > position.get(d)!);
              ready.splice(at === -1 ? ready.length : at, 0, d);
            }
          }
        }, (err: unknown) => {
          result.failed.set(id, err);
          finished.add(id);
          skipDownstream(id);
          if (!opts.keepGoing) stopped = true;
        }).finally(() => {
          running -= 1;
          pump();
        });
      }
      if (running === 0) {
        for (const id of ids) if (!finished.has(id)) result.notStarted.push(id);
        resolve();
      }
    };
    opts.signal?.addEventListener('abort', () => { stopped = true; }, { once: true });
    pump();
  });
  return result;
}
