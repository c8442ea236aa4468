// The content-addressed store. An artifact is a directory stored under cas/<sha256 of its tree>;
// a step's key maps to its artifact through keys/<key>.json. The order of writes is what makes the
// store safe to interrupt: the artifact is renamed into place whole, and only then is the key
// written (atomically). A key file therefore never points at a partial artifact, and a directory
// left in tmp/ by a killed step is never looked at again.
import { existsSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { tempPathFor, writeFileAtomic } from './atomic.ts';
import { hashDir } from './tree.ts';
import { crashPoint } from './crashpoint.ts';
import type { Layout } from './layout.ts';

export interface KeyEntry { artifact: string; step: string }

export class Cache {
  constructor(readonly layout: Layout) {}

  artifactDir(artifact: string): string {
    return join(this.layout.cas, artifact);
  }

  private keyFile(key: string): string {
    return join(this.layout.keys, key.slice(0, 2), `${key}.json`);
  }

  /** The artifact a key produced, if it and its artifact are both present. */
  lookup(key: string): string | undefined {
    let entry: KeyEntry;
    try { entry = JSON.parse(readFileSync(this.keyFile(key), 'utf8')) as KeyEntry; } catch { return undefined; }
    return existsSync(this.artifactDir(entry.artifact)) ? entry.artifact : undefined;
  }

  /** Moves a finished output directory into the store and records the key. Returns the artifact hash. */
  store(key: string, step: string, outDir: string): string {
    const artifact = hashDir(outDir).hash;
    const dest = this.artifactDir(artifact);
    mkdirSync(this.layout.cas, { recursive: true });
    crashPoint(`store:hashed ${step}`);
    if (existsSync(dest)) {
      rmSync(outDir, { recursive: true, force: true }); // same bytes already stored
    } else {
      try {
        renameSync(outDir, dest);
      } catch (err) {
        // Another process stored the same artifact between our check and our rename.
        if (!existsSync(dest)) throw err;
        rmSync(outDir, { recursive: true, force: true });
      }
    }
    crashPoint(`store:artifact-in-place ${step}`);
    writeFileAtomic(this.keyFile(key), JSON.stringify({ artifact, step } satisfies KeyEntry) + '\n');
    return artifact;
  }

  /** Points .world/out/<name> at an artifact, replacing the old link in one rename. */
  install(name: string, artifact: string): string {
    const link = join(this.layout.out, name);
    const target = relative(dirname(link), this.artifactDir(artifact));
    try { if (readlinkSync(link) === target) return link; } catch { /* absent */ }
    mkdirSync(this.layout.out, { recursive: true });
    const tmp = tempPathFor(link);
    symlinkSync(target, tmp);
    crashPoint(`install:linked ${name}`);
    renameSync(tmp, link);
    crashPoint(`install:renamed ${name}`);
    return link;
  }
}
