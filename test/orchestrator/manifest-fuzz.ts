// Manifest fuzzing: a seeded generator of malformed world.yaml files, and the check that `world
// build` refuses each one as a user needs it refused: exit status 2, an error that names
// file:line:col, no JavaScript stack trace, and nothing written under .world/. Used by
// manifest-fuzz.test.ts (a short sample) and scripts/reliability-manifests.ts (the full figure).
//
// Every case is malformed by construction, not by luck: structural mutations pick keys from the
// schema's own field lists and values the schema's types cannot accept; syntax mutations are kept
// only once the YAML parser itself reports an error. The base is the repository's world.yaml, so
// the recipes it names load and checks past the YAML layer are reached.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { isMap, isScalar, parseDocument, type Document, type Node } from 'yaml';
import { Prng } from '../../emulator/net/prng.ts';
import { packageSchema, sourceSchema, worldSchema } from '../../src/manifest/schema.ts';
import { benchSchema, configurationSchema, expansionSchema, workloadSchema } from '../../src/manifest/bench.ts';

const repo = new URL('../../', import.meta.url).pathname;
export const worldBin = join(repo, 'bin/world.js');
const BASE = readFileSync(join(repo, 'world.yaml'), 'utf8');

export const KINDS = ['syntax', 'type', 'key', 'duplicate', 'cycle', 'number', 'unicode', 'empty', 'huge', 'directory', 'structure'] as const;
export type Kind = typeof KINDS[number];

export interface Case {
  seed: number;
  kind: Kind;
  /** What was done to the base, for the report of a case that was not refused properly. */
  what: string;
  /** The file's bytes; a directory case has none (world.yaml is made a directory). */
  content: string | Buffer | null;
}

class Rng extends Prng {
  int(n: number): number { return Math.floor(this.next() * n); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
}

/** The maps of the base whose keys are fixed by the schema, with those keys. */
function fixedMaps(doc: Document): { path: (string | number)[]; fields: string[] }[] {
  const out: { path: (string | number)[]; fields: string[] }[] = [{ path: [], fields: Object.keys(worldSchema.fields) }];
  const names = (path: string[]): string[] => {
    const n = doc.getIn(path, true) as Node | undefined;
    return n && isMap(n) ? n.items.map((p) => String((p.key as { value: unknown }).value)) : [];
  };
  for (const p of names(['packages'])) {
    out.push({ path: ['packages', p], fields: Object.keys(packageSchema.fields) });
    if (doc.hasIn(['packages', p, 'source'])) out.push({ path: ['packages', p, 'source'], fields: Object.keys(sourceSchema.fields) });
  }
  out.push({ path: ['bench'], fields: Object.keys(benchSchema.fields) });
  for (const c of names(['bench', 'configurations'])) out.push({ path: ['bench', 'configurations', c], fields: Object.keys(configurationSchema.fields) });
  for (const w of names(['bench', 'workloads'])) out.push({ path: ['bench', 'workloads', w], fields: Object.keys(workloadSchema.fields) });
  out.push({ path: ['bench', 'expansion'], fields: Object.keys(expansionSchema.fields) });
  return out;
}

// Values no field of that type accepts (1.0, 0x1 and +1 are the integer 1 in YAML, 0x100 is 256: not here).
const NOT_STRING = ['42', 'true', 'null', '[]', '{}', '[x]', '{ a: 1 }', '3.5', '~'];
const NOT_LIST = ['x', '42', '{ a: 1 }', 'true', 'null', '[42]', '[[]]', '[{}]', '[Not-A-Name!]'];
const NOT_MAP = ['42', 'x', '[]', 'true', 'null', '[a]', '"{}"'];
const NOT_VERSION = ['0', '2', '-1', '1.5', '"1"', 'true', 'null', '[1]', '1e400', '.inf', '-.inf', '.nan', '99999999999999999999', 'one'];
const NOT_SIZE = ['0', '-1', '"-4MiB"', '1e400', '.inf', '.nan', '99999999999999999999YiB', '4.5MiB', '1TiB', '4294967296', '4GiB', '8GiB', '2.5', 'MiB', '""', 'true', '4MB', '[4MiB]', '"4 MiBs"'];
const NOT_MESSAGE = [...NOT_SIZE, '512KiB', '1MiB', '262145'];
const NOT_ENUM = ['Xen', 'hardwar', '42', 'null', '""', 'HARDWARE', 'l5', '[xen]'];

function badValueFor(key: string, rng: Rng): string {
  if (key === 'version') return rng.pick(NOT_VERSION);
  if (key === 'transfer') return rng.pick(NOT_SIZE);
  if (key === 'message') return rng.pick(NOT_MESSAGE);
  if (['mirrors', 'targets', 'depends', 'variants'].includes(key)) return rng.pick(NOT_LIST);
  if (['packages', 'source', 'options', 'bench', 'configurations', 'workloads', 'expansion'].includes(key)) return rng.pick(NOT_MAP);
  if (['backend', 'kind', 'direction'].includes(key)) return rng.pick(NOT_ENUM);
  return rng.pick(NOT_STRING);
}

/** Sets `path.key` to a YAML value given as text (parsed, so flow collections stay collections). */
function setText(doc: Document, path: (string | number)[], key: string, valueText: string): void {
  const value = parseDocument(`v: ${valueText}\n`).get('v', true) as Node;
  const map = (path.length === 0 ? doc.contents : doc.getIn(path, true)) as Node;
  if (!isMap(map)) throw new Error('not a map');
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  if (pair) pair.value = value; else map.items.push(doc.createPair(key, value));
}

function misspell(word: string, rng: Rng): string {
  const i = rng.int(word.length);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  switch (rng.int(5)) {
    case 0: return word.slice(0, i) + word.slice(i + 1); // drop
    case 1: return word.slice(0, i) + rng.pick([...letters]) + word.slice(i); // insert
    case 2: return i + 1 < word.length ? word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2) : word + 's'; // swap
    case 3: return word.slice(0, i) + rng.pick([...letters]) + word.slice(i + 1); // replace
    default: return word[0]!.toUpperCase() + word.slice(1); // capitalised
  }
}

