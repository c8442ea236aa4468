// Sharding: every run lands in exactly one shard, deterministically; merging the shards' files
// gives the unsharded file (host aside); inconsistent shards are refused by name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { actionsMatrix, parseShard, runKey, shardRuns, type PlannedRun } from '../../harness/matrix.ts';
import { mergeShards } from '../../harness/merge.ts';
import { formatResults, withoutHost, type Results } from '../../harness/results.ts';
import type { ConfigurationDecl, WorkloadDecl } from '../../src/manifest/bench.ts';
import { standard } from './synthetic.ts';

function plan(runnable: boolean[]): PlannedRun[] {
  const w: WorkloadDecl = { name: 'w', kind: 'netperf', direction: 'send' };
  return runnable.map((ok, i) => ({ configuration: { name: `c${i}`, title: `c${i}`, guest: 'g@v', backend: 'hardware', wedge: null } as ConfigurationDecl, workload: w, notRun: ok ? null : 'no' }));
}

test('shards partition the matrix: each run once, runnable ones dealt evenly, not-run ones in shard 1', () => {
  const runs = plan([true, false, true, true, false, true, true]);
  for (const n of [1, 2, 3, 5, 9]) {
    const slices = Array.from({ length: n }, (_, i) => shardRuns(runs, { index: i + 1, count: n }).map(runKey));
    assert.equal(slices.flat().sort(), runs.map(runKey).sort(), `N=${n}`);
    const sizes = slices.map((s, i) => s.filter((k) => runs.find((r) => runKey(r) === k)!.notRun === null).length + 0 * i);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `balanced for N=${n}`);
    assert.equal(slices, Array.from({ length: n }, (_, i) => shardRuns(runs, { index: i + 1, count: n }).map(runKey)), 'deterministic');
  }
  assert.ok(shardRuns(runs, { index: 1, count: 3 }).some((r) => r.notRun !== null));
  assert.not.ok(shardRuns(runs, { index: 2, count: 3 }).some((r) => r.notRun !== null));
});

test('--shard and the Actions matrix', () => {
  assert.equal(parseShard('2/3'), { index: 2, count: 3 });
  for (const bad of ['0/3', '4/3', '1/0', '1', 'a/b', '1/2/3']) assert.is(parseShard(bad), undefined, bad);
  const m = actionsMatrix(plan([true, false, true]));
  assert.equal(m.include.map((x) => x.shard), ['1/2', '2/2']);
  assert.equal(m.include.map((x) => x.runs), ['c0/w', 'c2/w']);
  assert.equal(actionsMatrix(plan([true, true, true]), 1).include, [{ shard: '1/1', runs: 'c0/w c1/w c2/w' }]);
});

function shardsOf(full: Results, n: number): Results[] {
  // Split a full file as world bench --shard would: ok runs dealt round robin, not-run runs to shard 1.
  let k = 0;
  const owner = full.runs.map((r) => (r.status === 'ok' ? (k++ % n) + 1 : 1));
  return Array.from({ length: n }, (_, i) => ({
    ...full, shard: { index: i + 1, count: n }, host: { hostname: `h${i}` },
    runs: full.runs.filter((_, j) => owner[j] === i + 1),
  }));
}

test('merged shards equal the unsharded file byte for byte, host aside, in any order', () => {
  const full = standard();
  for (const n of [1, 2, 3]) {
    const shards = shardsOf(full, n).reverse();
    const merged = mergeShards(shards.map((results, i) => ({ path: `s${i}.json`, results })));
    assert.is(formatResults({ ...withoutHost(merged), host: {} } as Results), formatResults({ ...withoutHost(full), host: {} } as Results));
    assert.is(merged.shard, undefined);
  }
});

test('inconsistent shards are refused, naming the file', () => {
  const [a, b] = shardsOf(standard(), 2) as [Results, Results];
  assert.throws(() => mergeShards([{ path: 'a.json', results: a }]), /shard 2\/2 missing/);
  assert.throws(() => mergeShards([{ path: 'a.json', results: a }, { path: 'a2.json', results: a }]), /a2.json: shard 1\/2 is also a.json/);
  const other = { ...b, provenance: { git_commit: 'zzz' } };
  assert.throws(() => mergeShards([{ path: 'a.json', results: a }, { path: 'b.json', results: other }]), /b.json: its provenance differs/);
  const unsharded = { ...standard() };
  assert.throws(() => mergeShards([{ path: 'full.json', results: unsharded }]), /full.json: not a shard's results/);
});

test.run();
