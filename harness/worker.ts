// A worker process of `world bench -j N`: receives one MeasureSpec over IPC, runs it, sends back
// { ok, measurement } or { ok: false, error }, and exits. One emulator per process keeps runs
// independent and lets N of them use N cores.
import { measure, type MeasureSpec } from './measure.ts';

process.once('message', (spec: MeasureSpec) => {
  const t0 = performance.now();
  let reply: unknown;
  try {
    reply = { ok: true, measurement: measure(spec), seconds: (performance.now() - t0) / 1000 };
  } catch (err) {
    reply = { ok: false, error: (err as Error).stack ?? String(err) };
  }
  process.send!(reply, () => process.disconnect());
});
