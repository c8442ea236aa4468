// Atomic writes: a reader sees the old file or the new one, never half of either. Every file the
// orchestrator trusts later (cache entries, state, world.lock) is written this way.
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { crashPoint } from './crashpoint.ts';

let counter = 0;

/** A name next to `path` that no other writer uses: same directory, so rename stays atomic. */
export function tempPathFor(path: string): string {
  counter += 1;
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${counter}`);
}

/** Whether a process is alive (EPERM: alive, someone else's). */
export function processAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as { code?: string }).code === 'EPERM'; }
}

/**
 * Removes, from `dir`, the temporary files of atomic writes whose writer has died (killed between
 * writing and renaming): they are never read, but nothing else would ever remove them. A live
 * writer's file is left alone, so this is safe beside other processes writing there.
 */
export function sweepDeadTemps(dir: string): number {
  let names: string[];
  try { names = readdirSync(dir); } catch { return 0; }
  let removed = 0;
  for (const name of names) {
    const m = /^\..+\.tmp-(\d+)-\d+$/.exec(name);
    if (m && !processAlive(Number(m[1]))) { rmSync(join(dir, name), { force: true }); removed += 1; }
  }
  return removed;
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'w');
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  crashPoint(`atomic:written ${path}`);
  renameSync(tmp, path);
  crashPoint(`atomic:renamed ${path}`);
}

/**
 * A file written piece by piece (a trace, a capture) that appears at `path` only when committed:
 * the pieces go to a temporary file beside it; commit syncs and renames it into place, discard
 * removes it and leaves `path` as it was.
 */
export class AtomicFile {
  readonly fd: number;
  private readonly tmp: string;
  private open = true;

  constructor(readonly path: string) {
    this.tmp = tempPathFor(path);
    this.fd = openSync(this.tmp, 'w');
  }

  commit(): void {
    if (!this.open) return;
    this.open = false;
    try {
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
    }
    crashPoint(`atomic:written ${this.path}`);
    renameSync(this.tmp, this.path);
  }

  discard(): void {
    if (!this.open) return;
    this.open = false;
    closeSync(this.fd);
    rmSync(this.tmp, { force: true });
  }
}
