// Hashing a tree of files: the identity of a `path` source or a declared input directory. Files
// git ignores are left out (build outputs in the tree must not change the key); the hash covers
// each file's relative path, executable bit and contents, in sorted order.
import { execFileSync } from 'node:child_process';
import { lstatSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { hashJson, sha256 } from './hash.ts';

export interface TreeHash {
  /** sha256 over the sorted file list; 'missing' if the path does not exist. */
  hash: string;
  /** Per-file hashes (relative path -> sha256), kept so `world plan` can say which file changed. */
  files: Record<string, string>;
}

function gitFiles(root: string, rel: string): string[] | undefined {
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

/** Hashes `rel` (a file or directory relative to `root`). */
export function hashTree(root: string, rel: string): TreeHash {
  const abs = join(root, rel);
  let st;
  try { st = statSync(abs); } catch { return { hash: 'missing', files: {} }; }
  let list: string[];
  if (st.isDirectory()) {
    list = gitFiles(root, rel) ?? (() => { const o: string[] = []; walk(root, abs, o); return o; })();
  } else {
    list = [rel];
  }
  const files: Record<string, string> = {};
  const prefix = st.isDirectory() && rel ? rel.replace(/\/$/, '') + '/' : '';
  for (const f of list.sort()) {
    const path = join(root, f);
    let lst;
    try { lst = lstatSync(path); } catch { continue; } // listed by git but deleted in the work tree
    const name = st.isDirectory() ? f.slice(prefix.length) : f.split('/').pop()!;
    if (lst.isSymbolicLink()) files[name] = 'link:' + readlinkSync(path);
    else if (lst.isFile()) files[name] = ((lst.mode & 0o111) ? 'x:' : '') + sha256(readFileSync(path));
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