const SYNTAX_OPS: ((line: string, rng: Rng) => string)[] = [
  (l) => l.replace(/}\s*$/, ''), // an unclosed flow mapping
  (l) => l + ' }', // a stray closer
  (l) => l + ' ]',
  (l) => l.replace(/: /, ': "'), // an unterminated quote
  (l) => l.replace(/: /, ': \''),
  (l) => l.replace(/^( +)/, (m) => '\t' + m.slice(1)), // a tab in the indentation
  (l) => l.replace(/: (.*)$/, ': $1: x'), // mapping values where none are allowed
  (l) => l.replace(/:/, ': - x\n-'),
  (l) => ' ' + l, // one space of extra indentation
  (l) => l.replace(/^  /, ' '), // one space less
  (l) => l + ' &a *b', // an anchor on an alias
  (l) => l.replace(/: /, ': @'), // a reserved indicator
  (l) => l.replace(/: /, ': `'),
  (l) => '%YAML 9.9\n' + l, // a directive inside a document
  (l) => l + '\n? [a, b\n',
  (l) => l.replace(/: /, ': { a: 1, a'),
  (_l, rng) => '\x00\x01\x02'.slice(0, 1 + rng.int(3)) + 'key: [',
];

function syntax(rng: Rng): { what: string; content: string } {
  const lines = BASE.split('\n');
  for (let tries = 0; tries < 100; tries++) {
    const at = rng.int(lines.length);
    const op = rng.int(SYNTAX_OPS.length);
    const changed = SYNTAX_OPS[op]!(lines[at]!, rng);
    if (changed === lines[at]) continue;
    const text = [...lines.slice(0, at), changed, ...lines.slice(at + 1)].join('\n');
    if (parseDocument(text, { uniqueKeys: true }).errors.length > 0) return { what: `syntax op ${op} at line ${at + 1}`, content: text };
  }
  return { what: 'syntax: unclosed flow sequence', content: BASE + '\nextra: [\n' };
}

