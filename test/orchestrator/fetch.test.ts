// Fetching against a loopback HTTP server (127.0.0.1 only): success, checksum mismatch, 404 then
// a mirror, a connection reset mid-body then a retry, offline mode; and a url source built
// through the whole pipeline (fetch, unpack) with world.lock staleness.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ChecksumMismatch, FetchFailed, candidateUrls, fetchFile } from '../../src/fetch.ts';
import { Session } from '../../src/session.ts';
import { writeLock, staleLockReasons } from '../../src/lockfile.ts';
import { copyFixture, RecordingReporter } from './helpers.ts';

const payload = Buffer.from('the payload: ' + 'x'.repeat(100_000));
const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const hits = new Map<string, number>();
let resets = 0;

// A tarball made with tar itself, served as /pkg.tar.
const tarDir = mkdtempSync(join(tmpdir(), 'world-tar-'));
mkdirSync(join(tarDir, 'pkg-1.0'));
writeFileSync(join(tarDir, 'pkg-1.0', 'a.txt'), 'alpha\n');
writeFileSync(join(tarDir, 'pkg-1.0', 'b.txt'), 'beta\n');
execFileSync('tar', ['-cf', join(tarDir, 'pkg.tar'), '-C', tarDir, 'pkg-1.0']);
const tarball = readFileSync(join(tarDir, 'pkg.tar'));

