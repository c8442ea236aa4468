// File hashes remembered by stat, so a build whose sources did not change does not read and hash
// every file of every hashed tree again. Cache keys stay content hashes: this only decides
// whether a file must be read to learn its hash. Kept in .world/file-hashes.json.
//
// The rule (make and ninja trust an mtime; git adds a guard against "racy" entries, and so do we):
//  - An entry is used when the file's device, inode, size, mode, mtime and ctime (nanoseconds)
//    are all what they were when it was hashed. Any write changes mtime and ctime; an mtime put
//    back (touch -d, cp -p, tar, an editor keeping it) still moves ctime, which no user can set;
//    a file replaced by rename has another inode.
//  - The catch is the filesystem clock's granularity: two writes in the same tick leave the same
//    times. So an entry is recorded only for a file whose ctime is older than the filesystem's
//    clock read *before* the file was read (the ctime of a probe file written in .world/): a
//    later write then lands in a later tick and changes ctime. A file changed in the current
//    tick is hashed but not remembered, and is read again next time.
//  - This assumes the sources and .world/ share one clock (a local disk, or a network share
//    whose server stamps both), as make and ninja assume.
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, type BigIntStats } from 'node:fs';
import { dirname } from 'node:path';
import { tempPathFor, writeFileAtomic } from './atomic.ts';
import { sha256 } from './hash.ts';

/** [dev, ino, size, mode, mtimeNs, ctimeNs, sha256]: numbers as decimal strings (nanosecond times exceed 2^53). */
type Entry = [string, string, string, string, string, string, string];

const FORMAT = 1;

function identity(st: BigIntStats): string[] {
  return [st.dev, st.ino, st.size, st.mode, st.mtimeNs, st.ctimeNs].map(String);
}

/** The filesystem clock now: the ctime of a file just created next to the cache file. */
function probeClock(cacheFile: string): bigint {
  mkdirSync(dirname(cacheFile), { recursive: true });
  const probe = tempPathFor(cacheFile);
  closeSync(openSync(probe, 'w'));
  try {
    return statSync(probe, { bigint: true }).ctimeNs;
  } finally {
    unlinkSync(probe);
  }
}

export class FileHashes {
  private entries: Record<string, Entry>;
  private dirty = false;
  private clock: bigint | undefined;

  /**
   * @param file the cache file (its folder is created when saving)
   * @param now the filesystem clock, read once before the first file is read (tests pass their own)
   */
  constructor(private readonly file: string, private readonly now: () => bigint = () => probeClock(file)) {
    let entries: Record<string, Entry> = {};
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { format?: number; files?: Record<string, Entry> };
      if (parsed.format === FORMAT && parsed.files && typeof parsed.files === 'object') entries = parsed.files;
    } catch { /* absent or unreadable: start empty */ }
    this.entries = entries;
  }

  /** The sha256 of the file at `path` (absolute), whose lstat is `st`, keyed in the cache by `name`. */
  sha256(name: string, path: string, st: BigIntStats): string {
    const id = identity(st);
    const known = this.entries[name];
    if (known && id.every((v, i) => known[i] === v)) return known[6];
    // Read the clock before the file: a write after this moment has a later ctime than it.
    this.clock ??= this.safeNow();
    const hash = sha256(readFileSync(path));
    if (this.clock !== undefined && st.ctimeNs < this.clock) {
      this.entries[name] = [...id, hash] as Entry;
      this.dirty = true;
    } else if (known) {
      delete this.entries[name];
      this.dirty = true;
    }
    return hash;
  }

  /** Writes the cache if it learnt anything (atomic; concurrent writers each leave a valid file). */
  save(): void {
    if (!this.dirty) return;
    const files: Record<string, Entry> = {};
    for (const k of Object.keys(this.entries).sort()) files[k] = this.entries[k]!;
    writeFileAtomic(this.file, JSON.stringify({ format: FORMAT, files }) + '\n');
    this.dirty = false;
  }

  /** The clock, or undefined when it cannot be read (.world/ not writable): then nothing is remembered. */
  private safeNow(): bigint | undefined {
    try { return this.now(); } catch { return undefined; }
  }
}