function structural(kind: 'type' | 'key', rng: Rng): { what: string; content: string } {
  const doc = parseDocument(BASE);
  const maps = fixedMaps(doc);
  const m = rng.pick(maps);
  const present = m.path.length === 0 ? (doc.contents as { items: { key: { value: string } }[] }).items.map((p) => p.key.value)
    : ((doc.getIn(m.path, true) as { items?: { key: { value: string } }[] } | undefined)?.items ?? []).map((p) => p.key.value);
  if (kind === 'type') {
    const key = rng.pick(m.fields);
    const value = badValueFor(key, rng);
    setText(doc, m.path, key, value);
    return { what: `${[...m.path, key].join('.')}: ${value}`, content: String(doc) };
  }
  // An unknown key: a misspelling of a present key (renamed in place), or one added.
  const fields = new Set(m.fields);
  let name = '';
  for (let tries = 0; tries < 50 && (name === '' || fields.has(name)); tries++) {
    name = present.length > 0 && rng.int(3) > 0 ? misspell(rng.pick(present), rng) : rng.pick(['dependencies', 'Version', 'package', 'src', 'env', 'colour', 'mirror', 'target', 'variant', 'option', 'benchmark']);
  }
  if (fields.has(name) || name === '') name = 'unknown-key';
  const map = (m.path.length === 0 ? doc.contents : doc.getIn(m.path, true)) as Node;
  const pair = isMap(map) && present.length > 0 && rng.int(2) === 0 ? map.items[rng.int(map.items.length)] : undefined;
  const old = pair && isScalar(pair.key) ? String(pair.key.value) : undefined;
  if (pair && isScalar(pair.key) && !present.includes(name)) pair.key.value = name;
  else setText(doc, m.path, name, '1');
  return { what: `${m.path.join('.') || '(top)'}: ${old ? `${old} renamed ` : 'added '}${name}`, content: String(doc) };
}

function duplicate(rng: Rng): { what: string; content: string } {
  const lines = BASE.split('\n');
  const keyLines = lines.map((l, i) => [l, i] as const).filter(([l]) => /^\s*[A-Za-z0-9_-]+\s*:/.test(l));
  const [line, at] = rng.pick(keyLines);
  const copy = rng.int(2) === 0 ? line : line.replace(/:.*$/, ': {}');
  return { what: `line ${at + 1} duplicated`, content: [...lines.slice(0, at + 1), copy, ...lines.slice(at + 1)].join('\n') };
}

function cycle(rng: Rng): { what: string; content: string } {
  const n = 1 + rng.int(5);
  const names = Array.from({ length: n }, (_, i) => `p${i}`);
  const deps = new Map(names.map((p, i) => [p, new Set([names[(i + 1) % n]!])]));
  for (let e = rng.int(n); e > 0; e--) deps.get(rng.pick(names))!.add(rng.pick(names)); // extra edges
  const pkgs = names.map((p) => `  ${p}:\n    recipe: crc32\n    source: { path: packages/crc32 }\n    depends: [${[...deps.get(p)!].join(', ')}]`);
  return { what: `cycle of ${n}`, content: `version: 1\npackages:\n${pkgs.join('\n')}\n` };
}

function number(rng: Rng): { what: string; content: string } {
  const doc = parseDocument(BASE);
  const where = rng.pick([[[], 'version'], [['bench'], 'transfer'], [['bench'], 'message']] as const);
  const value = where[1] === 'version' ? rng.pick(NOT_VERSION) : where[1] === 'transfer' ? rng.pick(NOT_SIZE) : rng.pick(NOT_MESSAGE);
  setText(doc, [...where[0]], where[1], value);
  return { what: `${[...where[0], where[1]].join('.')}: ${value}`, content: String(doc) };
}

const ODD = ['\u0430' /* Cyrillic a */, '\u200b' /* zero-width space */, '\u202e' /* right-to-left override */, '\u{1f4e6}', '\u0301' /* combining acute */, '\ufeff', '\u00a0', '\uff11' /* full-width 1 */, '\ud800' /* a lone surrogate */];

