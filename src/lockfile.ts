// world.lock: what world.yaml and the recipes resolve to for each package's source — the URLs a
// fetch will try, in order, and the sha256 each must match. `world lock` writes it; a build compares
// it with what the world resolves to now and says which packages changed if they differ.
// A deb source is the one thing the lock adds to world.yaml: its version, file and sha256, asked
// of apt by `world lock` (src/deb.ts) and kept until `world lock --update <package>`; builds read
// them back from here (applyLockPins), so a build never depends on what apt serves that day.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from './atomic.ts';
import { candidateUrls } from './fetch.ts';
import { resolveCandidate, type DebPin } from './deb.ts';
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
      : s.kind === 'deb' ? { deb: s.deb, ...(s.pin ? { version: s.pin.version, file: s.pin.file, sha256: s.pin.sha256 } : {}) }
      : { path: s.path };
    packages[name] = { recipe: p.recipeFile, variants: p.variants, source };
  }
  return { version: 1, packages };
}

/** Pretty JSON with sorted keys: the same world always writes the same bytes. */
export function formatLock(lock: LockFile): string {
  return JSON.stringify(JSON.parse(canonicalJson(lock as unknown as Json)), null, 2) + '\n';
}

function readLock(world: World): LockFile | null {
  try { return JSON.parse(readFileSync(lockPath(world), 'utf8')) as LockFile; } catch { return null; }
}

/** The pin world.lock holds for a deb source, if it holds one for that same Debian package. */
function pinIn(lock: LockFile | null, pkg: string, deb: string): DebPin | null {
  const entry = lock?.packages?.[pkg] as { source?: { deb?: unknown; version?: unknown; file?: unknown; sha256?: unknown } } | undefined;
  const s = entry?.source;
  if (!s || s.deb !== deb || typeof s.version !== 'string' || typeof s.file !== 'string' ||
      typeof s.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(s.sha256)) return null;
  return { version: s.version, file: s.file, sha256: s.sha256 };
}

/** Gives every deb source the pin world.lock holds for it (left null when it holds none). */
export function applyLockPins(world: World): void {
  const lock = readLock(world);
  for (const p of world.packages.values()) {
    if (p.source?.kind === 'deb') p.source.pin = pinIn(lock, p.name, p.source.deb);
  }
}

/**
 * Writes world.lock. Deb sources keep their pin unless named in `update` (or not pinned yet):
 * those are resolved to what apt serves now. Throws when `update` names a package that is not a
 * deb source of this world, or apt cannot resolve one.
 */
export async function writeLock(world: World, update: readonly string[] = [], resolve = resolveCandidate): Promise<string> {
  for (const name of update) {
    const p = world.packages.get(name);
    if (!p) throw new Error(`--update ${name}: no package '${name}' in this world`);
    if (p.source?.kind !== 'deb') throw new Error(`--update ${name}: only deb sources are resolved by world lock; ${name}'s source is ${p.source?.kind ?? 'none'} (edit world.yaml instead)`);
  }
  applyLockPins(world);
  for (const p of world.packages.values()) {
    if (p.source?.kind === 'deb' && (p.source.pin === null || update.includes(p.name))) p.source.pin = await resolve(p.source.deb);
  }
  const path = lockPath(world);
  writeFileAtomic(path, formatLock(resolveLock(world)));
  return path;
}

/** Why the lock on disk no longer matches the world; empty if it matches or there is none. */
export function staleLockReasons(world: World): string[] {
  const onDisk = readLock(world);
  if (!onDisk) return [];
  const now = resolveLock(world);
  const reasons: string[] = [];
  const names = [...new Set([...Object.keys(onDisk.packages ?? {}), ...Object.keys(now.packages)])].sort();
  for (const n of names) {
    const a = onDisk.packages?.[n];
    const b = now.packages[n];
    const unpinned = world.packages.get(n)?.source;
    if (unpinned?.kind === 'deb' && unpinned.pin === null) reasons.push(`${n}'s deb source ${unpinned.deb} is not pinned`);
    else if (a === undefined) reasons.push(`${n} is not in the lock`);
    else if (b === undefined) reasons.push(`${n} is in the lock but not in the world`);
    else if (canonicalJson(a) !== canonicalJson(b)) reasons.push(`${n} changed`);
  }
  return reasons;
}
