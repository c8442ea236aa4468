#!/usr/bin/env node
// Entry point of the `world` command. Runs the JavaScript that bin/compile.js makes from the
// TypeScript sources under dist/: node then only parses it, where tsx would compile every module
// at every start. When a source changed since the last compile (dist/stamp.json: each source's
// size and mtime, compared with a stat of the tree), it compiles first, so the next start is fast
// again rather than every start slow until someone recompiles. When dist/ cannot be written or a
// source cannot be compiled, it says so and runs the sources through tsx instead.
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compile, distDir, isFresh } from './compile.js';

const root = realpathSync(fileURLToPath(new URL('..', import.meta.url)));
let compiled = false;
try {
  if (!isFresh(root)) await compile(root);
  compiled = true;
} catch (err) {
  process.stderr.write(`world: running the TypeScript sources through tsx: ${err.message}\n`);
}
if (compiled) {
  // Read by src/compiled.ts: where the compiled tree is, so recipes of this tree load from it.
  globalThis[Symbol.for('world.compiled')] = { root, dist: distDir(root) };
  await import(pathToFileURL(join(distDir(root), 'src', 'cli.js')).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