function unicode(rng: Rng): { what: string; content: string | Buffer } {
  const odd = rng.pick(ODD);
  switch (rng.int(6)) {
    case 0: return { what: 'odd char in a top-level key', content: BASE.replace('packages:', `pa${odd}ckages:`) };
    case 1: return { what: 'odd char as a package name', content: BASE.replace('  crc32:', `  crc${odd}32:`) };
    case 2: return { what: 'odd char in a backend', content: BASE.replace('backend: xen }', `backend: xe${odd}n }`) };
    case 3: return { what: 'odd char in a variant', content: BASE.replace('guest: guest-kernel@native', `guest: guest-kernel@nat${odd}ive`).replace('  crc32:\n', `  crc32:\n    variants: [nat${odd}ive]\n`) };
    case 4: return { what: 'full-width digit as version', content: BASE.replace('version: 1', 'version: \uff11') };
    default: {
      // Bytes that are not UTF-8 at all, in a key.
      const [head, tail] = [BASE.slice(0, BASE.indexOf('packages:')), BASE.slice(BASE.indexOf('packages:') + 3)];
      return { what: 'invalid UTF-8 in a key', content: Buffer.concat([Buffer.from(head + 'pac'), Buffer.from([0xed, 0xa0, 0x80, 0xff]), Buffer.from(tail)]) };
    }
  }
}

const EMPTY = ['', '\n', '   \n\n', '# only a comment\n', '---\n', '---\n...\n', '\ufeff', 'null\n', '~\n', '[]\n', '42\n', '"world"\n', '{}\n', 'version: 1\n', '\t\n'];

function huge(rng: Rng): { what: string; content: string } {
  switch (rng.int(5)) {
    case 0: return { what: '4 MB comment then a misspelt key', content: '#' + 'x'.repeat(4 << 20) + '\n' + BASE.replace('packages:', 'pakages:') };
    case 1: return { what: '2 MB backend value', content: BASE.replace('backend: hardware }', `backend: ${'h'.repeat(2 << 20)} }`) };
    case 2: return { what: '20000 packages with no recipe', content: 'version: 1\npackages:\n' + Array.from({ length: 20000 }, (_, i) => `  q${i}: { recipe: none-${i} }`).join('\n') + '\n' };
    case 3: return { what: '100000 nested lists', content: 'version: 1\npackages: ' + '['.repeat(100000) + ']'.repeat(100000) + '\n' };
    default: return { what: '3000 nested mappings in options', content: 'version: 1\npackages:\n  crc32:\n    options:\n' + Array.from({ length: 3000 }, (_, i) => '  '.repeat(i + 3) + 'a:').join('\n') + ' 1\n' };
  }
}

function structure(rng: Rng): { what: string; content: string } {
  const cases: [string, string][] = [
    ['no packages key', BASE.replace(/^packages:[\s\S]*?(?=^bench:)/m, '')],
    ['an empty source', BASE.replace('source: { path: packages/crc32 }', 'source: {}')],
    ['two source kinds', BASE.replace('source: { path: packages/crc32 }', 'source: { path: packages/crc32, deb: crc32 }')],
    ['a path outside the world', BASE.replace('source: { path: packages/crc32 }', 'source: { path: ../../etc }')],
    ['an absolute path', BASE.replace('source: { path: packages/crc32 }', 'source: { path: /etc }')],
    ['a url without sha256', BASE.replace('source: { path: packages/crc32 }', 'source: { url: "https://example.org/a.tar" }')],
    ['no variants', BASE.replace('  crc32:\n', '  crc32:\n    variants: []\n')],
    ['a target of no package', BASE.replace('version: 1\n', 'version: 1\ntargets: [crc33]\n')],
    ['a configuration without guest', BASE.replace('hardware:             { title: hardware, guest: guest-kernel@native, backend: hardware }', 'hardware: { title: hardware, backend: hardware }')],
    ['expansion of no configuration', BASE.replace('expansion: { configuration: hardware', 'expansion: { configuration: hardwired')],
    ['no configurations', BASE.replace(/^  configurations:[\s\S]*?(?=^  workloads:)/m, '  configurations: {}\n')],
    ['no workloads', BASE.replace(/^  workloads:[\s\S]*?(?=^  expansion:)/m, '  workloads: {}\n')],
    ['a guest that is not package@variant', BASE.replace('guest: guest-kernel@native, backend: hardware }', 'guest: guest-kernel, backend: hardware }')],
    ['a depends on a missing package', BASE.replace('  wedge: {}', '  wedge: { depends: [guest-kernal] }')],
    ['a recipe that does not exist', BASE.replace('  wedge: {}', '  wedge: { recipe: wedgie }')],
    ['an option the recipe lacks', BASE.replace('  wedge: {}', '  wedge: { options: { colour: blue } }')],
    ['a deb source with sha256', BASE.replace('source: { path: packages/crc32 }', `source: { deb: crc32, sha256: ${'0'.repeat(64)} }`)],
  ];
  const [what, content] = rng.pick(cases);
  if (content === BASE) throw new Error(`fuzz case '${what}' no longer changes world.yaml; update the generator`);
  return { what, content };
}

