// Whether this process runs the JavaScript that bin/compile.js put under dist/ (started by
// bin/world.js) or the TypeScript sources through tsx (tests, scripts), and how to load a module
// by its .ts path in either case: recipes are imported by path at run time, and a world outside
// this tree brings recipes that were never compiled.
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface CompiledTree {
  /** The repository whose sources were compiled. */
  root: string;
  /** Its dist/ directory. */
  dist: string;
}

/** Set by bin/world.js before it imports the compiled CLI; undefined under tsx. */
export const compiledTree = (globalThis as Record<symbol, unknown>)[Symbol.for('world.compiled')] as CompiledTree | undefined;

/** The compiled form of a .ts file of this tree, or null (running under tsx, or not compiled). */
export function compiledFile(tsPath: string): string | null {
  if (!compiledTree) return null;
  let real: string;
  try { real = realpathSync(tsPath); } catch { return null; }
  const rel = relative(compiledTree.root, real);
  if (rel.startsWith('..') || isAbsolute(rel) || !rel.endsWith('.ts')) return null;
  const js = join(compiledTree.dist, `${rel.slice(0, -3)}.js`);
  return existsSync(js) ? js : null;
}

let tsxRegistered = false;

/**
 * Imports a TypeScript module by path: its compiled form when there is one; otherwise the source,
 * registering tsx first when this process runs compiled code (which costs tsx's start-up once).
 */
export async function importTs(tsPath: string): Promise<unknown> {
  const js = compiledFile(tsPath);
  if (js) return import(pathToFileURL(js).href);
  if (compiledTree && !tsxRegistered) {
    const { register } = await import('tsx/esm/api');
    register();
    tsxRegistered = true;
  }
  return import(pathToFileURL(tsPath).href);
}
