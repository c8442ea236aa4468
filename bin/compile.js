// Compiles the TypeScript the `world` command runs (src/, emulator/, harness/, afterburner/,
// recipes/) to plain JavaScript under dist/, one .js file per .ts file at the same relative path,
// so a start does not pay for tsx compiling every module again (tsx stays for tests and
// development). Plain JavaScript itself: bin/world.js calls it before anything is compiled.
//
// Each file goes through esbuild's transform, the same per-file transform tsx applies, so the
// compiled code behaves as the sources do under tsx. Two rewrites make it run from dist/:
//  - relative import specifiers ending in .ts end in .js (every one is checked to name a
//    compiled file, so an import the compiled tree cannot satisfy fails here, not at run time);
//  - `import.meta.url` becomes the source file's URL, so files found next to a source
//    (package.json, profiles/*.json, published.json, the afterburner's own sources) are read
//    from the source tree, and the cache keys that hash them keep their meaning.
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

const SPECIFIER = /(\b(?:from|import)\s*\(?\s*)"(\.\.?\/[^"\n]*)"/g;

/** Compiles every source into dist/; throws an Error naming the file when one cannot be compiled. */
export async function compile(root) {
  const { transform } = await import('esbuild');
  const files = sourcesOf(root);
  const inputs = snapshot(root, files); // taken first: a source edited during the compile makes it stale
  const compiled = new Set(files);
  const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8'));
  const dist = distDir(root);
  const problems = [];
  // esbuild transforms the files in parallel; results are handled in file order.
  const results = await Promise.all(files.map(async (file) => {
    let text = readFileSync(join(root, file), 'utf8');
    if (/\bimport\.meta\.(?:dirname|filename|resolve)\b/.test(text)) {
      return { file, error: 'uses import.meta.dirname/filename/resolve, which dist/ cannot map back to the source; use import.meta.url' };
    }
    const usesUrl = /\bimport\.meta\.url\b/.test(text);
    if (usesUrl) text = text.replace(/\bimport\.meta\.url\b/g, '__worldSourceUrl');
    try {
      const { code } = await transform(text, { loader: 'ts', format: 'esm', target: 'node20', sourcefile: file, tsconfigRaw: { compilerOptions: tsconfig.compilerOptions } });
      return { file, code, usesUrl };
    } catch (err) {
      return { file, error: err.message.split('\n')[0] };
    }
  }));
  for (const { file, error, usesUrl, code: js } of results) {
    if (error) { problems.push(`${file}: ${error}`); continue; }
    let code = js.replace(SPECIFIER, (whole, lead, spec) => {
      const target = join(dirname(file), spec).split(sep).join('/');
      if (spec.endsWith('.ts') && compiled.has(target)) return `${lead}"${spec.slice(0, -3)}.js"`;
      problems.push(`${file}: imports ${spec}, which is not a compiled source (${SOURCE_DIRS.join(', ')})`);
      return whole;
    });
    if (usesUrl) {
      const back = relative(dirname(join(dist, file)), join(root, file)).split(sep).join('/');
      code = `const __worldSourceUrl = new URL(${JSON.stringify(back)}, import.meta.url).href;\n${code}`;
    }
    writeAtomic(join(dist, file.replace(/\.ts$/, '.js')), code);
  }
  if (problems.length > 0) throw new Error(`cannot compile to dist/:\n  ${problems.join('\n  ')}`);
  // Compiled files whose source is gone: nothing imports them, but they would mislead a reader.
  for (const dir of SOURCE_DIRS) {
    let names;
    try { names = readdirSync(join(dist, dir), { recursive: true }); } catch { continue; }
    for (const name of names) {
      const rel = join(dir, name).split(sep).join('/');
      if (rel.endsWith('.js') && !compiled.has(rel.replace(/\.js$/, '.ts'))) rmSync(join(dist, rel), { force: true });
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
