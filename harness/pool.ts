// Runs measurements in worker processes, at most `jobs` at once, one fresh process per run (an
// emulator is CPU-bound and keeps state; a new process per run is the simplest isolation).
// Results come back in the order of the specs, whatever order the workers finish in.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Measurement, MeasureSpec } from './measure.ts';
import { emulatorEnv } from './host-env.ts';

/** The worker's source; under tsx a worker runs it with `--import tsx`. */
export const WORKER_SOURCE = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** The module a worker process runs and the node options it needs. */
export interface WorkerEntry { file: string; execArgv: string[] }

/** The source under tsx: what tests and scripts run. The CLI passes the compiled worker when it runs compiled code (no tsx start per run). */
export const SOURCE_WORKER: WorkerEntry = { file: WORKER_SOURCE, execArgv: ['--import', 'tsx'] };

export interface PoolEvents {
  started(i: number): void;
  finished(i: number, seconds: number, m: Measurement): void;
}

interface Reply { ok: boolean; measurement?: Measurement; seconds?: number; error?: string }

function runInWorker(spec: MeasureSpec, worker: WorkerEntry, signal: AbortSignal): Promise<{ measurement: Measurement; seconds: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(worker.file, [], { execArgv: worker.execArgv, env: emulatorEnv(), stdio: ['ignore', 'ignore', 'pipe', 'ipc'], signal });
    let stderr = '';
    let reply: Reply | undefined;
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    child.on('message', (m: Reply) => { reply = m; });
    child.on('error', (err) => { if (err.name !== 'AbortError') reject(err); });
    child.on('exit', (code, sig) => {
      if (reply?.ok) resolve({ measurement: reply.measurement!, seconds: reply.seconds! });
      else if (reply) reject(new Error(reply.error));
      else reject(new Error(`the worker for ${spec.configuration}/${spec.workload} exited (${sig ?? code}) without a result${stderr ? `:\n${stderr}` : ''}`));
    });
    child.send(spec);
  });
}

export async function runPool(specs: MeasureSpec[], jobs: number, events: PoolEvents, signal: AbortSignal, worker: WorkerEntry = SOURCE_WORKER): Promise<Measurement[]> {
  const out: Measurement[] = new Array(specs.length);
  let next = 0;
  let failed: Error | undefined;
  const lane = async (): Promise<void> => {
    while (next < specs.length && !failed && !signal.aborted) {
      const i = next++;
      events.started(i);
      try {
        const { measurement, seconds } = await runInWorker(specs[i]!, worker, signal);
        out[i] = measurement;
        events.finished(i, seconds, measurement);
      } catch (err) {
        failed ??= err as Error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, specs.length)) }, lane));
  if (failed) throw failed;
  if (signal.aborted) throw new Error('interrupted');
  return out;
}
