// Taking up a Kbuild tree (make O=<dir>) that a killed build left: what may be half-written is
// removed, so make rebuilds it, and everything else is kept, so make resumes where it stopped.
// Kbuild makes this possible: each target built by if_changed is followed by its command file
// `.<target>.cmd`, written once the target is whole (cmd_and_fixdep), and a target with no
// command file is rebuilt. An interrupt (SIGTERM/SIGINT) lets make delete the target it was
// writing; a SIGKILL does not, and leaves three kinds of half-written file:
//   - a target rewritten after its command file (a compiler or linker cut short): newer than
//     its `.cmd`, so removed;
//   - a command file cut short itself (fixdep's output redirected into it): it would be read
//     as make syntax or as the saved command, so files written in the last moments of the
//     killed run, the RECENT_MS before the newest file of the tree, are removed;
//   - a file written outside if_changed (a shell redirection) by the same last moments: the
//     same rule.
// Removing a whole file only ever costs a rebuild of it and of what depends on it.
import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** How long before the newest file a write may still have been in progress at the kill: a
 *  compiler or linker writes its output in one go at its end, so seconds would do; a minute
 *  leaves room for a machine so loaded that a writer stalled between two writes. */
const RECENT_MS = 60_000;

interface Entry { path: string; name: string; mtimeMs: number }

function walk(dir: string, out: Entry[]): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = lstatSync(path);
    if (st.isDirectory()) walk(path, out);
    else out.push({ path, name, mtimeMs: st.mtimeMs });
  }
}

/** Removes what a killed build may have left half-written in `dirs` (a Kbuild output tree and
 *  anything written beside it by the same build). Returns the files removed. */
export function repairKilledKbuild(dirs: string[]): string[] {
  const files: Entry[] = [];
  for (const d of dirs) {
    try { walk(d, files); } catch (err) { if ((err as { code?: string }).code !== 'ENOENT') throw err; }
  }
  if (files.length === 0) return [];
  const byPath = new Map(files.map((f) => [f.path, f]));
  const newest = Math.max(...files.map((f) => f.mtimeMs));
  const doomed = new Set<string>();
  for (const f of files) {
    if (f.mtimeMs >= newest - RECENT_MS) doomed.add(f.path);
    const m = /^\.(.+)\.cmd$/.exec(f.name);
    if (!m) continue;
    const target = byPath.get(join(f.path, '..', m[1]!));
    if (target && target.mtimeMs > f.mtimeMs) doomed.add(target.path);
  }
  const removed = [...doomed].sort();
  for (const p of removed) rmSync(p, { force: true });
  return removed;
}
