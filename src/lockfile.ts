// world.lock: what world.yaml and the recipes resolve to for each package's source — the URLs a
// fetch will try, in order, and the sha256 each must match. `world lock` writes it; a build compares
// it with what the world resolves to now and says which packages changed if they differ.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from './atomic.ts';
import { candidateUrls } from './fetch.ts';
import { canonicalJson, type Json } from './hash.ts';
import type { World } from './manifest/load.ts';

export interface LockFile { version: 1; packages: { [name: string]: Json } }

/** world.yaml locks to world.lock; another manifest x.yaml to x.lock beside it. */
export function lockPath(world: World): string {
  return join(dirname(world.file), basename(world.file).replace(/\.ya?ml$/, '') + '.lock');
}

export function resolveLock(world: World): LockFile {
  const packages: { [name: string]: Json } = {};
  for (const name of [...world.packages.keys()].sort()) {
    const p = world.packages.get(name)!;
    const s = p.source;
    const source: Json = s === null ? null
      : s.kind === 'url' ? { url: s.url, urls: candidateUrls(s.url, [...s.mirrors, ...world.mirrors], false), sha256: s.sha256 }
      : s.kind === 'file' ? { file: s.file, sha256: s.sha256 }
      : { path: s.path };
    packages[name] = { recipe: p.recipeFile, variants: p.variants, source };
  }
  return { version: 1, packages };
}

/** Pretty JSON with sorted keys: the same world always writes the same bytes. */
export function formatLock(lock: LockFile): string {
  return JSON.stringify(JSON.parse(canonicalJson(lock as unknown as Json)), null, 2) + '\n';
}

export function writeLock(world: World): string {
  const path = lockPath(world);
  writeFileAtomic(path, formatLock(resolveLock(world)));
  return path;
}

/** Why the lock on disk no longer matches the world; empty if it matches or there is none. */
export function staleLockReasons(world: World): string[] {
  let onDisk: LockFile;
  try { onDisk = JSON.parse(readFileSync(lockPath(world), 'utf8')) as LockFile; } catch { return []; }
  const now = resolveLock(world);
  const reasons: string[] = [];
  const names = [...new Set([...Object.keys(onDisk.packages ?? {}), ...Object.keys(now.packages)])].sort();
  for (const n of names) {
    const a = onDisk.packages?.[n];
    const b = now.packages[n];
    if (a === undefined) reasons.push(`${n} is not in the lock`);
    else if (b === undefined) reasons.push(`${n} is in the lock but not in the world`);
    else if (canonicalJson(a) !== canonicalJson(b)) reasons.push(`${n} changed`);
  }
  return reasons;
}
