// Shared by the orchestrator tests: temporary copies of fixture worlds, a recording reporter,
// and running the real `world` command as a child process.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { Reporter, Summary } from '../../src/run/progress.ts';

export const worldBin = new URL('../../bin/world.js', import.meta.url).pathname;
const fixtures = new URL('./fixtures/', import.meta.url).pathname;

/** A fresh copy of a fixture world in a temporary directory (outside the repository). */
export function copyFixture(name: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `world-${name}-`));
  cpSync(join(fixtures, name), dir, { recursive: true });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `body` on a fresh copy of fixture `name`, removed afterwards whether or not the body throws. */
export async function inFixture<T>(name: string, body: (fx: { dir: string }) => Promise<T>): Promise<T> {
  const fx = copyFixture(name);
  try {
    return await body(fx);
  } finally {
    fx.cleanup();
  }
}

export type Event = { kind: 'start' | 'cached' | 'done' | 'failed' | 'skipped' | 'note'; id: string; detail?: string; tail?: string[]; log?: string | null };

export class RecordingReporter implements Reporter {
  events: Event[] = [];
  summary?: Summary;
  begin(): void {}
  start(id: string): void { this.events.push({ kind: 'start', id }); }
  cached(id: string): void { this.events.push({ kind: 'cached', id }); }
  done(id: string): void { this.events.push({ kind: 'done', id }); }
  failed(id: string, message: string, log: string | null, tail: string[]): void { this.events.push({ kind: 'failed', id, detail: message, tail, log }); }
  skipped(id: string, cause: string): void { this.events.push({ kind: 'skipped', id, detail: cause }); }
  note(text: string): void { this.events.push({ kind: 'note', id: '', detail: text }); }
  async end(s: Summary): Promise<void> { this.summary = s; }
  ids(kind: Event['kind']): string[] { return this.events.filter((e) => e.kind === kind).map((e) => e.id).sort(); }
}

export function world(args: string[], cwd: string, env: Record<string, string> = {}): ResultPromise<{ reject: false; all: true }> {
  return execa('node', [worldBin, ...args], { cwd, reject: false, all: true, env: { CI: 'true', ...env } });
}
