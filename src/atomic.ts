// Atomic writes: a reader sees the old file or the new one, never half of either. Every file the
// orchestrator trusts later (cache entries, state, world.lock) is written this way.
import { mkdirSync, renameSync, rmSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';

let counter = 0;

/** A name next to `path` that no other writer uses: same directory, so rename stays atomic. */
export function tempPathFor(path: string): string {
  counter += 1;
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${counter}`);
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
  renameSync(tmp, path);
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
    renameSync(this.tmp, this.path);
  }

  discard(): void {
    if (!this.open) return;
    this.open = false;
    closeSync(this.fd);
    rmSync(this.tmp, { force: true });
  }
}
