// Building a fixture world in-process: cache misses then hits, `plan` naming the input that
// changed, early cut-off on an unchanged artifact, git-ignored files, failures with their log
// tail, --keep-going, parallel steps that respect dependencies, and cycles reported as a path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Session } from '../../src/session.ts';
import { CycleError } from '../../src/graph.ts';
import { renderGraph } from '../../src/commands/graph.ts';
import { copyFixture, inFixture, RecordingReporter } from './helpers.ts';

async function build(dir: string, opts: { file?: string; jobs?: number; keepGoing?: boolean; targets?: string[] } = {}): Promise<{ r: RecordingReporter; ok: boolean; s: Session }> {
  const s = await Session.open(join(dir, opts.file ?? 'world.yaml'));
  const r = new RecordingReporter();
  const res = await s.build(s.select(opts.targets ?? []), {
    jobs: opts.jobs ?? 2, keepGoing: opts.keepGoing ?? false, offline: true, signal: new AbortController().signal, reporter: r,
  });
  return { r, ok: res.ok, s };
}

async function plan(dir: string): Promise<Map<string, { status: string; reasons: string[] }>> {
  const s = await Session.open(join(dir, 'world.yaml'));
  return new Map(s.plan(s.select([])).map((p) => [p.id, p]));
}

const ALL = ['gen:build', 'slow@one:build', 'slow@two:build', 'use:build', 'use:install'];

test('first build runs every step; the second runs none', async () => {
  await inFixture('basic', async (fx) => {
    const first = await build(fx.dir);
    assert.ok(first.ok);
    assert.equal(first.r.ids('done'), ALL);
    assert.is(first.r.summary!.run, 5);
    assert.is(readFileSync(join(fx.dir, '.world/out/use/result.txt'), 'utf8'), 'HELLO\nALPHA\nBETA\n');
    assert.ok(existsSync(join(fx.dir, '.world/out/slow@one/part2')));
    assert.ok(existsSync(join(fx.dir, '.world/logs/gen/build.log')));
    const second = await build(fx.dir);
    assert.equal(second.r.ids('start'), []);
    assert.equal(second.r.ids('cached'), ALL);
    assert.equal(second.r.summary, { ...second.r.summary!, run: 0, cached: 5, failed: 0 });
    for (const p of (await plan(fx.dir)).values()) assert.is(p.status, 'cached');
  });
});

test('plan names the changed input; a build then runs exactly the affected steps', async () => {
  await inFixture('basic', async (fx) => {
    await build(fx.dir);
    appendFileSync(join(fx.dir, 'src/gen/a.txt'), 'more\n');
    let p = await plan(fx.dir);
    assert.is(p.get('gen:build')!.status, 'run');
    assert.equal(p.get('gen:build')!.reasons, ['source src/gen: a.txt changed']);
    assert.is(p.get('use:build')!.status, 'waits');
    assert.equal(p.get('use:build')!.reasons, ['needs the output of gen:build, which will run']);
    assert.is(p.get('slow@one:build')!.status, 'cached');
    let b = await build(fx.dir);
    assert.equal(b.r.ids('start'), ['gen:build', 'use:build', 'use:install']);

    writeFileSync(join(fx.dir, 'world.yaml'), readFileSync(join(fx.dir, 'world.yaml'), 'utf8').replace('greeting: hello', 'greeting: howdy'));
    p = await plan(fx.dir);
    assert.equal(p.get('gen:build')!.reasons, ['option greeting: "hello" -> "howdy"']);
    b = await build(fx.dir);
    assert.equal(b.r.ids('start'), ['gen:build', 'use:build', 'use:install']);
    assert.is(readFileSync(join(fx.dir, '.world/out/use/result.txt'), 'utf8'), 'HOWDY\nALPHA\nMORE\nBETA\n');

    writeFileSync(join(fx.dir, 'src/gen/c.txt'), 'new file\n');
    p = await plan(fx.dir);
    assert.equal(p.get('gen:build')!.reasons, ['source src/gen: c.txt added']);

    appendFileSync(join(fx.dir, 'recipes/use.ts'), '// a comment\n');
    p = await plan(fx.dir);
    assert.is(p.get('use:build')!.status, 'waits'); // gen still changed (c.txt)
    await build(fx.dir, { targets: ['gen'] });
    p = await plan(fx.dir);
    assert.is(p.get('use:build')!.status, 'run');
    assert.equal(p.get('use:build')!.reasons.length, 1);
    assert.equal(p.get('use:build')!.reasons, ['recipe: recipes/use.ts changed']);

    // A helper module a recipe imports is part of that recipe's source.
    appendFileSync(join(fx.dir, 'recipes/lib/concat.ts'), '// a comment\n');
    p = await plan(fx.dir);
    assert.equal(p.get('gen:build')!.reasons, ['recipe: recipes/lib/concat.ts changed']);
  });
});

