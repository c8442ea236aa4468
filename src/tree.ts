// Hashing a tree of files: the identity of a `path` source or a declared input directory. Files
// git ignores are left out (build outputs in the tree must not change the key); the hash covers
// each file's relative path, executable bit and contents, in sorted order.
import { execFileSync } from 'node:child_process';
import { lstatSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { hashJson, sha256 } from './hash.ts';
import type { FileHashes } from './file-hashes.ts';

export interface TreeHash {
  /** sha256 over the sorted file list; 'missing' if the path does not exist. */
  hash: string;
  /** Per-file hashes (relative path -> sha256), kept so `world plan` can say which file changed. */
  files: Record<string, string>;
}

/** The files git sees under `rel` (tracked, or untracked and not ignored), relative to `root`; undefined outside a git work tree. */
export function gitFiles(root: string, rel: string): string[] | undefined {
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', rel || '.'],
      { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
    return out.split('\0').filter((f) => f.length > 0);
  } catch {
    return undefined;
  }
}

function walk(root: string, dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    if (name === '.git' || name === '.world' || name === 'node_modules') continue;
    const path = join(dir, name);
    const st = lstatSync(path);
    if (st.isDirectory()) walk(root, path, out);
    else out.push(relative(root, path).split(sep).join('/'));
  }
}

/**
 * Lists the files under a directory `rel` from one listing of the whole root: the same files
 * `gitFiles(root, rel)` lists, for one git process instead of one per tree. Paths that leave the
 * root, or a root outside git, get undefined (the caller then asks git for `rel` or walks it).
 */
export function listingFilter(listing: string[] | undefined): (rel: string) => string[] | undefined {
  return (rel) => {
    const dir = rel.replace(/^\.\//, '').replace(/\/+$/, '');
    if (!listing || dir === '' || dir === '.' || dir.startsWith('/') || dir.split('/').includes('..')) return undefined;
    return listing.filter((f) => f.startsWith(dir + '/'));
  };
}

/**
 * Hashes `rel` (a file or directory relative to `root`). `list` gives a directory's files when
 * the caller already knows them (see listingFilter); by default git is asked for that directory.
 * With `hashes`, a file whose stat is unchanged since it was last hashed is not read again.
 */
export function hashTree(root: string, rel: string, list: (rel: string) => string[] | undefined = (r) => gitFiles(root, r),
  hashes?: FileHashes): TreeHash {
  const abs = join(root, rel);
  let st;
  try { st = statSync(abs); } catch { return { hash: 'missing', files: {} }; }
  let names: string[];
  if (st.isDirectory()) {
    names = list(rel) ?? gitFiles(root, rel) ?? (() => { const o: string[] = []; walk(root, abs, o); return o; })();
  } else {
    names = [rel];
  }
  const files: Record<string, string> = {};
  const prefix = st.isDirectory() && rel ? rel.replace(/\/$/, '') + '/' : '';
  for (const f of [...names].sort()) {
    const path = join(root, f);
    let lst;
    try { lst = lstatSync(path, { bigint: true }); } catch { continue; } // listed by git but deleted in the work tree
    const name = st.isDirectory() ? f.slice(prefix.length) : f.split('/').pop()!;
    if (lst.isSymbolicLink()) files[name] = 'link:' + readlinkSync(path);
    else if (lst.isFile()) files[name] = ((lst.mode & 0o111n) ? 'x:' : '') + (hashes ? hashes.sha256(f, path, lst) : sha256(readFileSync(path)));
  }
  return { hash: hashJson(files), files };
}

/** Hashes a directory outside any repository (an artifact): every file, no ignore rules. */
export function hashDir(dir: string): TreeHash {
  const list: string[] = [];
  walk(dir, dir, list);
  const files: Record<string, string> = {};
  for (const f of list.sort()) {
    const path = join(dir, f);
    const lst = lstatSync(path);
    if (lst.isSymbolicLink()) files[f] = 'link:' + readlinkSync(path);
    else if (lst.isFile()) files[f] = ((lst.mode & 0o111) ? 'x:' : '') + sha256(readFileSync(path));
  }
  return { hash: hashJson(files), files };
}
