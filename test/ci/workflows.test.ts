// The GitHub Actions workflows (.github/workflows/*.yml) checked against the workflow schema by
// @action-validator/core (the SchemaStore github-workflow schema, compiled to WebAssembly), since
// no runner here executes them. A broken workflow must be rejected too, so a checker that
// accepts anything fails this test.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateWorkflow } from '@action-validator/core';

const dir = new URL('../../.github/workflows/', import.meta.url).pathname;
const files = readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort();

test('the workflows folder holds ci and nightly', () => {
  assert.ok(files.includes('ci.yml') && files.includes('nightly.yml'), files.join(', '));
});

for (const name of files) {
  test(`${name} is a valid workflow`, () => {
    const state = validateWorkflow(readFileSync(join(dir, name), 'utf8'));
    assert.equal(state.errors.map((e) => ('path' in e ? `${e.path}: ${e.title}${e.detail ? ` (${e.detail})` : ''}` : `${e.title}: ${e.detail}`)), [], name);
  });
}

test('the checker rejects a job without steps, an unknown key and a bad trigger', () => {
  const bad = [
    'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: [{ run: echo }]\n',
    'on: pushed\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [{ run: echo }]\n',
    'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [{ uses: actions/checkout@v4, run: echo }]\n',
  ];
  for (const text of bad) assert.ok(validateWorkflow(text).errors.length > 0, text);
  assert.equal(validateWorkflow('on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [{ run: echo }]\n').errors, []);
});

test.run();
