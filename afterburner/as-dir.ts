// Makes the directory that `world afterburn --print-as-dir` prints. It holds:
//   as              the executable gcc -B finds: as-client.c compiled with the host's cc, which
//                   hands each call to the afterburn daemon (one Node process per build, not
//                   per file: starting Node per call would cost more than compiling most files)
//   as-daemon.mjs   the daemon, and as-percall.mjs, the same work in one process per call (the
//                   client's fallback); both bundled by esbuild, which tsx ships, into plain JS
// When no C compiler works, `as` is a shell script running as-percall.mjs: correct, slower.
// The directory's name carries the hash of the sources, of the Node that runs them and of the
// state directory's own path: a changed afterburner gets a new directory (and daemon), and so does
// a copied state directory (the client names its directory's files by absolute path).
import { buildSync } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { crashPoint } from '../src/crashpoint.ts';
import { processAlive } from '../src/atomic.ts';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** Everything that goes into the drop-in. */
const SOURCES = ['as-main.ts', 'as-daemon.ts', 'as-args.ts', 'rewrite.ts', 'records.ts', 'scan.ts', 'sensitive.ts', 'report.ts', 'as-client.c'];

/** Where generated drop-ins live by default: the repository's `.world/` state directory. */
export function defaultStateDir(): string {
  return join(here, '..', '.world', 'afterburner');
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function bundle(entry: string, out: string): void {
  const built = buildSync({
    stdin: { contents: entry, resolveDir: here, loader: 'ts', sourcefile: 'entry.ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    legalComments: 'none',
  });
  writeFileSync(out, built.outputFiles[0]!.text);
}

/** A Unix socket path must fit in sockaddr_un (108 bytes); long state paths use the temp dir. */
function socketPathFor(dir: string, hash: string): string {
  const local = join(dir, 'daemon.sock');
  if (Buffer.byteLength(local) < 100) return local;
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const shared = join(tmpdir(), `world-afterburn-${uid}`);
  mkdirSync(shared, { recursive: true, mode: 0o700 });
  return join(shared, `${hash}.sock`);
}

/** Returns the drop-in directory, building it first when it does not exist yet. */
export function ensureAsDir(stateDir = defaultStateDir()): string {
  const h = createHash('sha256');
  for (const name of SOURCES) h.update(name).update('\0').update(readFileSync(join(here, name))).update('\0');
  h.update(process.execPath);
  // The client has this directory's paths compiled in (the daemon, its socket, the per-call
  // script): a state directory copied or moved elsewhere gets a drop-in of its own instead of one
  // that talks to the original's daemon and runs the original's scripts (gone with it, or
  // replaced under a build that was using them).
  h.update('\0').update(resolve(stateDir));
  const hash = h.digest('hex').slice(0, 16);
  const dir = join(stateDir, `as-${hash}`);
  if (existsSync(join(dir, 'as'))) return dir;

  mkdirSync(stateDir, { recursive: true });
  // A build of the drop-in killed half-way leaves its folder; the next one removes it. The pid in
  // the name says whether its builder is still at work.
  for (const name of readdirSync(stateDir)) {
    const m = /^\.tmp-as-(\d+)-/.exec(name);
    if (m && !processAlive(Number(m[1]))) rmSync(join(stateDir, name), { recursive: true, force: true });
  }
  const tmp = mkdtempSync(join(stateDir, `.tmp-as-${process.pid}-`));
  crashPoint('afterburner:drop-in-started');
  try {
    bundle("import { main } from './as-main.ts';\nawait main();\n", join(tmp, 'as-percall.mjs'));
    bundle("import { serve } from './as-daemon.ts';\nserve(process.argv[2]);\n", join(tmp, 'as-daemon.mjs'));
    const q = JSON.stringify; // a JSON string of a path is a valid C string literal
    writeFileSync(join(tmp, 'config.h'), [
      `#define NODE ${q(process.execPath)}`,
      `#define DAEMON_JS ${q(join(dir, 'as-daemon.mjs'))}`,
      `#define PERCALL_JS ${q(join(dir, 'as-percall.mjs'))}`,
      `#define SOCKET_PATH ${q(socketPathFor(dir, hash))}`,
      '',
    ].join('\n'));
    // Static when the C library allows it: no dynamic loading on each of the build's many calls.
    const compile = (extra: string[]) =>
      spawnSync('cc', ['-O2', ...extra, '-I', tmp, '-o', join(tmp, 'as'), join(here, 'as-client.c')], { encoding: 'utf8' });
    let cc = compile(['-static']);
    if (cc.error || cc.status !== 0) cc = compile([]);
    if (cc.error || cc.status !== 0) {
      process.stderr.write(`world afterburn: cannot compile the as client (${cc.error?.message ?? cc.stderr.trim()}); ` +
        'using one Node process per assembler call, which is slower\n');
      writeFileSync(join(tmp, 'as'), `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(join(dir, 'as-percall.mjs'))} "$@"\n`);
    }
    chmodSync(join(tmp, 'as'), 0o755);
    crashPoint('afterburner:drop-in-built');
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another process built the same directory first; theirs is identical.
      if (!existsSync(join(dir, 'as'))) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}
