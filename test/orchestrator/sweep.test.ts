// What a kill leaves beside its targets, and who removes it: the temporary file of an atomic
// write (swept only once its writer is dead), the build lock's own temporary files, and a
// half-built afterburner drop-in folder.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { sweepDeadTemps, tempPathFor } from '../../src/atomic.ts';
import { acquireBuildLock } from '../../src/run/lock.ts';
import { ensureAsDir } from '../../afterburner/as-dir.ts';

// A pid that is certainly dead: a process that has exited and been waited for.
const deadPid = Number(execFileSync('sh', ['-c', 'sh -c "echo \\$\\$"'], { encoding: 'utf8' }).trim());
const dir = mkdtempSync(join(tmpdir(), 'world-sweep-'));

test('a dead writer\'s temporary file is swept; a live one\'s and every other file are not', () => {
  const target = join(dir, 'record.json');
  const mine = tempPathFor(target); // this process: alive
  assert.match(mine, new RegExp(`\\.record\\.json\\.tmp-${process.pid}-\\d+$`));
  writeFileSync(mine, 'half');
  writeFileSync(join(dir, `.record.json.tmp-${deadPid}-3`), 'half');
  writeFileSync(target, 'whole');
  writeFileSync(join(dir, 'notes.tmp-12-3'), 'not ours: no leading dot');
  assert.is(sweepDeadTemps(dir), 1);
  assert.equal(readdirSync(dir).sort(), [`.record.json.tmp-${process.pid}-${mine.split('-').pop()}`, 'notes.tmp-12-3', 'record.json'].sort());
  rmSync(mine);
});

test('taking the build lock removes the lock temporaries of dead takers', async () => {
  const lock = join(dir, 'build.lock');
  writeFileSync(`${lock}.${deadPid}`, `${deadPid}\n`);
  writeFileSync(`${lock}.stale-${deadPid}`, `${deadPid}\n`);
  const held = await acquireBuildLock(lock, { wait: false, say: () => {} });
  assert.not.ok(existsSync(`${lock}.${deadPid}`));
  assert.not.ok(existsSync(`${lock}.stale-${deadPid}`));
  held.release();
  assert.not.ok(existsSync(lock));
});

test('building the afterburner drop-in removes a dead builder\'s half-built folder', () => {
  const state = join(dir, 'afterburner');
  mkdirSync(join(state, `.tmp-as-${deadPid}-abc`), { recursive: true });
  mkdirSync(join(state, `.tmp-as-${process.pid}-def`));
  const made = ensureAsDir(state);
  assert.ok(existsSync(join(made, 'as')));
  assert.not.ok(existsSync(join(state, `.tmp-as-${deadPid}-abc`)));
  assert.ok(existsSync(join(state, `.tmp-as-${process.pid}-def`)), 'a live builder\'s folder stays');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