const server: Server = createServer((req, res) => {
  const path = req.url ?? '/';
  hits.set(path, (hits.get(path) ?? 0) + 1);
  if (path === '/good.bin' || path === '/mirror/good.bin') { res.end(payload); return; }
  if (path === '/pkg.tar' || path === '/mirror/pkg.tar') { res.end(tarball); return; }
  if (path === '/reset/good.bin' && hits.get(path) === 1) {
    // Promise the whole body, send part of it, then drop the connection.
    resets += 1;
    res.writeHead(200, { 'content-length': String(payload.length) });
    res.write(payload.subarray(0, 1000), () => res.socket?.destroy());
    return;
  }
  if (path === '/reset/good.bin') { res.end(payload); return; }
  res.statusCode = 404;
  res.end('not here');
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const dest = mkdtempSync(join(tmpdir(), 'world-fetch-'));
const leftovers = (): string[] => readdirSync(dest).filter((n) => n.includes('.tmp-'));

test('a download whose sha256 matches is stored under its name', async () => {
  const path = await fetchFile({ urls: [`${base}/good.bin`], sha256: sha(payload), destDir: dest, fileName: 'a.bin', backoffMs: 1 });
  assert.is(sha(readFileSync(path)), sha(payload));
  assert.equal(leftovers(), []);
});

test('a checksum mismatch fails with wanted and got, and leaves no file', async () => {
  const wanted = sha('something else');
  try {
    await fetchFile({ urls: [`${base}/good.bin`], sha256: wanted, destDir: dest, fileName: 'b.bin', backoffMs: 1 });
    assert.unreachable('should fail');
  } catch (err) {
    assert.instance(err, ChecksumMismatch);
    assert.match((err as Error).message, `wanted ${wanted}`);
    assert.match((err as Error).message, `got    ${sha(payload)}`);
  }
  assert.not.ok(existsSync(join(dest, 'b.bin')));
  assert.equal(leftovers(), []);
});

test('a 404 moves on to the next mirror at once (no retries of a 404)', async () => {
  hits.clear();
  const urls = candidateUrls(`${base}/missing/good.bin`, [`${base}/mirror`], false);
  assert.equal(urls, [`${base}/missing/good.bin`, `${base}/mirror/good.bin`]);
  const path = await fetchFile({ urls, sha256: sha(payload), destDir: dest, fileName: 'c.bin', backoffMs: 1 });
  assert.is(sha(readFileSync(path)), sha(payload));
  assert.is(hits.get('/missing/good.bin'), 1);
  assert.is(hits.get('/mirror/good.bin'), 1);
});

test('a connection reset mid-body is retried; the partial body is never used', async () => {
  hits.clear();
  resets = 0;
  const logs: string[] = [];
  const path = await fetchFile({ urls: [`${base}/reset/good.bin`], sha256: sha(payload), destDir: dest, fileName: 'd.bin', backoffMs: 1, log: (l) => logs.push(l) });
  assert.is(resets, 1);
  assert.is(hits.get('/reset/good.bin'), 2);
  assert.is(sha(readFileSync(path)), sha(payload));
  assert.ok(logs.some((l) => l.startsWith('failed ')), logs.join('\n'));
  assert.equal(leftovers(), []);
});

test('when every URL fails, the error lists each one', async () => {
  try {
    await fetchFile({ urls: [`${base}/nope/a.bin`, `${base}/nope2/a.bin`], sha256: sha(payload), destDir: dest, fileName: 'e.bin', backoffMs: 1 });
    assert.unreachable('should fail');
  } catch (err) {
    assert.instance(err, FetchFailed);
    assert.match((err as Error).message, 'HTTP 404');
    assert.match((err as Error).message, '/nope2/a.bin');
  }
});

test('offline, the origin is skipped and only mirrors are tried', () => {
  assert.equal(candidateUrls('https://example.org/x/p.tar', ['file:///m', 'http://lan/m/'], true), ['file:///m/p.tar', 'http://lan/m/p.tar']);
  assert.equal(candidateUrls('file:///src/p.tar', [], true), ['file:///src/p.tar']);
});

test('a url source is fetched, unpacked and built; the lock notices a changed source', async () => {
  const fx = copyFixture('basic');
  try {
    const yaml = (url: string, hash: string): string => `version: 1\nmirrors: ["${base}/mirror"]\npackages:\n  gen:\n    source: { url: "${url}", sha256: ${hash} }\n`;
    writeFileSync(join(fx.dir, 'world.yaml'), yaml(`${base}/gone/pkg.tar`, sha(tarball)));
    let s = await Session.open(join(fx.dir, 'world.yaml'));
    await writeLock(s.world);
    assert.equal(staleLockReasons(s.world), []);
    // `world fetch` is a build of the fetch steps alone.
    const f = new RecordingReporter();
    assert.equal(s.select([], ['fetch']), ['gen:fetch']);
    await s.build(s.select([], ['fetch']), { jobs: 2, keepGoing: false, offline: false, signal: new AbortController().signal, reporter: f, fetchBackoffMs: 1 });
    assert.equal(f.ids('done'), ['gen:fetch']);
    const r = new RecordingReporter();
    const res = await s.build(s.select([]), { jobs: 2, keepGoing: false, offline: false, signal: new AbortController().signal, reporter: r, fetchBackoffMs: 1 });
    assert.ok(res.ok, JSON.stringify(r.events));
    assert.equal(r.ids('done'), ['gen:build', 'gen:unpack']);
    assert.equal(r.ids('cached'), ['gen:fetch']);
    // The default unpack strips the archive's top directory; gen's recipe then reads a.txt and b.txt.
    assert.is(readFileSync(join(fx.dir, '.world/out/gen/data.txt'), 'utf8'), 'hi\nalpha\nbeta\n');

    // Offline and with the origin gone, the cached fetch is enough: nothing runs.
    const r2 = new RecordingReporter();
    await s.build(s.select([]), { jobs: 2, keepGoing: false, offline: true, signal: new AbortController().signal, reporter: r2 });
    assert.equal(r2.ids('start'), []);

    writeFileSync(join(fx.dir, 'world.yaml'), yaml(`${base}/pkg.tar`, sha(tarball)));
    s = await Session.open(join(fx.dir, 'world.yaml'));
    assert.equal(staleLockReasons(s.world), ['gen changed']);
  } finally {
    fx.cleanup();
  }
});

test('a file: source is copied, checked and unpacked like a download; a wrong sha256 fails the build', async () => {
  const fx = copyFixture('basic');
  try {
    writeFileSync(join(fx.dir, 'pkg.tar'), tarball);
    const yaml = (hash: string): string => `version: 1\npackages:\n  gen:\n    source: { file: pkg.tar, sha256: ${hash} }\n`;
    writeFileSync(join(fx.dir, 'world.yaml'), yaml(sha(tarball)));
    let s = await Session.open(join(fx.dir, 'world.yaml'));
    let r = new RecordingReporter();
    assert.ok((await s.build(s.select([]), { jobs: 1, keepGoing: false, offline: true, signal: new AbortController().signal, reporter: r })).ok);
    assert.is(readFileSync(join(fx.dir, '.world/out/gen/data.txt'), 'utf8'), 'hi\nalpha\nbeta\n');
    writeFileSync(join(fx.dir, 'world.yaml'), yaml(sha('other')));
    s = await Session.open(join(fx.dir, 'world.yaml'));
    r = new RecordingReporter();
    assert.not.ok((await s.build(s.select([]), { jobs: 1, keepGoing: false, offline: true, signal: new AbortController().signal, reporter: r })).ok);
    const failed = r.events.find((e) => e.kind === 'failed')!;
    assert.is(failed.id, 'gen:fetch');
    assert.match(failed.detail!, 'sha256 mismatch for file://');
    assert.ok(failed.tail!.some((l) => l.includes(`wanted ${sha('other')}`)), failed.tail!.join('\n'));
    assert.ok(failed.tail!.some((l) => l.includes(`got    ${sha(tarball)}`)), failed.tail!.join('\n'));
  } finally {
    fx.cleanup();
  }
});

test.after(() => {
  server.close();
  rmSync(dest, { recursive: true, force: true });
  rmSync(tarDir, { recursive: true, force: true });
});
test.run();
