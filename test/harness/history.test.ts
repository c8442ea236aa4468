// world history add: one file per commit, named by the commit's UTC time and hash, holding the
// results without host and with the commit's time and subject. The commits are made here in a
// scratch git repository with fixed dates, so the expected names are written from those dates.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { readHistory } from '../../harness/history.ts';
import { figures, ok, results, save, standard, tempDir, worldBin } from './synthetic.ts';

async function repo(): Promise<{ dir: string; commit: (date: string, subject: string) => Promise<string> }> {
  const dir = tempDir();
  await execa('git', ['init', '-q'], { cwd: dir });
  let n = 0;
  return {
    dir,
    commit: async (date, subject) => {
      n += 1;
      writeFileSync(join(dir, 'f.txt'), String(n));
      const env = { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
      await execa('git', ['add', 'f.txt'], { cwd: dir });
      await execa('git', ['commit', '-q', '-m', subject], { cwd: dir, env });
      return (await execa('git', ['rev-parse', 'HEAD'], { cwd: dir })).stdout.trim();
    },
  };
}

function measured(commit: string, mbs = 54.15, extra: Record<string, unknown> = {}): ReturnType<typeof standard> {
  const r = standard(mbs);
  r.provenance = { git_commit: commit, git_dirty: false, ...extra };
  return r;
}

const add = (cwd: string, ...args: string[]) => execa('node', [worldBin, 'history', 'add', ...args], { cwd, reject: false });

test('the entry is named by the commit time in UTC and the hash; it holds the results without host, with the commit', async () => {
  const g = await repo();
  const c = await g.commit('2026-03-04T05:06:07+02:00', 'first change');
  save(g.dir, 'r.json', measured(c));
  const r = await add(g.dir, 'hist', 'r.json');
  assert.is(r.exitCode, 0, r.stderr);
  const name = `20260304T030607Z-${c.slice(0, 12)}.json`;
  assert.equal(readdirSync(join(g.dir, 'hist')), [name]);
  const entry = JSON.parse(readFileSync(join(g.dir, 'hist', name), 'utf8'));
  const original = JSON.parse(readFileSync(join(g.dir, 'r.json'), 'utf8'));
  assert.equal(entry.host, {});
  assert.equal(entry.history, { commit: c, time: '2026-03-04T03:06:07.000Z', subject: 'first change' });
  delete entry.host; delete entry.history; delete original.host;
  assert.equal(entry, original);
});

test('adding the same commit again, from another host, changes nothing; other figures are refused unless --replace', async () => {
  const g = await repo();
  const c = await g.commit('2026-03-04T05:06:07Z', 'a change');
  save(g.dir, 'a.json', measured(c));
  assert.is((await add(g.dir, 'hist', 'a.json')).exitCode, 0);
  const file = join(g.dir, 'hist', readdirSync(join(g.dir, 'hist'))[0]!);
  const bytes = readFileSync(file, 'utf8');
  const again = measured(c);
  again.host = { hostname: 'elsewhere', seconds: 99 };
  save(g.dir, 'b.json', again);
  const r = await add(g.dir, 'hist', 'b.json');
  assert.is(r.exitCode, 0);
  assert.match(r.stdout, /^unchanged /);
  assert.is(readFileSync(file, 'utf8'), bytes);
  save(g.dir, 'c.json', measured(c, 60));
  const refused = await add(g.dir, 'hist', 'c.json');
  assert.is(refused.exitCode, 2);
  assert.match(refused.stderr, /already has an entry with other figures/);
  assert.is(readFileSync(file, 'utf8'), bytes);
  const replaced = await add(g.dir, '--replace', 'hist', 'c.json');
  assert.is(replaced.exitCode, 0);
  assert.match(replaced.stdout, /^replaced /);
  assert.is(JSON.parse(readFileSync(file, 'utf8')).runs[0].figures.throughput_mib_s, 60);
});

test('refused: a tree that differed from its commit, a shard, an unknown commit', async () => {
  const g = await repo();
  const c = await g.commit('2026-03-04T05:06:07Z', 'a change');
  save(g.dir, 'dirty.json', measured(c, 54.15, { git_dirty: true }));
  const shard = measured(c);
  shard.shard = { index: 1, count: 2 };
  save(g.dir, 'shard.json', shard);
  save(g.dir, 'unknown.json', measured('0123456789abcdef0123456789abcdef01234567'));
  for (const [file, why] of [['dirty.json', /differed from commit/], ['shard.json', /merge the shards first/], ['unknown.json', /is not in the git repository/]] as const) {
    const r = await add(g.dir, 'hist', file);
    assert.is(r.exitCode, 2, file);
    assert.match(r.stderr, why);
  }
  assert.equal(readdirSync(g.dir).includes('hist'), false);
});

test('the history reads in commit order, whatever the hashes; a file not named as an entry is an error', async () => {
  const g = await repo();
  const dates = ['2026-01-02T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-03T00:00:00Z'];
  const commits: string[] = [];
  // Committed out of date order, so commit order and time order differ.
  for (const [i, d] of dates.entries()) commits.push(await g.commit(d, `change ${i}`));
  for (const [i, c] of commits.entries()) save(g.dir, `${i}.json`, measured(c, 50 + i));
  assert.is((await add(g.dir, 'hist', '0.json', '1.json', '2.json')).exitCode, 0);
  const h = readHistory(join(g.dir, 'hist'));
  assert.equal(h.map((e) => e.commit.subject), ['change 1', 'change 0', 'change 2']);
  assert.equal(h.map((e) => e.results.runs[0]!.figures!.throughput_mib_s), [51, 50, 52]);
  save(join(g.dir, 'hist'), 'stray.json', results([ok('hardware', 'netperf-send', figures({ mbs: 1, cpu: 1 }))]));
  assert.throws(() => readHistory(join(g.dir, 'hist')), /not a history file name/);
});

test('world bench --history with --shard is a usage error (a history entry holds a whole run)', async () => {
  const r = await execa('node', [worldBin, 'bench', '--shard', '1/2', '--history', 'hist'], { reject: false });
  assert.is(r.exitCode, 2);
  assert.match(r.stderr, /--history with --shard/);
});

test.run();
