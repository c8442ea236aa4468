// Resumable stages (Stage.resumable, src/resume.ts) on a world of one step that makes four parts
// (fixtures/resume): a build interrupted (SIGINT) or killed (SIGKILL) after two parts leaves its
// work in tmp/resume/, and the next build takes it up: it makes only the parts still missing, and
// stores the bytes of an uninterrupted build. A run with other inputs starts afresh; a completed
// or failed run keeps nothing. The Kbuild repair (recipes/lib/kbuild-resume.ts) on a tree whose
// files' times the test sets itself.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { copyFixture, world, worldBin } from './helpers.ts';
import { auditState, installedHashes } from './audit.ts';
import { killLeftovers, stepLogPath } from './killpoints.ts';
import { repairKilledKbuild } from '../../recipes/lib/kbuild-resume.ts';

const fx = copyFixture('resume');
const kept = join(fx.dir, '.world/tmp/resume');
const log = () => readFileSync(stepLogPath(fx.dir, 'parts:build'), 'utf8');
const made = () => [...log().matchAll(/^(made|kept) (\d)$/gm)].map((m) => `${m[1]} ${m[2]}`);

/** `world build`, signalled once the step's log says `made 2`. */
async function buildKilledAfterTwo(signal: 'SIGINT' | 'SIGKILL', env: Record<string, string> = {}) {
  const child = execa('node', [worldBin, 'build', '--no-wait'], { cwd: fx.dir, reject: false, all: true, env: { CI: 'true', WORLD_TEST_SLEEP: '2', ...env } });
  const poll = setInterval(() => {
    if (existsSync(stepLogPath(fx.dir, 'parts:build')) && /^made 2$/m.test(log())) { clearInterval(poll); child.kill(signal); }
  }, 50);
  const r = await child;
  clearInterval(poll);
  await killLeftovers(fx.dir);
  return r;
}

let clean: Record<string, string>;

test('an uninterrupted build makes every part and keeps no work', async () => {
  const r = await world(['build'], fx.dir);
  assert.is(r.exitCode, 0, r.all);
  assert.equal(made(), ['made 1', 'made 2', 'made 3', 'made 4']);
  assert.equal(readFileSync(join(fx.dir, '.world/out/parts/all.txt'), 'utf8'), 'part 1 \npart 2 \npart 3 \npart 4 \n');
  assert.ok(!existsSync(kept) || readdirSync(kept).length === 0, 'nothing kept after a completed build');
  clean = installedHashes(join(fx.dir, '.world'));
});

for (const signal of ['SIGINT', 'SIGKILL'] as const) {
  test(`a build stopped by ${signal} after two parts is taken up by the next: parts 3 and 4 only, the clean bytes`, async () => {
    rmSync(join(fx.dir, '.world'), { recursive: true, force: true });
    const r = await buildKilledAfterTwo(signal);
    if (signal === 'SIGINT') assert.is(r.exitCode, 130, r.all); else assert.is(r.signal, 'SIGKILL');
    assert.equal(readdirSync(kept), ['parts_build']);
    assert.ok(existsSync(join(kept, 'parts_build/work/parts/2')));
    const again = await world(['build'], fx.dir);
    assert.is(again.exitCode, 0, again.all);
    assert.match(log(), /^world: resuming the work of an interrupted run of this step$/m);
    assert.equal(made(), ['kept 1', 'kept 2', 'made 3', 'made 4']);
    assert.equal(installedHashes(join(fx.dir, '.world')), clean);
    assert.equal(readdirSync(kept), [], 'the taken-up work is released once the step is stored');
    assert.equal(auditState(join(fx.dir, '.world')), []);
  });
}

test('kept work of other inputs is not taken up: the run starts afresh and replaces it', async () => {
  rmSync(join(fx.dir, '.world'), { recursive: true, force: true });
  await buildKilledAfterTwo('SIGKILL', { WORLD_TEST_PARTS_SALT: 'a' });
  const again = await world(['build'], fx.dir, { WORLD_TEST_PARTS_SALT: 'b' });
  assert.is(again.exitCode, 0, again.all);
  assert.not.match(log(), /resuming/);
  assert.equal(made(), ['made 1', 'made 2', 'made 3', 'made 4']);
  assert.equal(readFileSync(join(fx.dir, '.world/out/parts/all.txt'), 'utf8'), 'part 1 b\npart 2 b\npart 3 b\npart 4 b\n');
  assert.equal(readdirSync(kept), []);
});

test('a failed run keeps nothing: the next starts afresh', async () => {
  rmSync(join(fx.dir, '.world'), { recursive: true, force: true });
  const failed = await world(['build'], fx.dir, { WORLD_TEST_PARTS_FAIL: '3' });
  assert.is(failed.exitCode, 1, failed.all);
  assert.equal(readdirSync(kept), []);
  const again = await world(['build'], fx.dir);
  assert.is(again.exitCode, 0, again.all);
  assert.equal(made(), ['made 1', 'made 2', 'made 3', 'made 4']);
});

test('the Kbuild repair removes targets newer than their command file and the last minute\'s writes, and keeps the rest', () => {
  const tree = mkdtempSync(join(tmpdir(), 'world-kbuild-'));
  const at = (rel: string, seconds: number) => {
    mkdirSync(join(tree, rel, '..'), { recursive: true });
    writeFileSync(join(tree, rel), rel);
    utimesSync(join(tree, rel), seconds, seconds);
  };
  const t = 1_000_000;
  at('kernel/fork.o', t); at('kernel/.fork.o.cmd', t + 1);         // whole: its command file came after
  at('kernel/exit.o', t + 2); at('kernel/.exit.o.cmd', t + 1);     // rewritten after its command file
  at('mm/slab.o', t + 10);                                          // no command file: Kbuild rebuilds it anyway
  at('vmlinux.o', t + 500); at('.vmlinux.o.cmd', t + 500);          // both in the last minute
  at('init/version.o', t + 441); at('init/.version.o.cmd', t + 441); // 59 s before the newest file
  at('lib/.string.o.cmd', t + 300);
  const removed = repairKilledKbuild([tree, join(tree, 'absent')]).map((p) => p.slice(tree.length + 1));
  assert.equal(removed, ['.vmlinux.o.cmd', 'init/.version.o.cmd', 'init/version.o', 'kernel/exit.o', 'vmlinux.o']);
  assert.ok(existsSync(join(tree, 'kernel/fork.o')) && existsSync(join(tree, 'mm/slab.o')) && existsSync(join(tree, 'lib/.string.o.cmd')));
  rmSync(tree, { recursive: true, force: true });
});

test.after(() => fx.cleanup());
test.run();
