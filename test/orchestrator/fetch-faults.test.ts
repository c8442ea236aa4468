// Fetch faults, through whole builds of a url source against a loopback HTTP server: a connection
// reset mid-body, a 404 then a good mirror, a checksum mismatch (alone, and then a mirror with the
// right bytes), a server that answers and then stalls, one that never answers, and a download
// left half-written by a killed `world fetch`. Each must end with the right outcome and a message
// that says what happened, and the cache must hold nothing corrupt (test/orchestrator/audit.ts).
// Prints the figure: faults survived of faults tried.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { Session } from '../../src/session.ts';
import { auditState } from './audit.ts';
import { copyFixture, RecordingReporter, world } from './helpers.ts';

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

// The archive every scenario wants: made with tar itself, large enough to arrive in pieces.
const tarDir = mkdtempSync(join(tmpdir(), 'world-faults-tar-'));
mkdirSync(join(tarDir, 'pkg-1.0'));
writeFileSync(join(tarDir, 'pkg-1.0', 'a.txt'), 'alpha\n');
writeFileSync(join(tarDir, 'pkg-1.0', 'b.txt'), 'beta\n');
writeFileSync(join(tarDir, 'pkg-1.0', 'padding.bin'), Buffer.alloc(300_000, 7));
execFileSync('tar', ['-cf', join(tarDir, 'pkg.tar'), '-C', tarDir, 'pkg-1.0']);
const tarball = readFileSync(join(tarDir, 'pkg.tar'));
const EXPECTED = 'hi\nalpha\nbeta\n'; // what the gen recipe makes of the unpacked archive

/** How each path misbehaves; changed by the scenarios. */
type Behaviour = 'good' | 'reset' | 'missing' | 'wrong' | 'stall-body' | 'stall-headers';
const behaviour = new Map<string, Behaviour>();
const hits = new Map<string, number>();
const sockets = new Set<Socket>();

const server = createServer((req, res: ServerResponse) => {
  const path = req.url ?? '/';
  hits.set(path, (hits.get(path) ?? 0) + 1);
  const b = behaviour.get(path) ?? 'missing';
  if (b === 'good') { res.end(tarball); return; }
  if (b === 'wrong') { res.end(Buffer.concat([tarball.subarray(0, 1000), Buffer.from('not the archive')])); return; }
  if (b === 'reset') {
    behaviour.set(path, 'good'); // only the first try fails
    res.writeHead(200, { 'content-length': String(tarball.length) });
    res.write(tarball.subarray(0, 50_000), () => res.socket?.destroy());
    return;
  }
  if (b === 'stall-body') {
    res.writeHead(200, { 'content-length': String(tarball.length) });
    res.write(tarball.subarray(0, 50_000)); // and then nothing, with the connection held open
    return;
  }
  if (b === 'stall-headers') return; // never answers
  res.statusCode = 404;
  res.end('not here');
});
server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

let tried = 0;
let survived = 0;

function worldYaml(url: string, mirrors: string[]): string {
  return `version: 1\nmirrors: [${mirrors.map((m) => `"${m}"`).join(', ')}]\npackages:\n  gen:\n    source: { url: "${url}", sha256: ${sha(tarball)} }\n`;
}

/** Builds the fixture world once with `url` and `mirrors`; returns the reporter and whether it succeeded. */
async function buildOnce(dir: string, url: string, mirrors: string[]): Promise<{ ok: boolean; r: RecordingReporter; log: string }> {
  writeFileSync(join(dir, 'world.yaml'), worldYaml(url, mirrors));
  const s = await Session.open(join(dir, 'world.yaml'));
  const r = new RecordingReporter();
  s.sweepTemp();
  const res = await s.build(s.select([]), { jobs: 1, keepGoing: false, offline: false, signal: new AbortController().signal, reporter: r, fetchBackoffMs: 1, fetchTimeoutMs: 400 });
  const logPath = join(dir, '.world/logs/gen/fetch.log');
  return { ok: res.ok, r, log: existsSync(logPath) ? readFileSync(logPath, 'utf8') : '' };
}

/** The build failed: its failed event, whose log tail has a line containing `tailHas`. */
function failedWith(b: { ok: boolean; r: RecordingReporter }, tailHas: string) {
  assert.not.ok(b.ok);
  const failed = b.r.events.find((e) => e.kind === 'failed')!;
  assert.ok(failed.tail!.some((l) => l.includes(tailHas)), failed.tail!.join('\n'));
  return failed;
}

/** The cache holds the right archive (or none), nothing corrupt, and the built output is right when built. */
function assertSound(dir: string, built: boolean): void {
  assert.equal(auditState(join(dir, '.world')), []);
  if (built) assert.is(readFileSync(join(dir, '.world/out/gen/data.txt'), 'utf8'), EXPECTED);
  else assert.not.ok(existsSync(join(dir, '.world/out/gen')), 'nothing installed after a failed fetch');
  // No file in the cache is the wrong download, whole or in part.
  const cas = join(dir, '.world/cas');
  for (const a of existsSync(cas) ? readdirSync(cas) : []) {
    const f = join(cas, a, 'pkg.tar');
    if (existsSync(f)) assert.is(sha(readFileSync(f)), sha(tarball), `cas/${a}/pkg.tar is the archive`);
  }
}

async function scenario(name: string, body: (dir: string) => Promise<void>): Promise<void> {
  test(name, async () => {
    tried += 1;
    const fx = copyFixture('basic');
    behaviour.clear();
    hits.clear();
    try {
      await body(fx.dir);
      survived += 1;
    } finally {
      for (const s of sockets) s.destroy();
      fx.cleanup();
    }
  });
}

