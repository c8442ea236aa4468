// The compiled command (bin/compile.js, bin/world.js) against the sources run through tsx, the
// way tests and scripts run them: on a copy of the tree, the compiled `world` must print what
// the sources print, notice an edited source and compile again, read files beside the sources
// (package.json, recipes) from the source tree, and fall back to tsx when it cannot compile.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = new URL('../..', import.meta.url).pathname;
const tree = mkdtempSync(join(tmpdir(), 'world-compiled-'));
for (const p of ['src', 'emulator', 'harness', 'afterburner', 'recipes', 'bin', 'packages', 'tsconfig.json', 'package.json', 'world.yaml']) {
  cpSync(join(repo, p), join(tree, p), { recursive: true });
}
symlinkSync(join(repo, 'node_modules'), join(tree, 'node_modules'));
const worldBin = join(tree, 'bin', 'world.js');

/** The copy's command, compiled (as users run it). */
const compiled = (args: string[]) => execa('node', [worldBin, ...args], { cwd: tree, reject: false, env: { CI: 'true' } });
/** The copy's sources through tsx (the oracle). */
const sources = (args: string[]) => execa('node', ['--import', 'tsx', join(tree, 'src', 'cli.ts'), ...args], { cwd: tree, reject: false, env: { CI: 'true' } });

test('the compiled command prints what the sources print', async () => {
  for (const args of [['--help'], ['build', '--help'], ['schema'], ['--version'], ['frobnicate']]) {
    const [c, s] = await Promise.all([compiled(args), sources(args)]);
    assert.is(c.exitCode, s.exitCode, `world ${args.join(' ')}: exit status`);
    assert.is(c.stdout, s.stdout, `world ${args.join(' ')}: stdout`);
    assert.is(c.stderr, s.stderr, `world ${args.join(' ')}: stderr`);
  }
  assert.ok(existsSync(join(tree, 'dist', 'stamp.json')), 'dist/stamp.json written');
  assert.ok(existsSync(join(tree, 'dist', 'src', 'cli.js')), 'dist/src/cli.js written');
});

test('the version comes from the source tree\'s package.json', async () => {
  const version = (JSON.parse(readFileSync(join(tree, 'package.json'), 'utf8')) as { version: string }).version;
  const r = await compiled(['--version']);
  assert.match(r.stdout, version);
});

test('recipes of the tree load from dist/ and give the same plan as the sources', async () => {
  const [c, s] = await Promise.all([compiled(['graph']), sources(['graph'])]);
  assert.is(c.exitCode, 0, c.stderr);
  assert.is(c.stdout, s.stdout);
  assert.ok(existsSync(join(tree, 'dist', 'recipes', 'crc32.js')));
});

test('a no-op build loads none of the packages only running steps or a changed world.yaml need (execa, listr2, undici, yaml)', async () => {
  // A module loader hook that lists every module the command loads, in a file.
  const loaded = join(tree, 'loaded.txt');
  const hook = join(tree, 'hook.mjs');
  writeFileSync(hook, `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(loaded)}, url + '\\n'); return next(url, context); }\n`);
  const register = join(tree, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`);
  const first = await compiled(['build', '--plain', 'crc32@native']);
  assert.is(first.exitCode, 0, first.stdout + first.stderr);
  const r = await execa('node', ['--import', register, worldBin, 'build', '--plain', 'crc32@native'], { cwd: tree, reject: false, env: { CI: 'true' } });
  assert.is(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /world: 0 steps run, \d+ cache hits/);
  const urls = readFileSync(loaded, 'utf8').trim().split('\n');
  assert.ok(urls.some((u) => u.endsWith('/dist/recipes/linux.js')), 'every recipe of the world is loaded (the hook sees them)');
  const packages = urls.filter((u) => u.includes('/node_modules/'));
  assert.equal(packages.filter((u) => /\/node_modules\/(execa|listr2|undici|yaml)\//.test(u)), [], packages.join('\n'));
  // yaml is bundled into dist/chunks: the world was remembered, so no loaded chunk holds the parser.
  const bundled = urls.filter((u) => u.startsWith('file:') && u.includes('/dist/'));
  assert.equal(bundled.filter((u) => readFileSync(fileURLToPath(u), 'utf8').includes('node_modules/yaml/')), []);
});

test('an edited source is compiled again before the command runs', async () => {
  const index = join(tree, 'src', 'commands', 'index.ts');
  const text = readFileSync(index, 'utf8');
  const summary = 'build the world, or the given targets, reusing cached steps';
  assert.ok(text.includes(summary), 'the build command summary is where the test expects it');
  writeFileSync(index, text.replace(summary, 'a summary edited by the test'));
  const r = await compiled(['--help']);
  assert.is(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /build\s+a summary edited by the test/);
  assert.not.match(r.stderr, /tsx/, 'compiled again rather than falling back');
});

test('a source the compiler refuses is run through tsx, and the command says why', async () => {
  // import.meta.dirname runs under tsx but cannot be mapped back from dist/, so compile.js refuses it.
  const index = join(tree, 'src', 'commands', 'index.ts');
  writeFileSync(index, readFileSync(index, 'utf8').replace('a summary edited by the test', 'edited again') +
    'export const probeDir: string = import.meta.dirname;\n');
  const r = await compiled(['--help']);
  assert.is(r.exitCode, 0, r.stderr);
  assert.match(r.stderr, /running the TypeScript sources through tsx: .*\n.*src\/commands\/index\.ts uses import\.meta\.dirname/);
  assert.match(r.stdout, /build\s+edited again/);
});

test.after(() => rmSync(tree, { recursive: true, force: true }));
test.run();