test('a step whose output is unchanged does not rebuild its dependents (dependency artifacts, not keys)', async () => {
  await inFixture('basic', async (fx) => {
    await build(fx.dir);
    appendFileSync(join(fx.dir, 'src/gen/notes.md'), 'edited\n'); // part of the source, not of the output
    const b = await build(fx.dir);
    assert.equal(b.r.ids('start'), ['gen:build']);
    assert.equal(b.r.ids('cached'), ['slow@one:build', 'slow@two:build', 'use:build', 'use:install']);
  });
});

test('an edit that keeps a source file\'s size and mtime still rebuilds (file hashes are reused only on an unchanged stat)', async () => {
  await inFixture('basic', async (fx) => {
    const a = join(fx.dir, 'src/gen/a.txt');
    const mtime = 1_000_000_000; // a whole second, so utimes puts it back exactly
    utimesSync(a, mtime, mtime);
    // Let the filesystem clock pass a.txt's last change, so the build remembers its hash by stat.
    const probe = join(fx.dir, 'clock');
    do writeFileSync(probe, ''); while (lstatSync(probe, { bigint: true }).ctimeNs <= lstatSync(a, { bigint: true }).ctimeNs);
    await build(fx.dir, { targets: ['gen'] });
    const remembered = JSON.parse(readFileSync(join(fx.dir, '.world/file-hashes.json'), 'utf8')) as { files: Record<string, string[]> };
    assert.is(remembered.files['src/gen/a.txt']?.[6], createHash('sha256').update('alpha\n').digest('hex'));
    assert.equal((await build(fx.dir, { targets: ['gen'] })).r.ids('start'), []);

    writeFileSync(a, 'omega\n'); // as long as 'alpha\n'
    utimesSync(a, mtime, mtime);
    assert.equal((await plan(fx.dir)).get('gen:build')!.reasons, ['source src/gen: a.txt changed']);
    const b = await build(fx.dir, { targets: ['gen'] });
    assert.equal(b.r.ids('start'), ['gen:build']);
    assert.is(readFileSync(join(fx.dir, '.world/out/gen/data.txt'), 'utf8'), 'hello\nomega\nbeta\n');
  });
});

