// Reads world.yaml into a checked World: structure first (schema.ts), then what needs the recipes
// (options, variants), then the package graph's names. Every problem is collected with its position;
// if there is any, nothing is returned and nothing runs.
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { LineCounter, isAlias, isCollection, isMap, isScalar, parseDocument, visit, type Node } from 'yaml';
import { Checker, keyNodeOf, shorten, valueNodeOf, type KeyPath } from './check.ts';
import { ManifestError, type Position } from './errors.ts';
import { worldSchema } from './schema.ts';
import { readBench, type BenchDecl } from './bench.ts';
import { closest } from './suggest.ts';
import { listRecipes, loadRecipe, recipeFile } from '../recipe-loader.ts';
import type { DebPin } from '../deb.ts';
import type { OptionDecl, OptionValue, Recipe, SourceDecl } from '../recipe.ts';

export type Source =
  | { kind: 'url'; url: string; sha256: string; mirrors: string[] }
  | { kind: 'file'; file: string; sha256: string }
  | { kind: 'path'; path: string }
  /** A Debian package; `pin` is what world.lock pins it to (null until `world lock` ran). */
  | { kind: 'deb'; deb: string; pin: DebPin | null };

export interface PackageDecl {
  name: string;
  recipeName: string;
  recipe: Recipe;
  /** The recipe module, relative to the root. */
  recipeFile: string;
  source: Source | null;
  depends: string[];
  variants: string[];
  options: Record<string, OptionValue>;
  pos: Position;
}

export interface World {
  /** Absolute path of world.yaml. */
  file: string;
  /** The directory holding world.yaml; every relative path in it is relative to this. */
  root: string;
  mirrors: string[];
  targets: string[];
  packages: Map<string, PackageDecl>;
  /** The benchmark matrix (`bench:`), if world.yaml declares one. */
  bench?: BenchDecl;
}

