// The toolchain fingerprint: for each tool a step declares, its resolved path on PATH and its
// `--version` output. Asking a compiler its version costs a process start, so answers are kept in
// .world/toolchain.json by the binary's identity (real path, size, mtime, inode); a replaced binary
// is asked again.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync, realpathSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { writeFileAtomic } from './atomic.ts';
import type { Json } from './hash.ts';

export interface ToolFingerprint { path: string; version: string }

export function whichTool(name: string, pathEnv = process.env.PATH ?? ''): string | undefined {
  if (name.includes('/')) return name;
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch { /* not here */ }
  }
  return undefined;
}

export class Toolchain {
  private memo = new Map<string, ToolFingerprint>();
  private stored: Record<string, string>;
  private dirty = false;

  constructor(private readonly file: string) {
    try { this.stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>; } catch { this.stored = {}; }
  }

  fingerprint(name: string): ToolFingerprint {
    const known = this.memo.get(name);
    if (known) return known;
    const path = whichTool(name);
    let fp: ToolFingerprint;
    if (!path) {
      fp = { path: 'not found', version: '' };
    } else {
      const real = realpathSync(path);
      const st = statSync(real);
      const identity = `${real}:${st.size}:${st.mtimeMs}:${st.ino}`;
      let version = this.stored[identity];
      if (version === undefined) {
        try {
          version = execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 }).trim();
        } catch (err) {
          version = `--version failed: ${(err as Error).message.split('\n')[0]}`;
        }
        this.stored[identity] = version;
        this.dirty = true;
      }
      fp = { path, version };
    }
    this.memo.set(name, fp);
    return fp;
  }

  fingerprints(names: readonly string[]): Record<string, Json> {
    const out: Record<string, Json> = {};
    for (const n of [...names].sort()) out[n] = { ...this.fingerprint(n) };
    return out;
  }

  /** Saves new answers; only called while holding the build lock. */
  save(): void {
    if (this.dirty) writeFileAtomic(this.file, JSON.stringify(this.stored, null, 1) + '\n');
    this.dirty = false;
  }
}
