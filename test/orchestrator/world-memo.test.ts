// The remembered world (src/manifest/memo.ts): a second open of an unchanged world gives the world
// the first read and checked, and anything the read depends on invalidates it: the manifest's
// text, and the declarations of the recipes it names (a recipe that loses a variant the manifest
// builds is reported at its position, as on a first read). Run through the `world` command, one
// process per read, as the recipes' modules are imported once per process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from '../../src/session.ts';
import { inFixture, world } from './helpers.ts';

/** What a read produced, as data: the recipes compared by identity elsewhere. */
function shape(s: Session): unknown {
  const { packages, file, root, ...rest } = s.world;
  return { file, root, ...rest, packages: [...packages.values()].map(({ recipe: _r, ...p }) => p) };
}

test('a remembered world is the world read from the manifest', async () => {
  await inFixture('basic', async (fx) => {
    const file = join(fx.dir, 'world.yaml');
    const first = await Session.open(file);
    first.plan(first.select([])); // plan saves what it learnt, the checked world included
    assert.ok(existsSync(join(fx.dir, '.world/world.json')));
    const second = await Session.open(file);
    assert.equal(shape(second), shape(first));
    for (const [name, p] of second.world.packages) assert.is(p.recipe, first.world.packages.get(name)!.recipe, name);
  });
});

test('an edited manifest is read again; one with a mistake is reported at its position', async () => {
  await inFixture('basic', async (fx) => {
    assert.is((await world(['build', 'gen'], fx.dir)).exitCode, 0);
    assert.ok(existsSync(join(fx.dir, '.world/world.json')));
    const yaml = join(fx.dir, 'world.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('greeting: hello', 'greeting: howdy'));
    const plan = await world(['plan', 'gen'], fx.dir);
    assert.is(plan.exitCode, 0, plan.all);
    assert.match(plan.all!, /greeting.*hello.*howdy/);
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('  slow: {}', '  slow: { variants: [one, three] }'));
    const bad = await world(['plan'], fx.dir);
    assert.is(bad.exitCode, 2, bad.all);
    assert.match(bad.all!, /world.yaml:\d+:\d+: packages.slow.variants\[1\]: recipe 'slow' has no variant 'three'/);
  });
});

test('a recipe whose declarations changed is checked again: a variant it lost is reported at its position', async () => {
  await inFixture('basic', async (fx) => {
    const yaml = join(fx.dir, 'world.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('  slow: {}', '  slow: { variants: [one, two] }'));
    assert.is((await world(['plan'], fx.dir)).exitCode, 0);
    assert.ok(existsSync(join(fx.dir, '.world/world.json')));
    const recipe = join(fx.dir, 'recipes/slow.ts');
    writeFileSync(recipe, readFileSync(recipe, 'utf8').replace("variants: ['one', 'two']", "variants: ['one']"));
    const r = await world(['plan'], fx.dir);
    assert.is(r.exitCode, 2, r.all);
    assert.match(r.all!, /world.yaml:\d+:\d+: packages.slow.variants\[1\]: recipe 'slow' has no variant 'two'/);
  });
});

test.run();
