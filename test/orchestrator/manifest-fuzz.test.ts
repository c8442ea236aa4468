// A short seeded sample of the manifest fuzzer (manifest-fuzz.ts): one malformed world.yaml file of
// each kind, each refused by `world build` with exit 2, file:line:col, no stack trace and
// nothing under .world/. `npm run reliability:manifests` runs the full figure (600 files).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KINDS, check, checkAll, generate } from './manifest-fuzz.ts';

test('the generator is seeded: the same seed gives the same file, and every kind is generated', () => {
  const a = generate(7);
  const b = generate(7);
  assert.equal(a, b);
  assert.not.equal(generate(8).content, a.content);
  const kinds = new Set(Array.from({ length: KINDS.length }, (_, i) => generate(i).kind));
  assert.equal([...kinds].sort(), [...KINDS].sort());
});

test('the checker notices a manifest that is accepted (so a refusal is not vacuous)', async () => {
  // The repository's own world.yaml, unchanged, must fail every check a malformed one passes.
  const { readFileSync } = await import('node:fs');
  const base = readFileSync(new URL('../../world.yaml', import.meta.url), 'utf8');
  const v = await check({ seed: -1, kind: 'structure', what: 'the default world, unchanged', content: base.replace('version: 1', 'version: 1\ntargets: [crc32@native]') }, 60_000);
  assert.not.ok(v.ok, v.stderr);
  assert.ok(v.problems.some((p) => p.startsWith('exit status')), v.problems.join('; '));
});

test(`${KINDS.length} malformed manifests (seeds 0-${KINDS.length - 1}), one of each kind, are each refused properly`, async () => {
  const cases = Array.from({ length: KINDS.length }, (_, i) => generate(i));
  const verdicts = await checkAll(cases, 2);
  const bad = verdicts.filter((v) => !v.ok).map((v) => `seed ${v.case.seed} (${v.case.kind}: ${v.case.what.slice(0, 80)}): ${v.problems.join('; ')}\n${v.stderr.slice(0, 400)}`);
  process.stdout.write(`manifest fuzzing sample: ${verdicts.length - bad.length} of ${verdicts.length} refused with exit 2 and file:line:col\n`);
  assert.equal(bad, []);
});

test.run();
