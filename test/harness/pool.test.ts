// The bench's worker pool: a worker process that runs several measurements in turn gives each
// the same figures as a fresh process running it alone (the oracle: `isolate`, one process per
// run, as the bench ran before workers were reused), on guests and back-ends that differ (our
// kernel on hardware, the l4-pv kernel on the L4 model, the afterburnt kernel with the Xen
// wedge), in either order; a free worker takes the next run of the guest it ran last; results
// come back in spec order whatever the start order; and the longest-first order the bench starts
// runs in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { loadWorld } from '../../src/manifest/load.ts';
import { runBuild } from '../../src/commands/common.ts';
import { configurationImages } from '../../src/outputs.ts';
import { runPool } from '../../harness/pool.ts';
import type { Measurement, MeasureSpec } from '../../harness/measure.ts';
import { costEstimates, longestFirst } from '../../harness/schedule.ts';
import type { Results } from '../../harness/results.ts';

const worldFile = fileURLToPath(new URL('../../world.yaml', import.meta.url));

test('a reused worker gives every run the figures a fresh process gives it, in any order', async () => {
  const world = await loadWorld(worldFile);
  const configs = ['hardware', 'l4ka-linux', 'afterburnt-xen'].map((n) => world.bench!.configurations.find((c) => c.name === n)!);
  const units = [...new Set(configs.flatMap((c) => [c.guest, ...(c.wedge ? [c.wedge] : [])]))];
  assert.is(await runBuild({ file: worldFile, targets: units, jobs: 2, keepGoing: false, offline: false, wait: true, progress: 'plain' }), 0);
  const spec = (name: string, direction: 'send' | 'receive'): MeasureSpec => {
    const c = configs.find((x) => x.name === name)!;
    const { guest, wedge } = configurationImages(world, c);
    return {
      configuration: c.name, workload: direction, backend: c.backend, guest, ...(wedge ? { wedge } : {}),
      direction, transferBytes: 64 << 10, messageBytes: 32 << 10, profile: world.bench!.profile,
      ...(name === 'hardware' ? { referenceBytes: 32 << 10 } : {}),
    };
  };
  const specs = [spec('hardware', 'receive'), spec('l4ka-linux', 'send'), spec('afterburnt-xen', 'receive'), spec('hardware', 'receive')];
  const signal = new AbortController().signal;
  const none = { started: () => {}, finished: () => {} };
  const finishedOrder: number[] = [];
  // One worker runs all four, in the order 3, 2, 1, 0 except that after a run it takes the next
  // run of the same guest image first: 3, then 0 (our native kernel both), then 2, 1.
  const reused = await runPool(specs, 1, { started: () => {}, finished: (i) => finishedOrder.push(i) }, signal, { order: [3, 2, 1, 0], family: (i) => specs[i]!.guest });
  // Each in its own process.
  const fresh = await runPool(specs, 2, none, signal, { isolate: true });
  assert.equal(finishedOrder, [3, 0, 2, 1]);
  const text = (m: Measurement[]): string[] => m.map((x) => JSON.stringify(x));
  for (const m of fresh) assert.is(m.failure, null);
  assert.ok(fresh[0]!.figures.expansion, 'the reference transfer ran');
  assert.equal(text(reused), text(fresh));
  // The same spec run first and last in the reused worker, after other guests and back-ends.
  assert.is(JSON.stringify(reused[0]), JSON.stringify(reused[3]));
});

test('runs start longest first by the instructions of an earlier results file; unknown runs first; ties in matrix order', () => {
  const run = (configuration: string, workload: string, instructions: number, reference?: number) => ({
    configuration, workload, status: 'ok' as const,
    figures: { run: { instructions }, ...(reference !== undefined ? { expansion: { instructions: instructions - reference } } : {}) },
  });
  const results = { runs: [
    run('a', 'send', 10), run('a', 'receive', 12, 7), run('linux', 'send', 60), run('b', 'send', 10),
    { configuration: 'c', workload: 'send', status: 'not run' as const, reason: 'no wedge' },
  ] } as unknown as Results;
  const est = costEstimates(results);
  // The expansion run's reference transfer (12 - (12 - 7) = 7 instructions) is part of its cost.
  assert.equal([...est.entries()], [['a/send', 10], ['a/receive', 19], ['linux/send', 60], ['b/send', 10]]);
  const keys = ['a/send', 'a/receive', 'linux/send', 'b/send', 'new/send'];
  assert.equal(longestFirst(keys, est), [4, 2, 1, 0, 3]);
  assert.equal(longestFirst(keys, new Map()), [0, 1, 2, 3, 4]);
});

test.run();