scenario('a connection reset mid-body: retried, the partial body never used', async (dir) => {
  behaviour.set('/reset/pkg.tar', 'reset');
  const b = await buildOnce(dir, `${base}/reset/pkg.tar`, []);
  assert.ok(b.ok, JSON.stringify(b.r.events));
  assert.is(hits.get('/reset/pkg.tar'), 2);
  assert.match(b.log, /failed .*\/reset\/pkg\.tar: (connection reset by the server|short body)/);
  assertSound(dir, true);
});

scenario('a 404 at the origin, then a good mirror', async (dir) => {
  behaviour.set('/m/pkg.tar', 'good');
  const b = await buildOnce(dir, `${base}/gone/pkg.tar`, [`${base}/m`]);
  assert.ok(b.ok, JSON.stringify(b.r.events));
  assert.is(hits.get('/gone/pkg.tar'), 1, 'a 404 is not retried');
  assert.match(b.log, `failed ${base}/gone/pkg.tar: HTTP 404`);
  assertSound(dir, true);
});

scenario('a checksum mismatch everywhere: the build fails naming both hashes; nothing cached', async (dir) => {
  behaviour.set('/bad/pkg.tar', 'wrong');
  const b = await buildOnce(dir, `${base}/bad/pkg.tar`, []);
  const failed = failedWith(b, `wanted ${sha(tarball)}`);
  assert.is(hits.get('/bad/pkg.tar'), 1, 'other bytes are not fetched again from the same URL');
  assert.is(failed.id, 'gen:fetch');
  assert.match(failed.detail!, `sha256 mismatch for ${base}/bad/pkg.tar`);
  assertSound(dir, false);
  // The same world with a mirror that has the right bytes: the mismatch moves on to it.
  behaviour.set('/m/pkg.tar', 'good');
  const again = await buildOnce(dir, `${base}/bad/pkg.tar`, [`${base}/m`]);
  assert.ok(again.ok, JSON.stringify(again.r.events));
  assert.match(again.log, `failed ${base}/bad/pkg.tar: sha256 `);
  assertSound(dir, true);
});

scenario('a server that answers and then stalls: timed out, retried, then the mirror', async (dir) => {
  behaviour.set('/slow/pkg.tar', 'stall-body');
  const b = await buildOnce(dir, `${base}/slow/pkg.tar`, []);
  const failed = failedWith(b, 'the download stalled: no data for 0.4 s (timed out)');
  assert.match(failed.detail!, 'could not fetch pkg.tar');
  assert.is(hits.get('/slow/pkg.tar'), 4, 'the first try and three retries');
  assertSound(dir, false);
  behaviour.set('/m/pkg.tar', 'good');
  const again = await buildOnce(dir, `${base}/slow/pkg.tar`, [`${base}/m`]);
  assert.ok(again.ok, JSON.stringify(again.r.events));
  assertSound(dir, true);
});

scenario('a server that never answers: timed out with the reason', async (dir) => {
  behaviour.set('/silent/pkg.tar', 'stall-headers');
  const b = await buildOnce(dir, `${base}/silent/pkg.tar`, []);
  failedWith(b, 'no answer within 0.4 s (timed out)');
  assertSound(dir, false);
});

scenario('a fetch killed mid-download leaves a partial file only in tmp/; the next fetch ignores it', async (dir) => {
  behaviour.set('/slow/pkg.tar', 'stall-body');
  writeFileSync(join(dir, 'world.yaml'), worldYaml(`${base}/slow/pkg.tar`, []));
  const child = world(['fetch', '--no-wait'], dir);
  // Wait for the half-written download under .world/tmp/.
  const partial = (): string | undefined => {
    const tmp = join(dir, '.world/tmp');
    if (!existsSync(tmp)) return undefined;
    const files: string[] = [];
    for (const step of readdirSync(tmp)) {
      const out = join(tmp, step, 'out');
      if (existsSync(out)) for (const f of readdirSync(out)) files.push(join(out, f));
    }
    return files.find((f) => existsSync(f) && readFileSync(f).length >= 50_000);
  };
  const until = Date.now() + 30_000;
  while (!partial()) {
    if (Date.now() > until) { child.kill('SIGKILL'); throw new Error(`no partial download appeared: ${(await child).all}`); }
    await new Promise((r) => setTimeout(r, 50));
  }
  const half = partial()!;
  child.kill('SIGKILL');
  assert.is((await child).signal, 'SIGKILL');
  assert.ok(existsSync(half), 'the killed fetch left its partial file');
  assert.equal(auditState(join(dir, '.world'), { lockAllowed: true }), [], 'outside tmp/ and the lock, nothing but whole entries');
  behaviour.set('/slow/pkg.tar', 'good');
  const again = await world(['build', '--no-wait'], dir);
  assert.is(again.exitCode, 0, again.all);
  assert.not.ok(existsSync(half), 'the partial file was swept');
  assert.equal(readdirSync(join(dir, '.world/tmp')), []);
  assert.not.ok(existsSync(join(dir, '.world/build.lock')));
  assertSound(dir, true);
});

test('the figure', () => {
  process.stdout.write(`fetch faults: ${survived} of ${tried} survived with the right outcome, a clear message and a sound cache\n`);
  assert.is(survived, tried);
});

test.after(() => {
  for (const s of sockets) s.destroy();
  server.close();
  rmSync(tarDir, { recursive: true, force: true });
});
test.run();