test('a different tool on PATH changes the toolchain fingerprint, and plan says which', async () => {
  const fx = copyFixture('basic');
  const path = process.env.PATH;
  try {
    await build(fx.dir, { targets: ['gen'] });
    // A `cat` earlier on PATH that reports its own version and otherwise behaves like cat.
    mkdirSync(join(fx.dir, 'bin'));
    const real = execFileSync('sh', ['-c', 'command -v cat'], { encoding: 'utf8' }).trim();
    writeFileSync(join(fx.dir, 'bin/cat'), `#!/bin/sh\n[ "$1" = --version ] && { echo "cat 99"; exit 0; }\nexec ${real} "$@"\n`, { mode: 0o755 });
    process.env.PATH = `${join(fx.dir, 'bin')}:${path}`;
    const reasons = (await plan(fx.dir)).get('gen:build')!.reasons;
    assert.is(reasons.length, 2, reasons.join('\n'));
    assert.is(reasons[0], `tool cat.path: "${real}" -> "${join(fx.dir, 'bin/cat')}"`);
    assert.match(reasons[1]!, /^tool cat\.version: ".+ -> "cat 99"$/);
  } finally {
    process.env.PATH = path;
    fx.cleanup();
  }
});

test('a declared environment input is part of the key; an undeclared variable is not', async () => {
  const fx = copyFixture('basic');
  const saved = { flavour: process.env.WORLD_TEST_FLAVOUR, noise: process.env.WORLD_TEST_NOISE };
  const restore = (name: string, v: string | undefined): void => { if (v === undefined) delete process.env[name]; else process.env[name] = v; };
  try {
    process.env.WORLD_TEST_FLAVOUR = 'salt';
    process.env.WORLD_TEST_NOISE = 'one';
    let b = await build(fx.dir, { file: 'env.yaml' });
    assert.ok(b.ok);
    assert.equal(b.r.ids('done'), ['flavour:build']);
    assert.is(readFileSync(join(fx.dir, '.world/out/flavour/flavour.txt'), 'utf8'), 'salt\n');
    // A variable the stage does not declare changes nothing.
    process.env.WORLD_TEST_NOISE = 'two';
    b = await build(fx.dir, { file: 'env.yaml' });
    assert.equal(b.r.ids('cached'), ['flavour:build']);
    // The declared one: plan names it, the build runs the step again, and the output follows.
    process.env.WORLD_TEST_FLAVOUR = 'pepper';
    const s = await Session.open(join(fx.dir, 'env.yaml'));
    const p = s.plan(s.select([]));
    assert.equal(p.map((x) => [x.id, x.status, x.reasons]), [['flavour:build', 'run', ['environment WORLD_TEST_FLAVOUR: "salt" -> "pepper"']]]);
    b = await build(fx.dir, { file: 'env.yaml' });
    assert.equal(b.r.ids('done'), ['flavour:build']);
    assert.is(readFileSync(join(fx.dir, '.world/out/flavour/flavour.txt'), 'utf8'), 'pepper\n');
    // Unset is a value of its own (null), not the same as the empty string.
    delete process.env.WORLD_TEST_FLAVOUR;
    b = await build(fx.dir, { file: 'env.yaml' });
    assert.equal(b.r.ids('done'), ['flavour:build']);
    process.env.WORLD_TEST_FLAVOUR = '';
    b = await build(fx.dir, { file: 'env.yaml' });
    assert.equal(b.r.ids('done'), ['flavour:build']);
    // Back to salt: the first artifact is still in the cache, so nothing runs.
    process.env.WORLD_TEST_FLAVOUR = 'salt';
    b = await build(fx.dir, { file: 'env.yaml' });
    assert.equal(b.r.ids('cached'), ['flavour:build']);
    assert.is(readFileSync(join(fx.dir, '.world/out/flavour/flavour.txt'), 'utf8'), 'salt\n');
  } finally {
    restore('WORLD_TEST_FLAVOUR', saved.flavour);
    restore('WORLD_TEST_NOISE', saved.noise);
    fx.cleanup();
  }
});

test('files git ignores are not part of a path source', async () => {
  await inFixture('basic', async (fx) => {
    execFileSync('git', ['init', '-q'], { cwd: fx.dir });
    writeFileSync(join(fx.dir, '.gitignore'), '*.o\n.world/\n');
    await build(fx.dir);
    writeFileSync(join(fx.dir, 'src/gen/junk.o'), 'object file\n');
    assert.is((await plan(fx.dir)).get('gen:build')!.status, 'cached');
    writeFileSync(join(fx.dir, 'src/gen/kept.txt'), 'tracked\n');
    assert.equal((await plan(fx.dir)).get('gen:build')!.reasons, ['source src/gen: kept.txt added']);
  });
});

test('a failure prints the log tail and path, skips its dependents; --keep-going finishes the rest', async () => {
  await inFixture('basic', async (fx) => {
    const b = await build(fx.dir, { file: 'failing.yaml', jobs: 1, keepGoing: true });
    assert.not.ok(b.ok);
    const failed = b.r.events.find((e) => e.kind === 'failed')!;
    assert.is(failed.id, 'fails:build');
    assert.match(failed.detail!, 'sh failed: exit status 3');
    assert.ok(failed.tail!.includes('fatal: the widget is broken'), failed.tail!.join('\n'));
    assert.ok(failed.tail!.includes('line 3'));
    assert.match(failed.log!, /\.world\/logs\/fails\/build\.log$/);
    assert.equal(b.r.ids('skipped'), ['after:build', 'after:install']);
    assert.equal(b.r.ids('done'), ['gen:build']);
    assert.is(b.r.summary!.failed, 1);
    // Nothing of the failed step is cached or installed.
    assert.not.ok(existsSync(join(fx.dir, '.world/out/fails')));
    assert.equal(readdirSync(join(fx.dir, '.world/tmp')), []);

    // Without --keep-going and one job, nothing starts after the failure (fails comes first in order).
    const fx2 = copyFixture('basic');
    try {
      const b2 = await build(fx2.dir, { file: 'failing.yaml', jobs: 1 });
      assert.equal(b2.r.ids('done'), []);
      assert.equal(b2.r.ids('failed'), ['fails:build']);
    } finally {
      fx2.cleanup();
    }
  });
});

test('-j 2 runs two steps at once and never starts a step before its dependencies', async () => {
  const fx = copyFixture('basic');
  const journal = join(fx.dir, 'journal');
  process.env.WORLD_TEST_SLEEP = '0.3';
  process.env.WORLD_TEST_JOURNAL = journal;
  try {
    const b = await build(fx.dir, { file: 'parallel.yaml', jobs: 2 });
    assert.ok(b.ok);
    const running = new Set<string>();
    let most = 0;
    const finished = new Set<string>();
    for (const e of b.r.events) {
      if (e.kind === 'start') {
        for (const d of b.s.step(e.id).deps) assert.ok(finished.has(d), `${e.id} started before ${d} finished`);
        running.add(e.id);
        most = Math.max(most, running.size);
      }
      if (e.kind === 'done') { running.delete(e.id); finished.add(e.id); }
    }
    assert.is(most, 2);
    // The two slow steps overlapped: both started before either ended.
    const lines = readFileSync(journal, 'utf8').trim().split('\n');
    assert.equal(lines.slice(0, 2).map((l) => l.split(' ')[0]), ['start', 'start']);
  } finally {
    delete process.env.WORLD_TEST_SLEEP;
    delete process.env.WORLD_TEST_JOURNAL;
    fx.cleanup();
  }
});

test('a dependency cycle is reported with its path', async () => {
  const fx = copyFixture('basic');
  try {
    await Session.open(join(fx.dir, 'cycle.yaml'));
    assert.unreachable('should fail');
  } catch (err) {
    assert.instance(err, CycleError);
    assert.equal((err as CycleError).cycle, ['gen', 'use', 'slow', 'gen']);
    assert.match((err as Error).message, 'dependency cycle: gen -> use -> slow -> gen');
    assert.match((err as Error).message, 'gen (declared at cycle.yaml:3:3)');
  } finally {
    fx.cleanup();
  }
});

test('graph prints every edge in dot and mermaid', async () => {
  await inFixture('basic', async (fx) => {
    const s = await Session.open(join(fx.dir, 'world.yaml'));
    const ids = s.select(['use']);
    assert.equal(ids, ['gen:build', 'use:build', 'use:install']);
    assert.is(renderGraph(s, ids, 'dot'), 'digraph world {\n  rankdir=LR;\n  node [shape=box];\n  s0 [label="gen:build"];\n  s1 [label="use:build"];\n  s2 [label="use:install"];\n  s0 -> s1;\n  s1 -> s2;\n}\n');
    assert.is(renderGraph(s, ids, 'mermaid'), 'flowchart LR\n  s0["gen:build"]\n  s1["use:build"]\n  s2["use:install"]\n  s0 --> s1\n  s1 --> s2\n');
  });
});

test('keys and artifacts do not depend on where the world is checked out', async () => {
  const a = copyFixture('basic');
  const b = copyFixture('basic');
  try {
    await build(a.dir, { targets: ['use'] });
    await build(b.dir, { targets: ['use'] });
    const records = (dir: string): string[] => readdirSync(join(dir, '.world/steps')).sort()
      .map((f) => { const r = JSON.parse(readFileSync(join(dir, '.world/steps', f), 'utf8')) as { step: string; key: string; artifact: string }; return `${r.step} ${r.key} ${r.artifact}`; });
    assert.equal(records(a.dir), records(b.dir));
    assert.is(records(a.dir).length, 3);
  } finally {
    a.cleanup();
    b.cleanup();
  }
});

test('clean keeps the cache (the next build only reinstalls); clean --cache empties it', async () => {
  const fx = copyFixture('basic');
  const { command } = await import('../../src/commands/clean.ts');
  const quiet = process.stdout.write;
  try {
    await build(fx.dir, { targets: ['use'] });
    process.stdout.write = () => true;
    try { assert.is(await command.run(['-f', join(fx.dir, 'world.yaml')]), 0); } finally { process.stdout.write = quiet; }
    assert.not.ok(existsSync(join(fx.dir, '.world/out')));
    let b = await build(fx.dir, { targets: ['use'] });
    assert.equal(b.r.ids('start'), []);
    assert.is(readFileSync(join(fx.dir, '.world/out/use/result.txt'), 'utf8'), 'HELLO\nALPHA\nBETA\n');
    process.stdout.write = () => true;
    try { assert.is(await command.run(['-f', join(fx.dir, 'world.yaml'), '--cache']), 0); } finally { process.stdout.write = quiet; }
    b = await build(fx.dir, { targets: ['use'] });
    assert.equal(b.r.ids('start'), ['gen:build', 'use:build', 'use:install']);
  } finally {
    process.stdout.write = quiet;
    fx.cleanup();
  }
});

test.run();
