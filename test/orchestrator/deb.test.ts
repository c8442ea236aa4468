// Deb sources: apt's record read into a pin, world lock pinning and keeping it until --update,
// the build fetching exactly the pinned file (checked by sha256) from apt's archive cache, and
// the error when apt no longer serves the pinned version. apt itself is the oracle where the
// machine has it (apt-cache knows nothing of the made-up package names used here).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DebError, fetchDeb, parseAptRecord, pinOf, resolveCandidate, type DebPin } from '../../src/deb.ts';
import { staleLockReasons, writeLock } from '../../src/lockfile.ts';
import { Session } from '../../src/session.ts';
import { copyFixture } from './helpers.ts';

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const scratch = mkdtempSync(join(tmpdir(), 'world-deb-'));
const hasApt = ((): boolean => {
  try { execFileSync('apt-cache', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
})();

test('an apt-cache record becomes a pin; a record without SHA256 is refused', () => {
  const record = parseAptRecord([
    'Package: linux-source-6.1', 'Version: 6.1.192-3', 'Architecture: all',
    'Filename: pool/updates/main/l/linux/linux-source-6.1_6.1.192-3_all.deb', `SHA256: ${'ab'.repeat(32)}`, '',
    'Package: linux-source-6.1', 'Version: 6.1.0-1', '',
  ].join('\n'));
  assert.equal(pinOf('linux-source-6.1', record), { version: '6.1.192-3', file: 'linux-source-6.1_6.1.192-3_all.deb', sha256: 'ab'.repeat(32) });
  assert.throws(() => pinOf('x', { Version: '1', Filename: 'x_1_all.deb' }), /no SHA256/);
});

test('world lock pins a deb source, keeps the pin, and re-resolves it only with --update', async () => {
  const fx = copyFixture('basic');
  try {
    writeFileSync(join(fx.dir, 'world.yaml'), 'version: 1\npackages:\n  gen:\n    source: { deb: world-test-pkg }\n');
    let served: DebPin = { version: '1.0-1', file: 'world-test-pkg_1.0-1_all.deb', sha256: '11'.repeat(32) };
    const asked: string[] = [];
    const resolver = async (name: string): Promise<DebPin> => { asked.push(name); return served; };
    let s = await Session.open(join(fx.dir, 'world.yaml'));
    assert.equal(staleLockReasons(s.world), [], 'no lock yet: nothing to compare');
    await writeLock(s.world, [], resolver);
    const lock = JSON.parse(readFileSync(join(fx.dir, 'world.lock'), 'utf8'));
    assert.equal(lock.packages.gen.source, { deb: 'world-test-pkg', ...served });
    s = await Session.open(join(fx.dir, 'world.yaml'));
    assert.equal(s.world.packages.get('gen')!.source, { kind: 'deb', deb: 'world-test-pkg', pin: served });
    assert.equal(staleLockReasons(s.world), []);

    served = { version: '2.0-1', file: 'world-test-pkg_2.0-1_all.deb', sha256: '22'.repeat(32) };
    await writeLock(s.world, [], resolver);
    assert.is(JSON.parse(readFileSync(join(fx.dir, 'world.lock'), 'utf8')).packages.gen.source.version, '1.0-1', 'kept without --update');
    await writeLock(s.world, ['gen'], resolver);
    assert.is(JSON.parse(readFileSync(join(fx.dir, 'world.lock'), 'utf8')).packages.gen.source.version, '2.0-1', 're-resolved with --update');
    assert.equal(asked, ['world-test-pkg', 'world-test-pkg']);
    try {
      await writeLock(s.world, ['nope'], resolver);
      assert.unreachable();
    } catch (err) {
      assert.match((err as Error).message, /no package 'nope'/);
    }

    // Another Debian package under the same world package: the old pin no longer applies.
    writeFileSync(join(fx.dir, 'world.yaml'), 'version: 1\npackages:\n  gen:\n    source: { deb: world-test-other }\n');
    s = await Session.open(join(fx.dir, 'world.yaml'));
    assert.is((s.world.packages.get('gen')!.source as { pin: unknown }).pin, null);
    assert.equal(staleLockReasons(s.world), ["gen's deb source world-test-other is not pinned"]);
  } finally {
    fx.cleanup();
  }
});

test('the pinned .deb is taken from apt\'s archive cache only when its sha256 matches', async () => {
  const archives = join(scratch, 'archives');
  mkdirSync(archives, { recursive: true });
  const body = Buffer.from('!<arch>\nnot really a deb, but bytes with a known hash\n');
  writeFileSync(join(archives, 'world-test-pkg_1.0-1_all.deb'), body);
  const pin: DebPin = { version: '1.0-1', file: 'world-test-pkg_1.0-1_all.deb', sha256: sha(body) };
  const dest = join(scratch, 'dest');
  const work = join(scratch, 'work');
  mkdirSync(work, { recursive: true });
  const got = await fetchDeb({ pkg: 'gen', name: 'world-test-pkg', pin, destDir: dest, mirrors: [], offline: true, work, archives, backoffMs: 1 });
  assert.ok(readFileSync(got).equals(body));

  // A cached file with other bytes is not used; offline, nothing else may be tried.
  const wrong = { ...pin, sha256: sha('other bytes') };
  try {
    await fetchDeb({ pkg: 'gen', name: 'world-test-pkg', pin: wrong, destDir: join(scratch, 'dest2'), mirrors: [], offline: true, work, archives, backoffMs: 1 });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, DebError);
    assert.match((err as Error).message, /--offline/);
  }
});

test('a pinned version apt does not serve fails naming the versions it serves and the fix', async () => {
  if (!hasApt) { console.log('  (skipped: no apt on this machine)'); return; }
  const work = join(scratch, 'work-ns');
  mkdirSync(work, { recursive: true });
  const pin: DebPin = { version: '0.0-0', file: 'world-test-nonexistent_0.0-0_all.deb', sha256: '00'.repeat(32) };
  try {
    await fetchDeb({ pkg: 'gen', name: 'world-test-nonexistent', pin, destDir: join(scratch, 'd3'), mirrors: [], offline: false, work, archives: join(scratch, 'none') });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, DebError);
    assert.match((err as Error).message, /the locked world-test-nonexistent 0\.0-0 is no longer served by apt/);
    assert.match((err as Error).message, /world lock --update gen/);
  }
  // With a package apt does serve (when it does), the served versions are named.
  let candidate: DebPin | null = null;
  try { candidate = await resolveCandidate('linux-source-6.1'); } catch { /* not in this machine's sources */ }
  if (!candidate) return;
  try {
    await fetchDeb({ pkg: 'linux', name: 'linux-source-6.1', pin: { ...candidate, version: '6.1.0-0' }, destDir: join(scratch, 'd4'), mirrors: [], offline: false, work, archives: join(scratch, 'none') });
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, new RegExp(`it serves [^)]*${candidate.version.replace(/[.+]/g, '\\$&')}`));
  }
});

test.after(() => rmSync(scratch, { recursive: true, force: true }));
test.run();
