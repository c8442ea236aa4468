// world.yaml checking: every problem names file:line:col and the key path, says what was expected,
// and suggests the closest valid name for a misspelling.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadWorld } from '../../src/manifest/load.ts';
import { ManifestError, formatIssue } from '../../src/manifest/errors.ts';
import { closest } from '../../src/manifest/suggest.ts';
import { copyFixture } from './helpers.ts';

const fx = copyFixture('basic');

async function issues(yaml: string): Promise<string[]> {
  const file = join(fx.dir, 'bad.yaml');
  writeFileSync(file, yaml);
  try {
    await loadWorld(file);
  } catch (err) {
    if (err instanceof ManifestError) return err.issues.map((i) => formatIssue({ ...i, file: 'bad.yaml' }));
    throw err;
  }
  return [];
}

/** Each of `lines` is one of the issues, word for word. */
function assertIssues(out: string[], ...lines: string[]): void {
  for (const line of lines) assert.ok(out.includes(line), `${line}\nnot among:\n${out.join('\n')}`);
}

/** Each of `prefixes` begins one of the issues. */
function assertIssuesStarting(out: string[], ...prefixes: string[]): void {
  for (const p of prefixes) assert.ok(out.some((l) => l.startsWith(p)), `${p}...\nnot among:\n${out.join('\n')}`);
}

test('the fixture world loads with defaults filled in', async () => {
  const w = await loadWorld(join(fx.dir, 'world.yaml'));
  assert.equal([...w.packages.keys()], ['gen', 'use', 'slow']);
  const gen = w.packages.get('gen')!;
  assert.equal(gen.options, { greeting: 'hello' });
  assert.equal(gen.source, { kind: 'path', path: 'src/gen' });
  assert.equal(gen.variants, ['default']);
  assert.equal(w.packages.get('slow')!.variants, ['one', 'two']);
  assert.equal(w.packages.get('use')!.depends, ['gen']);
  assert.equal(w.mirrors, []);
  assert.equal(w.targets, ['gen', 'use', 'slow']);
});

test('a misspelt top-level key is named with its position and the right spelling', async () => {
  assertIssues(await issues('version: 1\npakages:\n  gen: {}\n'),
    "bad.yaml:2:1: pakages: unknown key 'pakages'; expected one of: version, mirrors, targets, packages, bench; did you mean 'packages'?");
});

// Manifests with exactly these issues, in this order.
const EXACT: [name: string, yaml: string, expected: string[]][] = [
  ['unknown keys inside a package are errors, with line and column',
    'version: 1\npackages:\n  gen:\n    source: { path: src/gen }\n    dependz: [use]\n  use: {}\n',
    ["bad.yaml:5:5: packages.gen.dependz: unknown key 'dependz'; expected one of: recipe, source, depends, variants, options; did you mean 'depends'?"]],
  ['an option of the wrong type says what the recipe expects',
    'version: 1\npackages:\n  gen:\n    source: { path: src/gen }\n    options: { greeting: 3 }\n',
    ['bad.yaml:5:26: packages.gen.options.greeting: expected a string (first line of data.txt), got 3']],
  ["keys named like Object's own properties are unknown keys, not a crash",
    'version: 1\nconstructor: 1\npackages:\n  gen:\n    source: { path: src/gen, toString: x }\n    __proto__: {}\n    options: { hasOwnProperty: 1 }\n',
    [
      "bad.yaml:2:1: constructor: unknown key 'constructor'; expected one of: version, mirrors, targets, packages, bench",
      "bad.yaml:5:30: packages.gen.source.toString: unknown key 'toString'; expected one of: url, file, path, deb, sha256, mirrors",
      "bad.yaml:6:5: packages.gen.__proto__: unknown key '__proto__'; expected one of: recipe, source, depends, variants, options",
      "bad.yaml:7:16: packages.gen.options.hasOwnProperty: recipe 'gen' has no option 'hasOwnProperty'; expected one of: greeting",
    ]],
];
for (const [name, yaml, expected] of EXACT) test(name, async () => assert.equal(await issues(yaml), expected));

test('wrong value types say what was expected', async () => {
  assertIssuesStarting(await issues('version: 1\nmirrors: ftp://x\npackages:\n  gen:\n    source: { path: src/gen }\n    depends: use\n'),
    'bad.yaml:2:10: mirrors: expected a list, each an http',
    'bad.yaml:6:14: packages.gen.depends: expected a list, each a package name');
});

