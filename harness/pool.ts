// Runs measurements in worker processes, at most `jobs` at once. Each worker process runs one
// measurement at a time and, by default, several in turn: a run builds its own machine, network
// and peer from its spec and leaves nothing behind that the next one reads, so a worker gives the
// same figures whatever ran in it before (test/harness/pool.test.ts checks it), and the later runs
// skip the process start and find V8's code already compiled and optimized, most of all for a run
// of the guest the worker ran last: so a free worker takes the next run of that guest (its
// `family`) before the next run in `order` (harness/schedule.ts: longest first). `isolate` gives
// every run a fresh process, as when in doubt. Results come back in the order of the specs,
// whatever order the workers finish in.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Measurement, MeasureSpec } from './measure.ts';
import { emulatorEnv } from './host-env.ts';

/** The worker's source; under tsx a worker runs it with `--import tsx`. */
export const WORKER_SOURCE = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** The module a worker process runs and the node options it needs. */
export interface WorkerEntry { file: string; execArgv: string[] }

/** The source under tsx: what tests and scripts run. The CLI passes the compiled worker when it runs compiled code (no tsx start per run). */
export const SOURCE_WORKER: WorkerEntry = { file: WORKER_SOURCE, execArgv: ['--import', 'tsx'] };

/** What a run cost the host: wall seconds and CPU seconds (user + system) of its worker while it ran. */
export interface HostCost { seconds: number; cpuSeconds: number }

export interface PoolEvents {
  started(i: number): void;
  finished(i: number, cost: HostCost, m: Measurement): void;
}

export interface PoolOptions {
  /** Indices of the specs in the order to start them (default: their own order). */
  order?: readonly number[];
  /** A fresh worker process for every run instead of one per lane reused (default false). */
  isolate?: boolean;
  /** Runs of one family (the same guest image) go to the worker that ran that family last when it can. */
  family?: (i: number) => string;
  worker?: WorkerEntry;
}

/** A worker's answer to one spec (harness/worker.ts). */
export interface WorkerReply { ok: boolean; measurement?: Measurement; seconds?: number; cpuSeconds?: number; error?: string }

/** One worker process: measures the specs it is given, one at a time, until closed. */
class Worker {
  private readonly child: ChildProcess;
  private stderr = '';
  private waiting: { resolve(r: WorkerReply): void; reject(e: Error): void; what: string } | null = null;
  private exited: Error | null = null;

  constructor(entry: WorkerEntry, signal: AbortSignal) {
    this.child = fork(entry.file, [], { execArgv: entry.execArgv, env: emulatorEnv(), stdio: ['ignore', 'ignore', 'pipe', 'ipc'], signal });
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-4000); });
    this.child.on('message', (m: WorkerReply) => {
      const w = this.waiting;
      this.waiting = null;
      w?.resolve(m);
    });
    this.child.on('error', (err) => { if (err.name !== 'AbortError') this.fail(err); });
    this.child.on('exit', (code, sig) => this.fail(new Error(`exited (${sig ?? code}) without a result${this.stderr ? `:\n${this.stderr}` : ''}`)));
  }

  private fail(err: Error): void {
    this.exited ??= err;
    const w = this.waiting;
    this.waiting = null;
    w?.reject(new Error(`the worker for ${w.what} ${err.message}`));
  }

  measure(spec: MeasureSpec): Promise<WorkerReply> {
    const what = `${spec.configuration}/${spec.workload}`;
    if (this.exited) return Promise.reject(new Error(`the worker for ${what} ${this.exited.message}`));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject, what };
      this.child.send(spec);
    });
  }

  /** Lets the process end (it exits once its channel closes). */
  close(): void {
    if (this.child.connected) this.child.disconnect();
  }
}

export async function runPool(specs: MeasureSpec[], jobs: number, events: PoolEvents, signal: AbortSignal, o: PoolOptions = {}): Promise<Measurement[]> {
  const entry = o.worker ?? SOURCE_WORKER;
  const order = o.order ?? specs.map((_, i) => i);
  if (order.length !== specs.length || new Set(order).size !== specs.length || order.some((i) => !(i >= 0 && i < specs.length))) {
    throw new Error('runPool: order must list every spec once');
  }
  const out: Measurement[] = new Array(specs.length);
  const left = [...order];
  /** The first run left in order of `family`, else the first run left. */
  const take = (family: string | null): number => {
    const k = family === null || !o.family ? -1 : left.findIndex((i) => o.family!(i) === family);
    return left.splice(k < 0 ? 0 : k, 1)[0]!;
  };
  let failed: Error | undefined;
  const lane = async (): Promise<void> => {
    let worker: Worker | null = null;
    let last: string | null = null;
    try {
      while (left.length > 0 && !failed && !signal.aborted) {
        const i = take(o.isolate ? null : last);
        last = o.family?.(i) ?? null;
        events.started(i);
        try {
          worker ??= new Worker(entry, signal);
          const reply = await worker.measure(specs[i]!);
          if (!reply.ok) throw new Error(reply.error);
          out[i] = reply.measurement!;
          events.finished(i, { seconds: reply.seconds!, cpuSeconds: reply.cpuSeconds! }, reply.measurement!);
        } catch (err) {
          failed ??= err as Error;
        }
        if (o.isolate) {
          worker?.close();
          worker = null;
        }
      }
    } finally {
      worker?.close();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, specs.length)) }, lane));
  if (failed) throw failed;
  if (signal.aborted) throw new Error('interrupted');
  return out;
}
