// The bench's dispatch order (harness/schedule.ts): longest recorded run first, runs without a
// record before all recorded ones, ties in matrix order; a results file without per-run times
// (or not JSON at all) gives no hint rather than an error.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { longestFirst, recordedSeconds } from '../../harness/schedule.ts';
import { runPool } from '../../harness/pool.ts';
import type { MeasureSpec } from '../../harness/measure.ts';

test('longest recorded first, unknown first of all, ties in matrix order', () => {
  const ids = ['a/send', 'b/send', 'c/send', 'd/send', 'e/send'];
  const order = longestFirst(ids, { 'a/send': 2, 'b/send': 11, 'c/send': 2, 'e/send': 5 });
  assert.equal(order.map((i) => ids[i]), ['d/send', 'b/send', 'e/send', 'a/send', 'c/send']);
  assert.equal(longestFirst(ids, {}), [0, 1, 2, 3, 4], 'no record: the matrix order');
  assert.equal([...longestFirst(ids, { 'c/send': 1 })].sort(), [0, 1, 2, 3, 4], 'every run handed out once');
});

test('recorded seconds come from host.run_seconds; anything else is no hint', () => {
  assert.equal(recordedSeconds(JSON.stringify({ host: { run_seconds: { 'a/send': 2.5, 'b/send': 'x' } } })), { 'a/send': 2.5 });
  assert.equal(recordedSeconds(undefined), {});
  assert.equal(recordedSeconds('{"host": null}'), {});
  assert.equal(recordedSeconds('not json'), {});
  assert.equal(recordedSeconds('{"host": {"run_seconds": [1, 2]}}'), {});
});

test('the pool hands runs out in the given order and returns them in spec order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pool-order-'));
  try {
    // A stand-in worker: answers each spec with its configuration as the measurement.
    const file = join(dir, 'echo-worker.mjs');
    writeFileSync(file, "process.on('message', (s) => process.send({ ok: true, measurement: { echo: s.configuration }, seconds: 0 }, () => process.exit(0)));\n");
    const specs = ['x', 'y', 'z'].map((c) => ({ configuration: c, workload: 'w' }) as unknown as MeasureSpec);
    const started: number[] = [];
    const out = await runPool(specs, 1, { started: (i) => started.push(i), finished: () => {} }, new AbortController().signal, { file, execArgv: [] }, [2, 0, 1]);
    assert.equal(started, [2, 0, 1]);
    assert.equal(out.map((m) => (m as unknown as { echo: string }).echo), ['x', 'y', 'z']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
