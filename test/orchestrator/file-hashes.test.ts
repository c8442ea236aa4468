// The stat cache of file hashes (src/file-hashes.ts): a file is read again whenever its stat
// differs from the one recorded (ctime included, so an edit that keeps the size and puts the
// mtime back is seen), an entry is trusted without reading when the stat is unchanged, and a
// file changed in the filesystem clock's current tick is never remembered. The hashes are
// checked against sha256sum (GNU coreutils), an independent hasher.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileHashes } from '../../src/file-hashes.ts';

const sha256sum = (path: string): string => execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0]!;

function scratch(): { dir: string; file: string; cache: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'world-file-hashes-'));
  const file = join(dir, 'a.txt');
  writeFileSync(file, 'alpha\n');
  return { dir, file, cache: join(dir, 'state', 'file-hashes.json'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A clock one nanosecond after the file's last change: the file may be remembered. */
const after = (path: string) => (): bigint => lstatSync(path, { bigint: true }).ctimeNs + 1n;

test('an unchanged stat is trusted without reading; an edit keeping size and mtime is read again', () => {
  const s = scratch();
  try {
    const mtime = 1_000_000_000; // a whole second, so utimes can put it back exactly
    utimesSync(s.file, mtime, mtime);
    const first = new FileHashes(s.cache, after(s.file));
    assert.is(first.sha256('a.txt', s.file, lstatSync(s.file, { bigint: true })), sha256sum(s.file));
    first.save();

    // Trusted: an entry whose stat matches is answered from the cache. Plant a wrong hash under the
    // file's current stat to see that the file itself is not read.
    const saved = JSON.parse(readFileSync(s.cache, 'utf8')) as { files: Record<string, string[]> };
    assert.is(saved.files['a.txt']![6], sha256sum(s.file));
    saved.files['a.txt']![6] = '0'.repeat(64);
    writeFileSync(s.cache, JSON.stringify(saved));
    const clockReads: number[] = [];
    const trusted = new FileHashes(s.cache, () => { clockReads.push(1); return 0n; });
    assert.is(trusted.sha256('a.txt', s.file, lstatSync(s.file, { bigint: true })), '0'.repeat(64));
    assert.is(clockReads.length, 0, 'a hit reads neither the clock nor the file');

    // Same size, mtime put back: only ctime tells; the file is read and its new hash returned.
    const before = lstatSync(s.file, { bigint: true });
    writeFileSync(s.file, 'omega\n');
    utimesSync(s.file, mtime, mtime);
    const now = lstatSync(s.file, { bigint: true });
    assert.is(now.size, before.size);
    assert.is(now.mtimeNs, before.mtimeNs);
    assert.is(now.ino, before.ino);
    const edited = new FileHashes(s.cache, after(s.file));
    assert.is(edited.sha256('a.txt', s.file, now), sha256sum(s.file));
    assert.is.not(sha256sum(s.file), '0'.repeat(64));
  } finally {
    s.cleanup();
  }
});

test('a file changed in the clock\'s current tick is hashed but not remembered', () => {
  const s = scratch();
  try {
    // The clock reads the file's own ctime: a second write in this tick would leave the stat as is.
    const racy = new FileHashes(s.cache, () => lstatSync(s.file, { bigint: true }).ctimeNs);
    assert.is(racy.sha256('a.txt', s.file, lstatSync(s.file, { bigint: true })), sha256sum(s.file));
    racy.save();
    let misses = 0;
    const next = new FileHashes(s.cache, () => { misses += 1; return 0n; });
    assert.is(next.sha256('a.txt', s.file, lstatSync(s.file, { bigint: true })), sha256sum(s.file));
    assert.is(misses, 1, 'the file was read again');
  } finally {
    s.cleanup();
  }
});

test('the default clock is the filesystem\'s: a file changed in an earlier tick is remembered', () => {
  const s = scratch();
  try {
    const older = join(s.dir, 'older.txt');
    writeFileSync(older, 'older\n');
    // Wait until the filesystem clock has moved past older.txt's change (a tick is a few ms).
    const ctime = lstatSync(older, { bigint: true }).ctimeNs;
    for (let i = 0; ; i++) {
      writeFileSync(s.file, `fresh ${i}\n`);
      if (lstatSync(s.file, { bigint: true }).ctimeNs > ctime) break;
    }
    const h = new FileHashes(s.cache);
    h.sha256('older.txt', older, lstatSync(older, { bigint: true }));
    h.save();
    const saved = JSON.parse(readFileSync(s.cache, 'utf8')) as { files: Record<string, string[]> };
    assert.equal(Object.keys(saved.files), ['older.txt']);
    assert.is(saved.files['older.txt']![6], sha256sum(older));
  } finally {
    s.cleanup();
  }
});

test.run();
