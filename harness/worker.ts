// A worker process of `world bench -j N`: receives MeasureSpecs over IPC, one at a time, runs
// each and sends back { ok, measurement, seconds, cpuSeconds } or { ok: false, error }; it exits
// when the bench closes the channel. One emulator at a time per process lets N of them use N
// cores; each run builds everything it uses from its spec (harness/pool.ts says why a process
// may run several).
import { measure, type MeasureSpec } from './measure.ts';
import type { WorkerReply } from './pool.ts';
import { useEmulatorV8Flags } from './host-env.ts';

// pool.ts forks this process in emulatorEnv already (a re-run would lose the IPC channel).
useEmulatorV8Flags();

process.on('message', (spec: MeasureSpec) => {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let reply: WorkerReply;
  try {
    const measurement = measure(spec);
    const c = process.cpuUsage(c0);
    reply = { ok: true, measurement, seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6 };
  } catch (err) {
    reply = { ok: false, error: (err as Error).stack ?? String(err) };
  }
  process.send!(reply);
});
