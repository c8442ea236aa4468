// world compare: every changed figure with old, new and change; non-zero exit past the
// threshold, naming the figure; host sections never read; bad inputs named.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { compareResults } from '../../harness/compare.ts';
import { notRun, ok, figures, results, save, standard, tempDir, worldBin } from './synthetic.ts';

const world = (args: string[]) => execa('node', [worldBin, 'compare', ...args], { reject: false });

test('identical figures: no change, whatever the host sections say', () => {
  const a = standard();
  const b = { ...standard(), host: { hostname: 'elsewhere', seconds: 99 } };
  assert.equal(compareResults(a, b, 0), []);
});

test('a changed number is listed with its percentage and fails past the threshold only', () => {
  const a = standard(100);
  const b = standard(104);
  const changes = compareResults(a, b, 0);
  assert.is(changes.length, 1);
  assert.is(changes[0]!.figure, 'hardware/netperf-send.throughput_mib_s');
  assert.is(changes[0]!.old, 100);
  assert.is(changes[0]!.new, 104);
  assert.ok(Math.abs(changes[0]!.percent! - 4) < 1e-9);
  assert.ok(changes[0]!.past);
  assert.not.ok(compareResults(a, b, 5)[0]!.past);
  assert.ok(compareResults(a, standard(94), 5)[0]!.past, 'a 6% drop is past 5%');
});

test('the threshold is exclusive: a change of exactly PCT passes, the smallest step beyond it fails', () => {
  // 4 -> 5 is +25% exactly in binary floating point (1/4), so the boundary is tested without rounding.
  const at = (base: number, next: number, pct: number): boolean => {
    const c = compareResults(standard(base), standard(next), pct);
    assert.is(c.length, 1);
    return c[0]!.past;
  };
  assert.not.ok(at(4, 5, 25), 'a move of exactly the threshold is within it ("more than PCT percent")');
  assert.not.ok(at(4, 3, 25), 'a drop of exactly the threshold is within it');
  assert.ok(at(4, 5, 24.999), 'just past the threshold fails');
  assert.ok(at(4, 3, 24.999), 'a drop just past the threshold fails');
  assert.ok(at(4, 5, 0), 'at the default threshold 0 any move fails');
});

test('a figure moving from 0 fails the gate at any threshold (its percent is infinite)', () => {
  const a = standard();
  const b = standard();
  const send = (r: typeof b) => (r.runs[0] as { figures: { retransmissions: { guest: number; peer: number } } }).figures;
  send(b).retransmissions.guest = 5;
  for (const pct of [0, 50, 1e9]) {
    const changes = compareResults(a, b, pct);
    assert.equal(changes.map((c) => [c.figure, c.old, c.new, c.past]),
      [['hardware/netperf-send.retransmissions.guest', 0, 5, true]], `threshold ${pct}`);
    assert.is(changes[0]!.percent, Infinity);
  }
  // And back to 0: -100%, within a threshold of 100, past anything lower.
  assert.not.ok(compareResults(b, a, 100)[0]!.past);
  assert.ok(compareResults(b, a, 99)[0]!.past);
});

test('a run that stops running fails the gate; a run that starts running is listed only', () => {
  const a = standard();
  const lost = results([notRun('hardware', 'netperf-send', 'broken'), ...a.runs.slice(1)]);
  const c1 = compareResults(a, lost, 50);
  assert.ok(c1.some((c) => c.figure === 'hardware/netperf-send.status' && c.past && c.old === 'ok' && c.new === 'not run'));
  assert.ok(c1.some((c) => c.figure === 'hardware/netperf-send.throughput_mib_s' && c.new === undefined && c.past));
  const gained = results([...a.runs.slice(0, 4), ok('xenolinux', 'netperf-send', figures({ mbs: 1, cpu: 2 })), a.runs[5]!]);
  const c2 = compareResults(a, gained, 0);
  assert.ok(c2.some((c) => c.figure === 'xenolinux/netperf-send.status' && c.past));
  assert.ok(c2.filter((c) => c.figure.startsWith('xenolinux/netperf-send.') && c.figure !== 'xenolinux/netperf-send.status').every((c) => !c.past && c.old === undefined));
});

test('world compare exits 0 on identical files, 1 naming the figure past the threshold', async () => {
  const dir = tempDir();
  const a = save(dir, 'a.json', standard(100));
  const same = save(dir, 'same.json', { ...standard(100), host: { hostname: 'x' } });
  const b = save(dir, 'b.json', standard(90));
  const r0 = await world([a, same]);
  assert.is(r0.exitCode, 0, r0.stdout + r0.stderr);
  assert.match(r0.stdout, '0 figure(s) changed');
  const r1 = await world(['--threshold', '5', a, b]);
  assert.is(r1.exitCode, 1);
  assert.match(r1.stdout, 'FAIL hardware/netperf-send.throughput_mib_s: 100 -> 90 (-10.00%)');
  const r2 = await world(['--threshold', '20', a, b]);
  assert.is(r2.exitCode, 0, r2.stdout);
});

test('world compare fails on a figure leaving 0 and prints it as "from 0"; exactly the threshold passes', async () => {
  const dir = tempDir();
  const a = save(dir, 'a.json', standard(4));
  const edge = save(dir, 'edge.json', standard(5));
  const r = standard(4);
  (r.runs[1] as { figures: { retransmissions: { guest: number; peer: number } } }).figures.retransmissions.peer = 5;
  const retrans = save(dir, 'retrans.json', r);
  const r0 = await world(['--threshold', '1000', a, retrans]);
  assert.is(r0.exitCode, 1, r0.stdout + r0.stderr);
  assert.match(r0.stdout, 'FAIL hardware/netperf-receive.retransmissions.peer: 0 -> 5 (from 0)');
  const r1 = await world(['--threshold', '25', a, edge]);
  assert.is(r1.exitCode, 0, r1.stdout + r1.stderr);
  assert.match(r1.stdout, '1 figure(s) changed, 0 past the 25% threshold');
});

test('bad input: missing file, wrong schema version, bad threshold', async () => {
  const dir = tempDir();
  const a = save(dir, 'a.json', standard());
  const v9 = save(dir, 'v9.json', { ...standard(), version: 9 });
  const missing = await world([a, `${dir}/missing.json`]);
  assert.is(missing.exitCode, 2);
  assert.match(missing.stderr, 'missing.json: no such results file');
  const version = await world([a, v9]);
  assert.is(version.exitCode, 2);
  assert.match(version.stderr, 'v9.json: version: results schema version 9; this world reads versions 1, 2');
  const thr = await world(['--threshold', 'lots', a, a]);
  assert.is(thr.exitCode, 2);
  assert.match(thr.stderr, "--threshold 'lots'");
});

test.run();
