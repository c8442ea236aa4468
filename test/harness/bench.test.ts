// The bench: section of world.yaml and world bench's checks of its input: errors name the file,
// line, column and key path; an unknown configuration is refused with a suggestion; runs whose
// back-end or guest is missing are planned as "not run" with the reason. No emulator runs here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { loadWorld } from '../../src/manifest/load.ts';
import { ManifestError } from '../../src/manifest/errors.ts';
import { planMatrix } from '../../harness/matrix.ts';
import { configurationProblem } from '../../src/runnable.ts';
import { tempDir, worldBin } from './synthetic.ts';

const fixture = new URL('../orchestrator/fixtures/basic/', import.meta.url).pathname;

function world(bench: string): { dir: string; file: string } {
  const dir = tempDir();
  cpSync(fixture, dir, { recursive: true });
  const file = join(dir, 'world.yaml');
  writeFileSync(file, `version: 1\npackages:\n  gen:\n    source: { path: src/gen }\n  slow: {}\n${bench}`);
  return { dir, file };
}

const GOOD = `bench:
  transfer: 256KiB
  configurations:
    hw:   { guest: gen@default, backend: hardware }
    xen:  { title: On Xen, guest: gen@default, backend: xen }
    ab:   { guest: gen@afterburnt, backend: hardware }
    l4:   { guest: gen@default, backend: l4, wedge: wedge@l4 }
  workloads:
    send: { kind: netperf, direction: send }
    recv: { kind: netperf, direction: receive }
`;

test('a bench section loads with defaults; the matrix says why each run cannot run', async () => {
  const { file } = world(GOOD);
  const w = await loadWorld(file);
  const b = w.bench!;
  assert.is(b.transferBytes, 256 * 1024);
  assert.is(b.messageBytes, 32 * 1024);
  assert.is(b.profile, 'p4-2.8ghz');
  assert.equal(b.expansion, { configurations: ['hw'], workload: 'send' });
  assert.equal(b.configurations.map((c) => c.title), ['hw', 'On Xen', 'ab', 'l4']);
  const runs = planMatrix(b, (c) => configurationProblem(w, c));
  assert.equal(runs.map((r) => `${r.configuration.name}/${r.workload.name}`), ['hw/send', 'hw/recv', 'xen/send', 'xen/recv', 'ab/send', 'ab/recv', 'l4/send', 'l4/recv']);
  assert.is(runs[0]!.notRun, null);
  assert.is(runs[2]!.notRun, null, 'xen runs netperf (the NIC assigned to the domain)');
  assert.match(runs[4]!.notRun!, /guest gen@afterburnt: recipe 'gen' has no variant 'afterburnt'/);
  assert.not.match(runs[6]!.notRun!, /back-end/, 'l4 runs netperf (the NIC through σ0 and interrupt IPC)');
  assert.match(runs[6]!.notRun!, /^wedge wedge@l4: world.yaml declares no package 'wedge'$/);
});

test('bench.expansion names one configuration or several, each a column of the expansion table', async () => {
  const one = (await loadWorld(world(GOOD + '  expansion: { configuration: xen, workload: recv }\n').file)).bench!;
  assert.equal(one.expansion, { configurations: ['xen'], workload: 'recv' });
  const two = (await loadWorld(world(GOOD + '  expansion: { configurations: [hw, ab], workload: recv }\n').file)).bench!;
  assert.equal(two.expansion, { configurations: ['hw', 'ab'], workload: 'recv' });
});

async function issues(bench: string): Promise<string> {
  const { file } = world(bench);
  try {
    await loadWorld(file);
  } catch (err) {
    if (err instanceof ManifestError) return err.message;
    throw err;
  }
  return '';
}

test('bad bench sections are named by position and key path', async () => {
  const bad = await issues(GOOD.replace('backend: hardware }', 'backend: hardwar }').replace('transfer: 256KiB', 'transfer: lots'));
  assert.match(bad, /world.yaml:7:\d+: bench.transfer: expected a size such as 4MiB/);
  assert.match(bad, /bench\.configurations\.hw\.backend: expected one of "hardware", "xen", "l4", got string "hardwar"; did you mean 'hardware'\?/);
  const exp = await issues(GOOD + '  expansion: { configuration: hx, workload: send }\n');
  assert.match(exp, /world.yaml:16:\d+: bench.expansion.configuration: no configuration 'hx' in bench.configurations; expected one of: hw, xen, ab, l4/);
  const list = await issues(GOOD + '  expansion: { configurations: [hw, lx], workload: recv }\n');
  assert.match(list, /world.yaml:16:\d+: bench.expansion.configurations\[1\]: no configuration 'lx' in bench.configurations; expected one of: hw, xen, ab, l4/);
  const both = await issues(GOOD + '  expansion: { configuration: hw, configurations: [xen], workload: recv }\n');
  assert.match(both, /bench.expansion.configuration: give configurations or configuration, not both/);
  const twice = await issues(GOOD + '  expansion: { configurations: [hw, hw], workload: recv }\n');
  assert.match(twice, /bench.expansion.configurations: a configuration is named twice/);
  const key = await issues(GOOD + '  transfers: 1MiB\n');
  assert.match(key, /bench.transfers: unknown key 'transfers'.*did you mean 'transfer'\?/);
});

test('world bench refuses an unknown configuration, a bad shard and a world without a matrix; nothing is written', async () => {
  const { dir } = world(GOOD);
  const run = (args: string[]) => execa('node', [worldBin, 'bench', ...args], { cwd: dir, reject: false, env: { CI: 'true' } });
  const unknown = await run(['hx']);
  assert.is(unknown.exitCode, 2);
  assert.match(unknown.stderr, "no configuration 'hx' in world.yaml; expected one of: hw, xen, ab, l4; did you mean 'hw'?");
  const shard = await run(['--shard', '3/2']);
  assert.is(shard.exitCode, 2);
  assert.match(shard.stderr, "--shard '3/2': expected I/N");
  writeFileSync(join(dir, 'plain.yaml'), 'version: 1\npackages:\n  gen:\n    source: { path: src/gen }\n');
  const none = await run(['-f', 'plain.yaml']);
  assert.is(none.exitCode, 2);
  assert.match(none.stderr, 'plain.yaml has no bench: section');
  const matrix = await run(['--matrix-json', '--shards', '2']);
  assert.is(matrix.exitCode, 0, matrix.stderr);
  assert.equal(JSON.parse(matrix.stdout), { include: [{ shard: '1/2', runs: 'hw/send xen/send' }, { shard: '2/2', runs: 'hw/recv xen/recv' }] });
  assert.not.ok(existsSync(join(dir, 'results')));
});

test.run();
