// The real `world` command as a child process: interrupted builds (SIGINT, SIGKILL) resume
// correctly and never trust a half-written output; a second build in the same tree waits for the
// lock or, with --no-wait, refuses; --json prints one event per line; failures exit non-zero.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyFixture, world } from './helpers.ts';
import { Session } from '../../src/session.ts';

async function waitFor(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True once the step has printed the line (not merely logged the command that will print it). */
const hasLine = (path: string, line: string) => (): boolean => existsSync(path) && readFileSync(path, 'utf8').split('\n').includes(line);

/** Kills the step's shell left behind when `world` itself was SIGKILLed (it runs in its own group). */
function killOrphans(journal: string): void {
  if (!existsSync(journal)) return;
  for (const line of readFileSync(journal, 'utf8').split('\n')) {
    const pid = Number(line.split(' ')[2]);
    if (pid > 0) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }
  }
}

for (const signal of ['SIGINT', 'SIGKILL'] as const) {
  test(`a build killed with ${signal} mid-step leaves nothing trusted, and the next build resumes`, async () => {
    const fx = copyFixture('basic');
    const journal = join(fx.dir, 'journal');
    const log = join(fx.dir, '.world/logs/slow@one/build.log');
    try {
      // gen builds first (one job, graph order), then slow@one sleeps.
      const child = world(['build', '-j', '1', 'gen', 'slow@one'], fx.dir, { WORLD_TEST_SLEEP: '30', WORLD_TEST_JOURNAL: journal });
      await waitFor('the slow step to start', hasLine(log, 'sleeping'));
      child.kill(signal);
      const r = await child;
      if (signal === 'SIGINT') {
        assert.is(r.exitCode, 130, r.all);
        assert.match(r.all, 'SIGINT: stopping');
        assert.equal(readdirSync(join(fx.dir, '.world/tmp')), []); // its output was removed
      } else {
        assert.is(r.signal, 'SIGKILL');
        killOrphans(journal);
        // The half-written output is still in tmp/, where nothing is ever read from.
        const left = readdirSync(join(fx.dir, '.world/tmp'));
        assert.is(left.length, 1);
        assert.ok(existsSync(join(fx.dir, '.world/tmp', left[0]!, 'out/part1')));
      }
      assert.not.ok(existsSync(join(fx.dir, '.world/out/slow@one')));

      const s = await Session.open(join(fx.dir, 'world.yaml'));
      assert.equal(s.plan(s.select(['gen', 'slow@one'])).map((p) => `${p.status} ${p.id} ${p.reasons.join('; ')}`),
        ['cached gen:build ', 'run slow@one:build never built here']);

      const again = await world(['build', 'gen', 'slow@one'], fx.dir, { WORLD_TEST_SLEEP: '0' });
      assert.is(again.exitCode, 0, again.all);
      assert.match(again.stdout, 'world: 1 step run, 1 cache hit, 0 failed');
      assert.is(readFileSync(join(fx.dir, '.world/out/slow@one/part2'), 'utf8'), 'second\n');
      assert.equal(readdirSync(join(fx.dir, '.world/tmp')), []);
      assert.not.ok(existsSync(join(fx.dir, '.world/build.lock')));
    } finally {
      killOrphans(journal);
      fx.cleanup();
    }
  });
}

test('a second build in the same tree waits for the first; with --no-wait it refuses', async () => {
  const fx = copyFixture('basic');
  const log = join(fx.dir, '.world/logs/slow@one/build.log');
  try {
    // The first build holds the lock until the test has seen the others react, then is interrupted.
    const first = world(['build', 'slow@one'], fx.dir, { WORLD_TEST_SLEEP: '30' });
    await waitFor('the first build to start its step', hasLine(log, 'sleeping'));
    const refuser = await world(['build', '--no-wait', 'gen'], fx.dir);
    assert.is(refuser.exitCode, 1);
    assert.match(refuser.stderr, `another world build (pid ${first.pid}) is running in this tree; not starting`);
    const waiter = world(['build', 'gen'], fx.dir);
    let said = '';
    waiter.stderr.on('data', (d: Buffer) => { said += d.toString(); });
    await waitFor('the second build to say it waits', () => said.includes(`waiting for another world build (pid ${first.pid}) to finish`));
    assert.not.ok(existsSync(join(fx.dir, '.world/logs/gen/build.log'))); // it has not started anything
    first.kill('SIGINT');
    assert.is((await first).exitCode, 130);
    const w = await waiter;
    assert.is(w.exitCode, 0, w.all);
    assert.match(w.stdout, 'world: 1 step run, 0 cache hits, 0 failed');
  } finally {
    fx.cleanup();
  }
});

test('--json prints one event object per line, ending with the summary; a failure exits 1', async () => {
  const fx = copyFixture('basic');
  try {
    writeFileSync(join(fx.dir, 'failing.lock'), '{ "version": 1, "packages": {} }\n');
    const r = await world(['build', '--json', '-f', 'failing.yaml', 'fails', 'gen', '-k'], fx.dir);
    assert.is(r.exitCode, 1);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; step?: string; tail?: string[]; log?: string });
    assert.is(events[0]!.event, 'note');
    assert.match((events[0] as { text?: string }).text!, "failing.lock is stale (after is not in the lock; fails is not in the lock; gen is not in the lock); run 'world lock' to update it");
    assert.is(events[1]!.event, 'begin');
    assert.equal(events.at(-1), { ...events.at(-1)!, event: 'summary', run: 1, cached: 0, failed: 1 });
    const failed = events.find((e) => e.event === 'failed')!;
    assert.is(failed.step, 'fails:build');
    assert.is(failed.log, '.world/logs/fails/build.log');
    assert.ok(failed.tail!.includes('fatal: the widget is broken'));
  } finally {
    fx.cleanup();
  }
});

test('plain output names the failed step, its log tail and log path', async () => {
  const fx = copyFixture('basic');
  try {
    const r = await world(['build', '-f', 'failing.yaml', 'fails'], fx.dir, { NO_COLOR: '1' });
    assert.is(r.exitCode, 1);
    assert.match(r.stderr, 'FAILED fails:build: sh failed: exit status 3\n  | world: step fails:build');
    assert.match(r.stderr, '  | fatal: the widget is broken');
    assert.match(r.stderr, '  log: .world/logs/fails/build.log');
    assert.not.match(r.all, '\u001b['); // no colour codes
    const bad = await world(['build', '-f', 'cycle.yaml'], fx.dir);
    assert.is(bad.exitCode, 2);
    assert.match(bad.stderr, 'dependency cycle: gen -> use -> slow -> gen');
  } finally {
    fx.cleanup();
  }
});

test('every command explains its options with --help', async () => {
  const { commands } = await import('../../src/commands/index.ts');
  for (const c of commands) {
    const cmd = await c.load();
    assert.is(cmd.summary, c.summary, `${c.name}: summary in index.ts and in the module differ`);
    assert.match(cmd.usage, `usage: world ${c.name}`);
  }
  const r = await world(['build', '--help'], '.');
  assert.match(r.stdout, '--keep-going');
  assert.match(r.stdout, '--offline');
});

test.run();
