// The afterburn daemon: serves the compiled `as` client (as-client.c) over a Unix socket, so a
// build pays for starting Node once instead of once per assembler call. It exits by itself
// after a short idle time; the socket belongs to one version of the drop-in (its path carries
// the sources' hash), so a changed afterburner never talks to an old daemon.
//
// Protocol (lengths are little-endian u32):
//   client -> daemon  [len][cwd \0 argc \0 argv... \0 environ... \0]
//   daemon -> client  [type u8][len][data] messages:
//     P path   not afterburnt: exec the real assembler at `path` with the original arguments
//     I        send standard input as one [len][bytes] block
//     R fields run the real assembler on the afterburnt copies and finish the call alone; the
//              fields, each NUL-terminated: as, stdin-file, report-tmp, report-final, N,
//              N pairs (copy, original), M, M temporary files, then the arguments
//     E bytes  write to standard error       X status  exit with this decimal status
// The client runs the assembler itself because forking a small C process is far cheaper than
// forking Node, and finishes the call (messages mapped back to the inputs' names, temporaries
// removed, the report renamed into place on success) so each call costs one round trip.
import { createConnection, createServer, type Socket } from 'node:net';
import { existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { discard, plan, prepare, type AsRequest, type Prepared } from './as-main.ts';

// Long enough to span the pauses between the steps of one `world` build; short enough that no
// daemon outlives a session by much.
const IDLE_MS = 60_000;

/** Reads length-prefixed blocks from a socket, one at a time. */
class BlockReader {
  private chunks: Buffer[] = [];
  private size = 0;
  private waiting: ((b: Buffer) => void) | null = null;
  private failing: ((e: Error) => void) | null = null;
  private closed = false;
  constructor(socket: Socket) {
    socket.on('data', (b: Buffer) => {
      this.chunks.push(b);
      this.size += b.length;
      this.poll();
    });
    socket.on('close', () => {
      this.closed = true;
      this.failing?.(new Error('client hung up'));
    });
  }
  next(): Promise<Buffer> {
    return new Promise((resolveBlock, fail) => {
      this.waiting = resolveBlock;
      this.failing = fail;
      if (!this.poll() && this.closed) fail(new Error('client hung up'));
    });
  }
  /** Hands the next complete block to the waiting reader; says whether it did. */
  private poll(): boolean {
    if (!this.waiting || this.size < 4) return false;
    const all = Buffer.concat(this.chunks);
    const len = all.readUInt32LE(0);
    if (all.length < 4 + len) {
      this.chunks = [all];
      return false;
    }
    const block = all.subarray(4, 4 + len);
    const rest = all.subarray(4 + len);
    this.chunks = rest.length ? [rest] : [];
    this.size = rest.length;
    const w = this.waiting;
    this.waiting = null;
    w(block);
    return true;
  }
}

function message(type: string, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32LE(body.length, 1);
  return Buffer.concat([head, body]);
}

function parseRequest(block: Buffer, self: string): AsRequest {
  const parts = block.toString('utf8').split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  const cwd = parts[0]!;
  const argc = Number(parts[1]);
  const argv = parts.slice(2, 2 + argc);
  const env: NodeJS.ProcessEnv = {};
  for (const e of parts.slice(2 + argc)) {
    const eq = e.indexOf('=');
    if (eq > 0) env[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return { argv, cwd, env, self };
}

async function serveOne(socket: Socket, self: string): Promise<void> {
  const reader = new BlockReader(socket);
  let prepared: Prepared | undefined;
  try {
    const req = parseRequest(await reader.next(), self);
    const p = plan(req);
    if (p.kind === 'passthrough') {
      socket.end(message('P', p.realAs));
      return;
    }
    let stdinText: string | undefined;
    if (p.readsStdin) {
      socket.write(message('I', ''));
      stdinText = (await reader.next()).toString('utf8');
    }
    prepared = prepare(req, p, stdinText);
    const fields = [
      p.realAs, prepared.stdinFile ?? '', prepared.report?.tmp ?? '', prepared.report?.final ?? '',
      String(prepared.pathMap.length), ...prepared.pathMap.flat(),
      String(prepared.temps.length), ...prepared.temps,
      ...prepared.args,
    ];
    prepared = undefined; // the client owns the temporaries from here on
    socket.end(message('R', fields.map((f) => f + '\0').join('')));
  } catch (err) {
    if (prepared) discard(prepared);
    if (!socket.destroyed) {
      socket.end(Buffer.concat([message('E', `world afterburn (as drop-in): ${(err as Error).message}\n`), message('X', '1')]));
    }
  }
}

/** Listens on `socketPath` until idle; returns without listening when a live daemon has it. */
export function serve(socketPath: string): void {
  // The client's `as` lives beside this script; never mistake it for the real assembler.
  const self = join(dirname(process.argv[1] ?? '.'), 'as');
  let active = 0;
  let timer: NodeJS.Timeout | undefined;
  const server = createServer((socket) => {
    active++;
    clearTimeout(timer);
    socket.on('error', () => {});
    socket.on('close', () => {
      active--;
      armIdle();
    });
    void serveOne(socket, self);
  });
  const armIdle = (): void => {
    clearTimeout(timer);
    if (active === 0) timer = setTimeout(() => server.close(), IDLE_MS);
  };
  server.on('close', () => {
    for (const f of [socketPath, `${socketPath}.pid`]) {
      try {
        unlinkSync(f);
      } catch {
        // already gone
      }
    }
  });
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EADDRINUSE') throw err;
    // Another daemon may be serving; if the socket is stale, take it over.
    const probe = createConnection(socketPath);
    probe.on('connect', () => {
      probe.destroy();
      process.exit(0);
    });
    probe.on('error', () => {
      if (existsSync(socketPath)) unlinkSync(socketPath);
      server.listen(socketPath);
    });
  });
  server.on('listening', () => {
    // The pid lets tools see the daemon's CPU time (the benchmark counts it as build time).
    writeFileSync(`${socketPath}.pid`, `${process.pid}\n`);
    armIdle();
  });
  server.listen(socketPath);
}