/** The case of one seed: the same file for the same seed, on every machine. */
export function generate(seed: number, kind?: Kind): Case {
  const rng = new Rng(seed * 2654435761);
  const k = kind ?? KINDS[seed % KINDS.length]!;
  switch (k) {
    case 'syntax': return { seed, kind: k, ...syntax(rng) };
    case 'type': case 'key': return { seed, kind: k, ...structural(k, rng) };
    case 'duplicate': return { seed, kind: k, ...duplicate(rng) };
    case 'cycle': return { seed, kind: k, ...cycle(rng) };
    case 'number': return { seed, kind: k, ...number(rng) };
    case 'unicode': return { seed, kind: k, ...unicode(rng) };
    case 'empty': { const text = rng.pick(EMPTY); return { seed, kind: k, what: `nearly empty: ${JSON.stringify(text)}`, content: text }; }
    case 'huge': return { seed, kind: k, ...huge(rng) };
    case 'directory': return { seed, kind: k, what: rng.int(2) === 0 ? 'an empty directory' : 'a directory holding a world.yaml', content: null };
    case 'structure': return { seed, kind: k, ...structure(rng) };
  }
}

export interface Verdict { case: Case; ok: boolean; problems: string[]; exitCode: number | undefined; stderr: string }

/**
 * Writes the case into a fresh world directory (the repository's recipes linked in, so package
 * checks run for real) and runs `world build` on it.
 */
export async function check(c: Case, timeoutMs = 60_000): Promise<Verdict> {
  const dir = mkdtempSync(join(tmpdir(), 'world-fuzz-'));
  try {
    symlinkSync(join(repo, 'recipes'), join(dir, 'recipes'));
    const file = join(dir, 'world.yaml');
    if (c.content === null) {
      mkdirSync(file);
      if (c.what.includes('holding')) writeFileSync(join(file, 'world.yaml'), BASE);
    } else {
      writeFileSync(file, c.content);
    }
    const r = await execa('node', [worldBin, 'build', '--no-wait', '--offline'], { cwd: dir, reject: false, timeout: timeoutMs, env: { CI: 'true', NO_COLOR: '1' } });
    const stderr = r.stderr ?? '';
    const problems: string[] = [];
    if (r.timedOut) problems.push(`no answer in ${timeoutMs / 1000} s`);
    if (r.exitCode !== 2) problems.push(`exit status ${r.exitCode ?? r.signal}, not 2`);
    if (!/^world\.yaml:\d+:\d+: /m.test(stderr)) problems.push('no world.yaml:line:col in the error');
    if (/^\s+at .+:\d+:\d+\)?$/m.test(stderr) || /\b(TypeError|RangeError|ReferenceError|SyntaxError)\b/.test(stderr) || /node:internal/.test(stderr)) problems.push('a JavaScript stack trace or error class');
    if (existsSync(join(dir, '.world'))) problems.push('.world/ was created');
    return { case: c, ok: problems.length === 0, problems, exitCode: r.exitCode, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs cases `jobs` at a time, in seed order; onVerdict sees each as it finishes. */
export async function checkAll(cases: Case[], jobs: number, onVerdict?: (v: Verdict) => void): Promise<Verdict[]> {
  const out: Verdict[] = new Array(cases.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const i = next++;
      out[i] = await check(cases[i]!);
      onVerdict?.(out[i]!);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  return out;
}
