// The default unpack stage for downloaded archives: tar extracts them, and a single top-level
// directory (the usual `name-1.2/`) is stripped so the source tree is the artifact's root.
import { readdirSync, renameSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Source } from './manifest/load.ts';
import type { Runner } from './run/runner.ts';

const ARCHIVE = /\.(tar|tar\.gz|tgz|tar\.bz2|tbz2|tar\.xz|txz)$/;

export function sourceFileName(source: Source): string {
  if (source.kind === 'url') return new URL(source.url).pathname.split('/').pop() || 'download';
  if (source.kind === 'file') return source.file.split('/').pop()!;
  if (source.kind === 'deb') return source.pin?.file ?? `${source.deb}.deb`;
  return '';
}

/** The sha256 a fetched source must have: given for url and file, pinned in world.lock for deb
 *  (null while unpinned), none for a path. */
export function sourceSha256(source: Source): string | null {
  if (source.kind === 'url' || source.kind === 'file') return source.sha256;
  if (source.kind === 'deb') return source.pin?.sha256 ?? null;
  return null;
}

export function isArchive(source: Source): boolean {
  return ARCHIVE.test(sourceFileName(source));
}

export async function unpackArchive(archive: string, out: string, run: Runner): Promise<void> {
  await run('tar', ['-xf', archive, '-C', out]);
  const entries = readdirSync(out);
  if (entries.length === 1 && statSync(join(out, entries[0]!)).isDirectory()) {
    // Moved aside first: the directory may hold an entry with its own name.
    const top = join(out, '.world-unpack-top');
    renameSync(join(out, entries[0]!), top);
    for (const e of readdirSync(top)) renameSync(join(top, e), join(out, e));
    rmdirSync(top);
  }
}
