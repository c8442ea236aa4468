// One build at a time per tree. The lock is a file created with O_EXCL holding the owner's pid; a
// second build waits for it (saying who holds it) or, with --no-wait, refuses. A lock whose owner
// is no longer alive (killed with SIGKILL) is taken over.
import { linkSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crashPoint } from '../crashpoint.ts';
import { processAlive } from '../atomic.ts';

export class LockBusy extends Error {}

export interface HeldLock { release(): void }

function owner(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Removes a file if it is there. unlink, not rmSync: Node's rmSync loads its recursive remover
 *  (a module of its own) even for one file, a cost every build, no-op included, would pay. */
function unlinkIfPresent(path: string): void {
  try { unlinkSync(path); } catch (err) { if ((err as { code?: string }).code !== 'ENOENT') throw err; }
}


/** Creates the lock with its content in one step (link of a written file), so no reader sees it empty. */
function tryCreate(path: string): boolean {
  const tmp = `${path}.${process.pid}`;
  writeFileSync(tmp, `${process.pid}\n`);
  crashPoint('lock:written');
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkIfPresent(tmp);
  }
}

/** Removes `<lock>.<pid>` and `<lock>.stale-<pid>` files left by takers killed mid-way. */
function sweepDeadLockTemps(path: string): void {
  const dir = dirname(path);
  const base = path.slice(dir.length + 1);
  for (const name of readdirSync(dir)) {
    const m = name.startsWith(base + '.') ? /^(?:stale-)?(\d+)$/.exec(name.slice(base.length + 1)) : null;
    if (m && !processAlive(Number(m[1]))) rmSync(join(dir, name), { force: true });
  }
}

export async function acquireBuildLock(path: string, opts: { wait: boolean; say: (line: string) => void; pollMs?: number }): Promise<HeldLock> {
  mkdirSync(dirname(path), { recursive: true });
  let told = false;
  for (;;) {
    if (tryCreate(path)) {
      sweepDeadLockTemps(path);
      let held = true;
      return { release: () => { if (held) { held = false; if (owner(path) === process.pid) unlinkIfPresent(path); } } };
    }
    const pid = owner(path);
    if (pid === undefined || !processAlive(pid)) {
      // Stale: move it aside (atomic; only one taker succeeds) and try again.
      try { renameSync(path, `${path}.stale-${process.pid}`); unlinkIfPresent(`${path}.stale-${process.pid}`); } catch { /* someone else took it */ }
      continue;
    }
    if (!opts.wait) throw new LockBusy(`another world build (pid ${pid}) is running in this tree; not starting (lock: ${path})`);
    if (!told) { opts.say(`waiting for another world build (pid ${pid}) to finish (lock: ${path}; use --no-wait to refuse instead)`); told = true; }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
  }
}
