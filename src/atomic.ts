// Atomic writes: a reader sees the old file or the new one, never half of either. Every file the
// orchestrator trusts later (cache entries, state, world.lock) is written this way.
import { mkdirSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
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
