// Kill points on the basic fixture world (killpoints.ts): every step's build killed at one crash
// point between durable writes (and the build-wide ones), and the two slow steps killed (SIGKILL) and interrupted (SIGINT)
// while their processes run; each followed by a build that must complete with the clean build's
// bytes and leave nothing orphaned in .world/. `npm run reliability:killpoints` runs the default
// world (the full figure).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { copyFixture } from './helpers.ts';
import { auditState } from './audit.ts';
import { cleanBuild, crashLabelsOf, planKillPoints, runKillPoint, type CleanBuild } from './killpoints.ts';

const fx = copyFixture('basic');
process.env.WORLD_TEST_SLEEP = '1'; // the slow steps run long enough to be killed inside
let clean: CleanBuild;

test('the clean build passes the crash points of every step, and the audit', async () => {
  clean = await cleanBuild(fx.dir, ['-j', '2']);
  assert.equal(clean.steps.map((s) => s.step).sort(), ['gen:build', 'slow@one:build', 'slow@two:build', 'use:build', 'use:install']);
  for (const { step } of clean.steps) assert.ok(crashLabelsOf(clean, step).length >= 6, `${step}: ${crashLabelsOf(clean, step).join(', ')}`);
  assert.equal(Object.keys(clean.hashes).sort(), ['gen', 'slow@one', 'slow@two', 'use']);
});

test('the audit finds what a kill could leave: a temporary file, a partial artifact, an unreferenced one', async () => {
  const { writeFileSync, mkdirSync, cpSync, readdirSync } = await import('node:fs');
  const { join } = await import('node:path');
  const state = join(fx.dir, '.world');
  const a = readdirSync(join(state, 'cas'))[0]!;
  writeFileSync(join(state, 'steps', '.gen:build.json.tmp-999999-1'), '{"half');
  mkdirSync(join(state, 'cas', 'f'.repeat(64)));
  writeFileSync(join(state, 'cas', 'f'.repeat(64), 'x'), 'x');
  cpSync(join(state, 'cas', a), join(state, 'cas', 'e'.repeat(64)), { recursive: true });
  const problems = auditState(state);
  assert.ok(problems.some((p) => p.startsWith('steps/.gen:build.json.tmp-999999-1')), problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith(`cas/${'f'.repeat(64)}: its files hash to`)), problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith(`cas/${'e'.repeat(64)}: its files hash to`)), problems.join('\n'));
});

test('every kill point: the next build completes with the clean bytes and nothing orphaned', async () => {
  const points = planKillPoints(clean, { perStep: 1, longSeconds: 0.9, shares: [0.5] });
  assert.ok(points.filter((p) => p.kind === 'signal').length >= 3, JSON.stringify(points));
  const results = [];
  for (const p of points) results.push(await runKillPoint(fx.dir, clean, p, ['-j', '2']));
  const bad = results.filter((r) => !r.ok).map((r) => `${r.killed}: ${r.problems.join('\n  ')}`);
  process.stdout.write(`kill points (basic fixture): ${results.length - bad.length} of ${results.length} recovered to the clean build's bytes with nothing orphaned\n`);
  assert.equal(bad, []);
});

test.after(() => {
  fx.cleanup();
  if (clean) rmSync(clean.snapshot, { recursive: true, force: true });
});
test.run();
