// world bench end to end on the real guests (two configurations, the native kernel on hardware
// and the l4-pv kernel on the L4 model, one small transfer each, so it stays short): an
// unsharded run and a run split in two shards happen at once in separate worker processes; the
// merged shards must equal the unsharded file byte for byte (host aside), which is also two
// independent runs giving the same bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { loadWorld } from '../../src/manifest/load.ts';
import { runBuild } from '../../src/commands/common.ts';
import { configurationImages } from '../../src/outputs.ts';
import { runBench } from '../../harness/bench.ts';
import { planMatrix } from '../../harness/matrix.ts';
import { configurationProblem } from '../../src/runnable.ts';
import { provenance } from '../../src/provenance.ts';
import { mergeShards } from '../../harness/merge.ts';
import { formatResults, withoutHost, type Results } from '../../harness/results.ts';

const worldFile = fileURLToPath(new URL('../../world.yaml', import.meta.url));

test('two runs give the same bytes, and merged shards equal the unsharded run', async () => {
  const world = await loadWorld(worldFile);
  const bench = {
    ...world.bench!, transferBytes: 64 << 10,
    configurations: world.bench!.configurations.filter((c) => c.name === 'hardware' || c.name === 'l4ka-linux'),
    workloads: world.bench!.workloads.filter((w) => w.direction === 'send'),
  };
  const runs = planMatrix(bench, (c) => configurationProblem(world, c));
  const build = async (units: string[]): Promise<boolean> =>
    (await runBuild({ file: worldFile, targets: units, jobs: 2, keepGoing: false, offline: false, wait: true, progress: 'plain' })) === 0;
  assert.ok(await build(['guest-kernel@native', 'guest-kernel@l4-pv']));
  const signal = new AbortController().signal;
  const go = (shard: { index: number; count: number } | null) => runBench({ root: world.root, provenance: () => provenance(world.root, world.file, bench.profile), bench, runs, shard, jobs: 1, build, images: (c) => configurationImages(world, c), say: () => {}, signal });
  const [full, s1, s2] = await Promise.all([go(null), go({ index: 1, count: 2 }), go({ index: 2, count: 2 })]);
  if (!full.ok || !s1.ok || !s2.ok) throw new Error([full, s1, s2].map((o) => (o.ok ? 'ok' : o.message)).join(' | '));
  const f = full.results;
  assert.equal(f.runs.map((r) => [r.configuration, r.status]), [['hardware', 'ok'], ['l4ka-linux', 'ok']]);
  const fig = f.runs[0]!.figures!;
  assert.ok(fig.verified);
  assert.is(fig.bytes, 64 << 10);
  assert.ok(fig.throughput_mib_s > 0 && fig.throughput_mib_s < 120, `throughput ${fig.throughput_mib_s} within the wire's bound`);
  assert.ok(fig.cpu_percent > 0 && fig.cpu_percent <= 100);
  assert.ok(fig.run.sensitive.cli![0]! > 0, 'the kernel executed cli in ring 0');
  const l4 = f.runs[1]!.figures!;
  assert.ok(l4.verified);
  assert.ok((l4.run.hypercalls['ipc interrupt'] ?? 0) > 0, 'the NIC interrupts reached the l4-pv kernel as interrupt IPC');
  // Runnable runs are dealt round-robin: one to each shard.
  assert.equal(s1.results.runs.map((r) => r.configuration), ['hardware']);
  assert.equal(s2.results.runs.map((r) => r.configuration), ['l4ka-linux']);
  const merged = mergeShards([{ path: 's2', results: s2.results }, { path: 's1', results: s1.results }]);
  const strip = (r: Results): string => formatResults({ ...withoutHost(r), host: {} } as Results);
  assert.is(strip(merged), strip(f));
});

test.run();