test('a url source without sha256 is refused; a bad sha256 is named', async () => {
  assertIssuesStarting(await issues('version: 1\npackages:\n  gen:\n    source: { url: "https://example.org/x.tar.gz" }\n  use:\n    source: { url: "https://example.org/y.tar", sha256: "abc" }\n'),
    'bad.yaml:4:13: packages.gen.source: a url source needs sha256',
    'bad.yaml:6:57: packages.use.source.sha256: expected a sha256');
});

test('recipe-level names are checked: recipe, variants, options, depends, targets', async () => {
  const out = await issues([
    'version: 1',
    'targets: [gne]',
    'packages:',
    '  gen:',
    '    source: { path: src/gen }',
    '    options: { greting: hi }',
    '  use:',
    '    depends: [gem]',
    '  slow:',
    '    variants: [one, tow]',
    '  other:',
    '    recipe: sloww',
    '',
  ].join('\n'));
  assertIssues(out,
    "bad.yaml:2:11: targets[0]: no package 'gne' in this world; did you mean 'gen'?",
    "bad.yaml:6:16: packages.gen.options.greting: recipe 'gen' has no option 'greting'; expected one of: greeting; did you mean 'greeting'?",
    "bad.yaml:8:15: packages.use.depends[0]: no package 'gem' in this world; did you mean 'gen'?",
    "bad.yaml:10:21: packages.slow.variants[1]: recipe 'slow' has no variant 'tow'; expected one of: one, two; did you mean 'two'?",
    "bad.yaml:12:5: packages.other.recipe: no recipe 'sloww' (expected a module recipes/sloww.ts); did you mean 'slow'?");
});

test('malformed YAML is reported with its position', async () => {
  const out = await issues('version: 1\npackages:\n  gen: [\n');
  assert.is(out.length >= 1, true);
  assert.match(out[0]!, /^bad\.yaml:\d+:\d+: YAML syntax: /);
});

test('duplicate keys are errors', async () => {
  const out = await issues('version: 1\npackages:\n  gen: {}\n  gen: {}\n');
  assert.match(out[0]!, /^bad\.yaml:4:3: YAML syntax: Map keys must be unique/);
});

test('a key that is not a name, a duplicate key naming the first, an alias in options', async () => {
  const dup = await issues('version: 1\npackages:\n  gen:\n    source: { path: src/gen }\n  gen: {}\n');
  assert.equal(dup, ["bad.yaml:5:3: YAML syntax: Map keys must be unique: 'gen' is written twice (first at line 3:3)"]);
  const out = await issues('version: 1\n? [a]\n: 1\npackages:\n  gen:\n    source: { path: src/gen }\n    options: { greeting: *x }\n');
  assert.equal(out, [
    'bad.yaml:2:3: ?: expected a key name (one of: version, mirrors, targets, packages, bench); got a list as a key',
    'bad.yaml:7:26: packages.gen.options.greeting: expected a value written out; world.yaml does not expand aliases (*name)',
  ]);
});

test('a recipe with a misspelt stage is reported at the package that uses it', async () => {
  writeFileSync(join(fx.dir, 'recipes/typo.ts'), "export const recipe = { summary: 'x', stages: { biuld: { async run() {} } } };\n");
  const out = await issues('version: 1\npackages:\n  gen:\n    source: { path: src/gen }\n  t:\n    recipe: typo\n');
  assert.equal(out, ["bad.yaml:6:5: packages.t.recipe: recipes/typo.ts: unknown stage 'biuld'; expected one of: fetch, unpack, configure, build, afterburn, install; did you mean 'build'?"]);
});

test('closest() suggests only plausible typos', () => {
  assert.is(closest('pakages', ['version', 'packages']), 'packages');
  assert.is(closest('pakcages', ['version', 'packages']), 'packages');
  assert.is(closest('zzz', ['version', 'packages']), undefined);
  // A value megabytes long gets no suggestion, at once (an edit-distance table would be that long).
  const began = performance.now();
  assert.is(closest('h'.repeat(10_000_000), ['hardware', 'xen', 'l4']), undefined);
  assert.ok(performance.now() - began < 5000, `${performance.now() - began} ms`);
});

test.after(() => fx.cleanup());
test.run();