export async function loadWorld(file: string): Promise<World> {
  const abs = resolve(file);
  const root = dirname(abs);
  const shown = relative(process.cwd(), abs) || abs;
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new ManifestError([{ file: shown, pos: { line: 1, col: 1 }, path: '', message: `cannot read: ${(err as Error).message}` }]);
  }
  const lines = new LineCounter();
  // Duplicate keys are found below in one pass per mapping; the parser's own check compares every
  // key with every other (20,000 packages took minutes).
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: false });
  const c = new Checker(shown, lines);
  if (doc.errors.length === 0) duplicateKeys(doc.contents as Node | null, c);
  if (doc.errors.length > 0) {
    throw new ManifestError(doc.errors.map((e) => ({
      file: shown,
      pos: e.linePos?.[0] ?? { line: 1, col: 1 },
      path: '',
      // The parser recurses per level of nesting; running out of stack means the file nests too deeply.
      message: `YAML syntax: ${/Maximum call stack/.test(e.message) ? 'nested too deeply to read'
        : e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
    })));
  }
  if (c.issues.length > 0) throw new ManifestError(c.issues);
  const top = worldSchema.read(doc.contents as Node | null, [], c);
  if (!top || !top.packages) throw new ManifestError(c.issues);

  const available = listRecipes(root);
  const packages = new Map<string, PackageDecl>();
  for (const [name, { value: p, keyNode }] of top.packages!) {
    const path: KeyPath = ['packages', name];
    const recipeName = p.recipe ?? name;
    if (!available.includes(recipeName)) {
      const hint = closest(recipeName, available);
      c.report(keyNodeOf(p.node, 'recipe') ?? keyNode, [...path, 'recipe'],
        `no recipe '${recipeName}' (expected a module recipes/${recipeName}.ts)${hint ? `; did you mean '${hint}'?` : ''}`);
      continue;
    }
    let recipe: Recipe;
    try {
      recipe = await loadRecipe(root, recipeName);
    } catch (err) {
      c.report(keyNodeOf(p.node, 'recipe') ?? keyNode, [...path, 'recipe'], (err as Error).message);
      continue;
    }
    const source = readSource(p.source ?? null, recipe.source, [...path, 'source'], root, c, keyNode);
    const recipeVariants = recipe.variants ?? ['default'];
    const variants = p.variants ?? recipeVariants;
    (p.variants ?? []).forEach((v, i) => {
      if (!recipeVariants.includes(v)) {
        const hint = closest(v, recipeVariants);
        c.report((valueNodeOf(p.node, 'variants') as { items?: Node[] } | undefined)?.items?.[i] ?? keyNode, [...path, 'variants', i],
          `recipe '${recipeName}' has no variant '${v}'; expected one of: ${recipeVariants.join(', ')}${hint ? `; did you mean '${hint}'?` : ''}`);
      }
    });
    if (variants.length === 0) c.report(keyNodeOf(p.node, 'variants') ?? keyNode, [...path, 'variants'], 'expected at least one variant');
    const options = readOptions(valueNodeOf(p.node, 'options') ?? null, recipe.options ?? {}, recipeName, [...path, 'options'], c);
    packages.set(name, {
      name, recipeName, recipe, recipeFile: relative(root, recipeFile(root, recipeName)),
      source, depends: p.depends ?? [], variants, options, pos: c.position(keyNode),
    });
  }

  // Names that refer to packages: dependencies and targets.
  const names = [...packages.keys(), ...[...top.packages!.keys()].filter((n) => !packages.has(n))];
  for (const [name, { value: p }] of top.packages!) {
    (p.depends ?? []).forEach((d, i) => {
      if (!names.includes(d)) {
        const node = (valueNodeOf(p.node, 'depends') as { items?: Node[] } | undefined)?.items?.[i] ?? p.node;
        const hint = closest(d, names);
        c.report(node, ['packages', name, 'depends', i], `no package '${d}' in this world${hint ? `; did you mean '${hint}'?` : ''}`);
      }
      if (d === name) c.report(p.node, ['packages', name, 'depends', i], 'a package cannot depend on itself');
    });
  }
  (top.targets ?? []).forEach((t, i) => {
    const pkg = t.split(/[@:]/)[0]!;
    if (!names.includes(pkg)) {
      const node = (valueNodeOf(top.node, 'targets') as { items?: Node[] } | undefined)?.items?.[i] ?? top.node;
      const hint = closest(pkg, names);
      c.report(node, ['targets', i], `no package '${pkg}' in this world${hint ? `; did you mean '${hint}'?` : ''}`);
    }
  });
  const bench = top.bench ? readBench(top.bench, c) : undefined;
  if (c.issues.length > 0) throw new ManifestError(c.issues);
  return { file: abs, root, mirrors: top.mirrors ?? [], targets: top.targets ?? [...packages.keys()], packages, ...(bench ? { bench } : {}) };
}

function readSource(decl: { node: Node; url?: string; file?: string; path?: string; deb?: string; sha256?: string; mirrors?: string[] } | null,
  fallback: SourceDecl | undefined, path: KeyPath, root: string, c: Checker, pkgNode: Node): Source | null {
  if (decl === null) {
    if (!fallback) return null;
    if ('url' in fallback) return { kind: 'url', url: fallback.url, sha256: fallback.sha256, mirrors: fallback.mirrors ?? [] };
    if ('file' in fallback) return { kind: 'file', file: fallback.file, sha256: fallback.sha256 };
    if ('deb' in fallback) return { kind: 'deb', deb: fallback.deb, pin: null };
    return { kind: 'path', path: fallback.path };
  }
  const kinds = (['url', 'file', 'path', 'deb'] as const).filter((k) => decl[k] !== undefined);
  if (kinds.length !== 1) {
    c.report(decl.node ?? pkgNode, path, `expected exactly one of url, file, path or deb; got ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`);
    return null;
  }
  const kind = kinds[0]!;
  if (kind === 'deb') {
    // The version and sha256 come from world.lock (`world lock`), not from world.yaml.
    for (const k of ['sha256', 'mirrors'] as const) {
      if (decl[k] !== undefined) {
        c.report(keyNodeOf(decl.node, k) ?? decl.node, [...path, k], k === 'sha256'
          ? 'a deb source is pinned by `world lock` (world.lock holds its version and sha256); remove sha256'
          : 'mirrors apply only to url sources (a deb source uses the world\'s mirrors, then apt)');
      }
    }
    return { kind, deb: decl.deb!, pin: null };
  }
  if (kind !== 'path' && decl.sha256 === undefined) {
    c.report(decl.node, path, `a ${kind} source needs sha256 (64 hex digits of the expected file)`);
    return null;
  }
  if (kind === 'path' && decl.sha256 !== undefined) {
    c.report(keyNodeOf(decl.node, 'sha256') ?? decl.node, [...path, 'sha256'], 'a path source is hashed as a tree; sha256 applies only to url and file');
  }
  if (kind !== 'url' && decl.mirrors !== undefined) {
    c.report(keyNodeOf(decl.node, 'mirrors') ?? decl.node, [...path, 'mirrors'], 'mirrors apply only to url sources');
  }
  if (kind === 'url') return { kind, url: decl.url!, sha256: decl.sha256!, mirrors: decl.mirrors ?? [] };
  const rel = (kind === 'file' ? decl.file : decl.path)!;
  if (rel.startsWith('/') || relative(root, resolve(root, rel)).startsWith('..')) {
    c.report(valueNodeOf(decl.node, kind) ?? decl.node, [...path, kind], `expected a path inside the world's directory, got ${shorten(JSON.stringify(rel))}`);
  }
  return kind === 'file' ? { kind, file: rel, sha256: decl.sha256! } : { kind, path: rel };
}

function readOptions(node: Node | null, decls: Record<string, OptionDecl>, recipeName: string, path: KeyPath, c: Checker): Record<string, OptionValue> {
  const out: Record<string, OptionValue> = {};
  for (const [k, d] of Object.entries(decls)) out[k] = d.default;
  if (node === null) return out;
  if (!isMap(node)) {
    c.report(node, path, 'expected a mapping of option names to values');
    return out;
  }
  const names = Object.keys(decls);
  for (const pair of node.items) {
    const keyNode = pair.key as Node;
    const key = isScalar(keyNode) ? String(keyNode.value) : '?';
    // Own keys only: an option named 'constructor' or '__proto__' is unknown, not Object's.
    const decl = Object.hasOwn(decls, key) ? decls[key] : undefined;
    if (!decl) {
      const hint = closest(key, names);
      c.report(keyNode, [...path, key], `recipe '${recipeName}' has no option '${key}'; expected one of: ${names.join(', ') || '(none)'}${hint ? `; did you mean '${hint}'?` : ''}`);
      continue;
    }
    if (isAlias(pair.value) || (isCollection(pair.value) && hasAlias(pair.value))) {
      c.report(pair.value as Node, [...path, key], 'expected a value written out; world.yaml does not expand aliases (*name)');
      continue;
    }
    const v = isScalar(pair.value) ? pair.value.value : (pair.value as { toJSON?: () => unknown } | null)?.toJSON?.();
    const ok = decl.type === 'integer' ? typeof v === 'number' && Number.isInteger(v)
      : decl.type === 'string[]' ? Array.isArray(v) && v.every((x) => typeof x === 'string')
      : typeof v === decl.type;
    if (!ok) {
      c.report(pair.value as Node, [...path, key], `expected ${decl.type === 'string[]' ? 'a list of strings' : `a ${decl.type}`} (${decl.doc}), got ${shorten(JSON.stringify(v) ?? 'nothing')}`);
      continue;
    }
    out[key] = v as OptionValue;
  }
  return out;
}

/** Whether an alias appears anywhere inside a collection. */
function hasAlias(node: Node): boolean {
  let found = false;
  visit(node, { Alias() { found = true; return visit.BREAK; } });
  return found;
}

/** Reports every key written twice in the same mapping, at the second one, naming the first. */
function duplicateKeys(root: Node | null, c: Checker): void {
  if (root === null) return;
  visit(root, {
    Map(_key, map) {
      const seen = new Map<string, Node>();
      for (const pair of map.items) {
        const k = pair.key as Node | null;
        const name = isScalar(k) ? String(k.value) : JSON.stringify((k as { toJSON?: () => unknown } | null)?.toJSON?.() ?? null);
        const first = seen.get(name);
        if (first) {
          const at = c.position(first);
          c.report(k, [], `YAML syntax: Map keys must be unique: '${name}' is written twice (first at line ${at.line}:${at.col})`);
        } else if (k) {
          seen.set(name, k);
        }
      }
    },
  });
}
