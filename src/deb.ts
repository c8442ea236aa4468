// Debian packages as sources (`source: { deb: NAME }`): what apt serves for a name, pinning it, and
// fetching the pinned .deb. `world lock` asks apt for the candidate version of NAME and writes its
// version, file name and sha256 (from apt's package index, which apt checks against the signed
// Release file) into world.lock; a build fetches exactly that file and checks it against that
// sha256 itself, so the artifact is content-addressed whatever apt's state is.
//
// Where the .deb comes from, in order: apt's own archive cache (/var/cache/apt/archives, filled by
// apt-get install; no network), the world's mirrors (<mirror>/<file name>), then
// `apt-get download NAME=VERSION` (works without root). An unpacked copy installed elsewhere (such
// as linux-source-6.1's /usr/src tarball) is not used: only the .deb's sha256 is pinned, and dpkg
// keeps no more than an md5 of what it installed, which may also have been changed since.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ChecksumMismatch, fetchFile, FetchFailed } from './fetch.ts';

const run = promisify(execFile);

/** What world.lock pins for a deb source. */
export interface DebPin {
  version: string;
  /** The .deb's file name in the archive (`name_version_arch.deb`, `:` written `%3a`). */
  file: string;
  sha256: string;
}

export class DebError extends Error {}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The archive cache apt-get install and apt-get download --print-uris use. */
export const APT_ARCHIVES = '/var/cache/apt/archives';

/** Parses one `apt-cache show` record (the first, when several are printed). */
export function parseAptRecord(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') { if (Object.keys(fields).length > 0) break; continue; }
    const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
    if (m) fields[m[1]!] = m[2]!;
  }
  return fields;
}

/** The pin of a record, or an error naming the field apt did not give. */
export function pinOf(name: string, record: Record<string, string>): DebPin {
  for (const f of ['Version', 'Filename', 'SHA256']) {
    if (!record[f]) throw new DebError(`apt's record of ${name} has no ${f} field`);
  }
  if (!/^[0-9a-f]{64}$/.test(record.SHA256!)) throw new DebError(`apt's record of ${name} has a malformed SHA256: ${record.SHA256}`);
  return { version: record.Version!, file: record.Filename!.split('/').pop()!, sha256: record.SHA256! };
}

async function aptCacheShow(spec: string): Promise<string | null> {
  try {
    // An unknown NAME=VERSION exits 0 on some apt versions, printing nothing on stdout.
    const out = (await run('apt-cache', ['show', '--no-all-versions', spec], { maxBuffer: 1 << 24 })).stdout;
    return /^Version:/m.test(out) ? out : null;
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') throw new DebError('apt-cache is not installed: deb sources need apt (Debian or Ubuntu)');
    return null;
  }
}

/** The versions apt serves for a name, newest first as apt lists them (empty when none). */
export async function servedVersions(name: string): Promise<string[]> {
  try {
    const out = (await run('apt-cache', ['madison', name])).stdout;
    return out.split('\n').map((l) => l.split('|')[1]?.trim()).filter((v): v is string => !!v);
  } catch {
    return [];
  }
}

/** Resolves a name to what apt would install now (its candidate version). */
export async function resolveCandidate(name: string): Promise<DebPin> {
  const out = await aptCacheShow(name);
  const record = out === null ? {} : parseAptRecord(out);
  if (!record.Version) {
    throw new DebError(`apt serves no package '${name}' (is it in the configured sources? run 'apt-get update' if the package lists are empty)`);
  }
  return pinOf(name, record);
}

/** The error for a pinned version apt no longer serves. */
export function notServedMessage(pkg: string, name: string, version: string, served: string[]): string {
  return `${pkg}: the locked ${name} ${version} is no longer served by apt ` +
    `(${served.length > 0 ? `it serves ${served.join(', ')}` : `it serves no version of ${name}`}); ` +
    `run 'world lock --update ${pkg}' to pin the version apt serves now, or 'apt-get update' if its lists are stale`;
}

export interface DebFetchRequest {
  /** The world package (for messages). */
  pkg: string;
  name: string;
  pin: DebPin;
  destDir: string;
  mirrors: readonly string[];
  offline: boolean;
  /** A scratch directory for apt-get download. */
  work: string;
  archives?: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
  backoffMs?: number;
}

/** Fetches the pinned .deb into destDir (verified), trying apt's cache, the mirrors, then apt. */
export async function fetchDeb(req: DebFetchRequest): Promise<string> {
  const log = req.log ?? (() => {});
  const local = [pathToFileURL(join(req.archives ?? APT_ARCHIVES, req.pin.file)).href,
    ...req.mirrors.map((m) => `${m.replace(/\/+$/, '')}/${req.pin.file}`)];
  try {
    return await fetchFile({ urls: local, sha256: req.pin.sha256, destDir: req.destDir, fileName: req.pin.file,
      retries: 1, backoffMs: req.backoffMs, signal: req.signal, log });
  } catch (err) {
    if (err instanceof ChecksumMismatch) log(`${err.message}; trying apt`);
    else if (!(err instanceof FetchFailed)) throw err;
  }
  if (req.offline) throw new DebError(`${req.pkg}: ${req.pin.file} is neither in ${req.archives ?? APT_ARCHIVES} nor on a mirror, and --offline forbids apt-get download`);
  const spec = `${req.name}=${req.pin.version}`;
  if ((await aptCacheShow(spec)) === null) {
    throw new DebError(notServedMessage(req.pkg, req.name, req.pin.version, await servedVersions(req.name)));
  }
  log(`apt-get download ${spec}`);
  try {
    await run('apt-get', ['download', '-q', spec], { cwd: req.work, signal: req.signal, maxBuffer: 1 << 24 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new DebError(`${req.pkg}: apt-get download ${spec} failed: ${(e.stderr || e.message).trim()}`);
  }
  const got = readdirSync(req.work).find((n) => n.endsWith('.deb'));
  if (!got) throw new DebError(`${req.pkg}: apt-get download ${spec} wrote no .deb`);
  const path = join(req.work, got);
  const sum = await sha256File(path);
  if (sum !== req.pin.sha256) {
    rmSync(path, { force: true });
    throw new ChecksumMismatch(`apt-get download ${spec}`, req.pin.sha256, sum);
  }
  const dest = join(req.destDir, req.pin.file);
  renameSync(path, dest);
  log(`ok apt-get download ${spec} sha256 ${sum}`);
  return dest;
}
