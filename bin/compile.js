// Compiles the TypeScript the `world` command runs (src/, emulator/, harness/, afterburner/,
// recipes/) to plain JavaScript under dist/, so a start does not pay for tsx compiling every
// module again (tsx stays for tests and development). Plain JavaScript itself: bin/world.js
// calls it before anything is compiled.
//
// esbuild (which tsx uses for the same TypeScript) bundles the modules loaded by path at run time
// (src/cli.ts, harness/worker.ts, recipes/<name>.ts) to dist/<dir>/<name>.js, with code splitting:
// what they share, and each lazily imported command, lands once in dist/chunks/, so a module has
// one instance whichever entry loads it, and a command loads a few files instead of a hundred.
// `import.meta.url` in a source becomes that source file's URL, so files found next to a source
// (package.json, profiles/*.json, published.json, the afterburner's own sources) are read from
// the source tree, and the cache keys that hash them keep their meaning.
// dist/stamp.json records every input's size and mtime; bin/world.js compares it with the tree
// (stat only, no reading) and compiles again on any difference.
//   node bin/compile.js [--force]   compile if a source changed (always, with --force); npm
//                                   install (the prepare script) and scripts/setup.sh run it
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Directories whose .ts files the command can load. test/ and scripts/ run under tsx. */
export const SOURCE_DIRS = ['src', 'emulator', 'harness', 'afterburner', 'recipes'];
/** Files that change the output without being compiled themselves. */
const EXTRA_INPUTS = ['tsconfig.json', 'bin/compile.js'];

export function distDir(root) {
  return join(root, 'dist');
}

// Runs at every start: plain string paths and one readdir per directory, nothing else.
function listSources(root, dir, out) {
  let entries;
  try { entries = readdirSync(`${root}/${dir}`, { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    if (e.isDirectory()) listSources(root, `${dir}/${e.name}`, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(`${dir}/${e.name}`);
  }
}

function sourcesOf(root) {
  const files = [];
  for (const dir of SOURCE_DIRS) listSources(root, dir, files);
  return files.sort();
}

/** The stamp of the tree as it is now: each input's path, size and mtime, as one string. */
function snapshot(root, files) {
  const rows = [];
  for (const f of [...files, ...EXTRA_INPUTS]) {
    const s = statSync(`${root}/${f}`);
    rows.push(`${f} ${s.size} ${s.mtimeMs}`);
  }
  return rows.join('\n') + '\n';
}

/** True when dist/ holds the compiled form of the sources as they are now. */
export function isFresh(root) {
  let stamp;
  try { stamp = readFileSync(join(distDir(root), 'stamp.json'), 'utf8'); } catch { return false; }
  try { return JSON.parse(stamp).inputs === snapshot(root, sourcesOf(root)); } catch { return false; }
}

function writeAtomic(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try { writeSync(fd, text); fsyncSync(fd); } finally { closeSync(fd); }
  renameSync(tmp, path);
}

/** Modules loaded by path at run time: the command, the bench worker, and each recipe. */
function entriesOf(files) {
  return ['src/cli.ts', 'harness/worker.ts', ...files.filter((f) => /^recipes\/[^/]+\.ts$/.test(f))];
}

/**
 * Packages left to Node's own loading: those read only by commands that do slow work anyway
 * (execa, listr2, undici), and those that must stay files of their own (esbuild runs a native
 * binary, tsx is a loader). The rest (yaml) is bundled: Node loads it as ~70 CommonJS files.
 */
const EXTERNAL = ['esbuild', 'tsx', 'tsx/*', 'execa', 'listr2', 'undici'];

/** Compiles the sources into dist/; throws an Error saying what failed. */
export async function compile(root) {
  const { build } = await import('esbuild');
  const files = sourcesOf(root);
  const inputs = snapshot(root, files); // taken first: a source edited during the compile makes it stale
  const dist = distDir(root);
  // Every output sits two levels under the root (dist/<dir>/<name>.js, dist/chunks/<name>.js), so
  // one relative URL leads from any of them back to a source file.
  const toSource = {
    name: 'source-url',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        const rel = relative(root, args.path).split(sep).join('/');
        if (!SOURCE_DIRS.includes(rel.split('/')[0])) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (/\bimport\.meta\.(?:dirname|filename|resolve)\b/.test(text)) {
          return { errors: [{ text: `${rel} uses import.meta.dirname/filename/resolve, which dist/ cannot map back to the source; use import.meta.url` }] };
        }
        const url = `new URL(${JSON.stringify(`../../${rel}`)}, import.meta.url).href`;
        return { contents: text.replace(/\bimport\.meta\.url\b/g, `(${url})`), loader: 'ts' };
      });
    },
  };
  let result;
  try {
    result = await build({
      absWorkingDir: root,
      entryPoints: entriesOf(files),
      outbase: root,
      outdir: dist,
      entryNames: '[dir]/[name]',
      chunkNames: 'chunks/[name]-[hash]',
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external: EXTERNAL,
      // Bundled CommonJS (yaml) calls require(); an ES module has none of its own.
      banner: { js: "import { createRequire as __worldRequire } from 'node:module'; const require = __worldRequire(import.meta.url);" },
      tsconfigRaw: { compilerOptions: JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')).compilerOptions },
      plugins: [toSource],
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
    });
  } catch (err) {
    const lines = (err.errors ?? []).map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`);
    throw new Error(`cannot compile to dist/:\n  ${(lines.length > 0 ? lines : [err.message]).join('\n  ')}`);
  }
  const written = new Set();
  for (const out of result.outputFiles) {
    const rel = relative(dist, out.path).split(sep).join('/');
    if (rel.split('/').length !== 2) throw new Error(`cannot compile to dist/: ${rel} is not two levels under the root`);
    writeAtomic(out.path, out.text);
    written.add(rel);
  }
  // Outputs of an earlier compile (chunks are named by content): nothing imports them any more.
  // Temporary files are another process's compile in progress (two commands started together
  // both find dist/ stale; they write the same files).
  for (const dir of readdirSync(dist, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const name of readdirSync(join(dist, dir.name))) {
      if (!written.has(`${dir.name}/${name}`) && !name.endsWith('.tmp')) rmSync(join(dist, dir.name, name), { recursive: true, force: true });
    }
  }
  writeAtomic(join(dist, 'stamp.json'), JSON.stringify({ inputs }) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const t0 = performance.now();
  try {
    if (!process.argv.includes('--force') && isFresh(root)) process.exit(0);
    await compile(root);
    process.stdout.write(`world: compiled the sources to dist/ in ${((performance.now() - t0) / 1000).toFixed(2)} s\n`);
  } catch (err) {
    process.stderr.write(`world: ${err.message}\n`);
    process.exitCode = 1;
  }
}
