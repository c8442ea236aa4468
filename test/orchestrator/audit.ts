// An audit of a world's .world/ state directory after a fault (a killed build, a failed download):
// everything outside tmp/ must be something the orchestrator wrote whole and can trust. Checked
// independently of the code that wrote it: each artifact is hashed again (src/tree.ts's hashDir is
// the definition of an artifact's name), each key file must parse and point at an artifact, each
// installed link must resolve, and no temporary file of an atomic write may be left beside its
// target. Returns the problems found, empty when the directory is sound.
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { hashDir } from '../../src/tree.ts';

function walk(dir: string, out: string[], rel = ''): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    out.push(join(rel, name));
    if (lstatSync(path).isDirectory()) walk(path, out, join(rel, name));
  }
}

function parses(path: string): unknown {
  try { return JSON.parse(readFileSync(path, 'utf8')); } catch { return undefined; }
}

export interface AuditOptions {
  /** A build may still hold the lock (auditing while one runs); by default a lock left is a problem. */
  lockAllowed?: boolean;
}

export function auditState(state: string, o: AuditOptions = {}): string[] {
  const problems: string[] = [];
  if (!existsSync(state)) return problems;
  const referenced = new Set<string>();
  for (const top of readdirSync(state)) {
    const path = join(state, top);
    if (top === 'tmp') continue; // never trusted, swept by the next build
    if (top === 'cas') {
      for (const a of readdirSync(path)) {
        const dir = join(path, a);
        if (!/^[0-9a-f]{64}$/.test(a)) { problems.push(`cas/${a}: not an artifact name (left by an unfinished store?)`); continue; }
        if (!statSync(dir).isDirectory()) { problems.push(`cas/${a}: not a directory`); continue; }
        const h = hashDir(dir).hash;
        if (h !== a) problems.push(`cas/${a}: its files hash to ${h} (a partial or changed artifact)`);
      }
      continue;
    }
    if (top === 'keys') {
      const files: string[] = [];
      walk(path, files);
      for (const f of files) {
        const p = join(path, f);
        if (lstatSync(p).isDirectory()) continue;
        const entry = parses(p) as { artifact?: string; step?: string } | undefined;
        if (!/^[0-9a-f]{2}\/[0-9a-f]{64}\.json$/.test(f)) problems.push(`keys/${f}: not a key file name (a temporary file left?)`);
        else if (!entry?.artifact || !entry.step) problems.push(`keys/${f}: not a whole key entry`);
        else if (!existsSync(join(state, 'cas', entry.artifact))) problems.push(`keys/${f}: points at missing artifact ${entry.artifact}`);
        else referenced.add(entry.artifact);
      }
      continue;
    }
    if (top === 'steps') {
      for (const f of readdirSync(path)) {
        const rec = parses(join(path, f)) as { key?: string; artifact?: string } | undefined;
        if (!f.endsWith('.json') || f.startsWith('.')) problems.push(`steps/${f}: not a step record (a temporary file left?)`);
        else if (!rec?.key || !rec.artifact) problems.push(`steps/${f}: not a whole step record`);
      }
      continue;
    }
    if (top === 'out') {
      for (const f of readdirSync(path)) {
        const p = join(path, f);
        if (!lstatSync(p).isSymbolicLink()) { problems.push(`out/${f}: not a link into the cache`); continue; }
        const target = resolve(dirname(p), readlinkSync(p));
        if (dirname(target) !== join(state, 'cas') || !existsSync(target)) problems.push(`out/${f}: dangling or outside cas/ (${readlinkSync(p)})`);
        else if (f.includes('.tmp-')) problems.push(`out/${f}: a temporary link left beside the installed ones`);
      }
      continue;
    }
    if (top === 'logs') {
      const files: string[] = [];
      walk(path, files);
      for (const f of files) if (!lstatSync(join(path, f)).isDirectory() && !f.endsWith('.log')) problems.push(`logs/${f}: not a log`);
      continue;
    }
    // The toolchain record, the stat cache of hashed files and the remembered checked world.
    if (top === 'toolchain.json' || top === 'file-hashes.json' || top === 'world.json') {
      if (parses(path) === undefined) problems.push(`${top}: not whole JSON`);
      continue;
    }
    if (top === 'afterburner') {
      for (const f of readdirSync(path)) {
        if (!/^as-[0-9a-f]{16}$/.test(f)) problems.push(`afterburner/${f}: not a finished drop-in (left by an unfinished build of one?)`);
        else if (!existsSync(join(path, f, 'as'))) problems.push(`afterburner/${f}: no 'as' in it`);
      }
      continue;
    }
    if (top === 'build.lock' && o.lockAllowed) continue;
    problems.push(`${top}: not something the orchestrator keeps (left by an interrupted write?)`);
  }
  const cas = join(state, 'cas');
  if (existsSync(cas) && existsSync(join(state, 'keys'))) {
    for (const a of readdirSync(cas)) if (/^[0-9a-f]{64}$/.test(a) && !referenced.has(a)) problems.push(`cas/${a}: no key refers to it (an orphaned artifact)`);
  }
  return problems.sort();
}

/** sha256 of every installed unit's tree, by unit: what two builds must agree on byte for byte. */
export function installedHashes(state: string): Record<string, string> {
  const out: Record<string, string> = {};
  const dir = join(state, 'out');
  if (!existsSync(dir)) return out;
  for (const unit of readdirSync(dir).sort()) out[unit] = hashDir(join(dir, unit)).hash;
  return out;
}
