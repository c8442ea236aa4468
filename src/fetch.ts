// Downloads a source file and proves it is the one world.yaml names. URLs are tried in order (the
// source's own URL, then the mirrors); network errors, timeouts and 5xx answers are retried with
// backoff; a download is written to a temporary file and only renamed to its final name once its
// sha256 matches, so a partial or wrong file is never used. A mismatch is not retried at the same
// URL but moves on to the next; when no URL gives the right bytes, the error names both hashes.
import type { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { tempPathFor } from './atomic.ts';

export interface FetchRequest {
  /** Candidate URLs in the order to try them. */
  urls: string[];
  sha256: string;
  /** Directory to place the verified file in, under `fileName`. */
  destDir: string;
  fileName: string;
  retries?: number;
  /** First retry delay; doubles each time. */
  backoffMs?: number;
  /** How long a server may keep us waiting for its answer, or between two pieces of the body (default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export class ChecksumMismatch extends Error {
  constructor(readonly url: string, readonly wanted: string, readonly got: string, others: readonly string[] = []) {
    super(`sha256 mismatch for ${url}\n  wanted ${wanted}\n  got    ${got}${others.length > 0 ? `\n  every URL tried:\n    ${others.join('\n    ')}` : ''}`);
    this.name = 'ChecksumMismatch';
  }
}

export class FetchFailed extends Error {}

/** An answer that another try at the same URL will not change (404, 403...). */
class HttpStatus extends Error {
  constructor(readonly status: number, url: string) { super(`HTTP ${status} from ${url}`); }
}

/** The name a URL's file is stored under and looked up as on mirrors. */
export function urlFileName(url: string): string {
  const name = basename(new URL(url).pathname);
  return name || 'download';
}

/** The URLs to try for a source: its own, then each mirror base joined with the file name. */
export function candidateUrls(url: string, mirrors: readonly string[], offline: boolean): string[] {
  const name = urlFileName(url);
  const fromMirrors = mirrors.map((m) => m.replace(/\/+$/, '') + '/' + name);
  const all = [url, ...fromMirrors];
  // Offline, only files on this machine (file: URLs) and mirrors are tried, never the origin.
  return offline ? all.filter((u, i) => i > 0 || u.startsWith('file:')) : all;
}

async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason as Error); }, { once: true });
  });
}

type Transform = (source: AsyncIterable<Uint8Array>) => AsyncGenerator<Uint8Array>;

// Streams source through transform into tmp. On failure it waits until the file stream has
// closed before rethrowing: the stream opens its file asynchronously, and a caller that removed
// tmp while the open was still under way would find the file recreated behind its back.
async function intoFile(source: Readable, transform: Transform, tmp: string, signal?: AbortSignal): Promise<void> {
  const out = createWriteStream(tmp);
  const closed = new Promise<void>((resolve) => out.once('close', () => resolve()));
  try {
    await pipeline(source, transform, out, { signal });
  } catch (err) {
    out.destroy();
    await closed;
    throw err;
  }
}

/** What went wrong with one try, in words: undici's timeouts and resets carry codes, not sentences. */
function describeFailure(err: unknown, timeoutMs: number): string {
  const code = (err as { code?: string }).code;
  const seconds = `${timeoutMs / 1000} s`;
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return `no answer within ${seconds} (timed out)`;
  if (code === 'UND_ERR_BODY_TIMEOUT') return `the download stalled: no data for ${seconds} (timed out)`;
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `connection reset by the server (${(err as Error).message}; ${code})`;
  return (err as Error).message + (code ? ` (${code})` : '');
}

async function downloadOnce(url: string, tmp: string, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const hashing = async function* (source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) { hash.update(chunk); yield chunk; }
  };
  if (url.startsWith('file:')) {
    await intoFile(createReadStream(fileURLToPath(url)), hashing, tmp, signal);
  } else {
    const { request } = await import('undici');
    const res = await request(url, { method: 'GET', signal, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    if (res.statusCode >= 300) {
      await res.body.dump();
      if (res.statusCode >= 500) throw new Error(`HTTP ${res.statusCode} from ${url}`);
      throw new HttpStatus(res.statusCode, url);
    }
    const length = Number(res.headers['content-length'] ?? NaN);
    let received = 0;
    const counting = async function* (source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
      for await (const chunk of source) { received += chunk.length; yield chunk; }
    };
    // The file is created only once the answer is known to be a body worth keeping.
    await intoFile(res.body, async function* (source: AsyncIterable<Uint8Array>) { yield* hashing(counting(source)); }, tmp, signal);
    if (Number.isFinite(length) && received !== length) throw new Error(`short body from ${url}: ${received} of ${length} bytes`);
  }
  return hash.digest('hex');
}

/** Fetches the file and returns the path of the verified copy, or throws. */
export async function fetchFile(req: FetchRequest): Promise<string> {
  const retries = req.retries ?? 3;
  const backoff = req.backoffMs ?? 500;
  const log = req.log ?? (() => {});
  mkdirSync(req.destDir, { recursive: true });
  const dest = join(req.destDir, req.fileName);
  const failures: string[] = [];
  let mismatch: ChecksumMismatch | undefined;
  if (req.urls.length === 0) throw new FetchFailed('no URL to try (offline, and no mirror configured)');
  for (const url of req.urls) {
    for (let attempt = 0; attempt <= retries; attempt++) {
      const tmp = tempPathFor(dest);
      try {
        log(`fetch ${url}${attempt > 0 ? ` (retry ${attempt})` : ''}`);
        const got = await downloadOnce(url, tmp, req.timeoutMs ?? 30_000, req.signal);
        if (got !== req.sha256) throw new ChecksumMismatch(url, req.sha256, got);
        renameSync(tmp, dest);
        log(`ok ${url} sha256 ${got}`);
        return dest;
      } catch (err) {
        rmSync(tmp, { force: true });
        if (req.signal?.aborted) throw err;
        if (err instanceof ChecksumMismatch) {
          // This URL serves other bytes (a re-rolled release, a proxy's error page, a body cut
          // short without a length): trying it again will not help, but a mirror may hold the file.
          log(`failed ${url}: sha256 ${err.got}, not the ${req.sha256} world.yaml names`);
          failures.push(`${url}: sha256 mismatch (got ${err.got})`);
          mismatch ??= err;
          break;
        }
        const message = describeFailure(err, req.timeoutMs ?? 30_000);
        log(`failed ${url}: ${message}`);
        const permanent = err instanceof HttpStatus || (err as { code?: string }).code === 'ENOENT';
        if (permanent || attempt === retries) { failures.push(`${url}: ${message}`); break; }
        await sleep(backoff * 2 ** attempt, req.signal);
      }
    }
  }
  // Every URL failed. A mismatch is the more serious news (the bytes changed, not the network),
  // so it is what is thrown when there was one; its message lists every URL's failure.
  if (mismatch) throw new ChecksumMismatch(mismatch.url, mismatch.wanted, mismatch.got, failures.length > 1 ? failures : []);
  throw new FetchFailed(`could not fetch ${req.fileName}:\n  ${failures.join('\n  ')}`);
}
