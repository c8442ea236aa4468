// How a build shows its progress. Three reporters share one interface: `plain` prints a line per
// step that runs (not a TTY, or CI=true), `json` prints one JSON object per event for machines,
// and `listr` (run/listr.ts) draws a live task list on a terminal. Each ends with one summary line.

export interface Summary { run: number; cached: number; failed: number; skipped: number; seconds: number; interrupted: boolean }

export interface Reporter {
  begin(steps: string[]): void;
  start(id: string): void;
  cached(id: string): void;
  done(id: string, seconds: number): void;
  failed(id: string, message: string, logPath: string | null, tail: string[]): void;
  skipped(id: string, cause: string): void;
  note(text: string): void;
  end(summary: Summary): Promise<void>;
}

export function summaryLine(s: Summary): string {
  const parts = [`${s.run} step${s.run === 1 ? '' : 's'} run`, `${s.cached} cache hit${s.cached === 1 ? '' : 's'}`,
    `${s.failed} failed`];
  if (s.skipped > 0) parts.push(`${s.skipped} skipped`);
  return `world: ${parts.join(', ')} in ${s.seconds.toFixed(2)}s${s.interrupted ? ' (interrupted)' : ''}`;
}

export function failureText(id: string, message: string, logPath: string | null, tail: string[]): string {
  const lines = [`FAILED ${id}: ${message}`];
  if (tail.length > 0) lines.push(...tail.map((l) => `  | ${l}`));
  if (logPath) lines.push(`  log: ${logPath}`);
  return lines.join('\n') + '\n';
}

export class PlainReporter implements Reporter {
  private total = 0;
  private started = 0;
  constructor(private readonly out: NodeJS.WritableStream = process.stdout, private readonly err: NodeJS.WritableStream = process.stderr) {}
  begin(steps: string[]): void { this.total = steps.length; }
  start(id: string): void { this.started += 1; this.out.write(`[${this.started}/${this.total}] ${id}\n`); }
  cached(): void { this.started += 1; }
  done(id: string, seconds: number): void { this.out.write(`ok ${id} (${seconds.toFixed(1)}s)\n`); }
  failed(id: string, message: string, logPath: string | null, tail: string[]): void { this.err.write(failureText(id, message, logPath, tail)); }
  skipped(id: string, cause: string): void { this.out.write(`skipped ${id} (needs ${cause})\n`); }
  note(text: string): void { this.err.write(`world: ${text}\n`); }
  async end(s: Summary): Promise<void> { this.out.write(summaryLine(s) + '\n'); }
}

export class JsonReporter implements Reporter {
  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}
  private emit(event: Record<string, unknown>): void { this.out.write(JSON.stringify(event) + '\n'); }
  begin(steps: string[]): void { this.emit({ event: 'begin', steps }); }
  start(id: string): void { this.emit({ event: 'start', step: id }); }
  cached(id: string): void { this.emit({ event: 'cached', step: id }); }
  done(id: string, seconds: number): void { this.emit({ event: 'done', step: id, seconds }); }
  failed(id: string, message: string, logPath: string | null, tail: string[]): void { this.emit({ event: 'failed', step: id, message, log: logPath, tail }); }
  skipped(id: string, cause: string): void { this.emit({ event: 'skipped', step: id, cause }); }
  note(text: string): void { this.emit({ event: 'note', text }); }
  async end(s: Summary): Promise<void> { this.emit({ event: 'summary', ...s }); }
}

/** 'stderr': plain lines, all on stderr (for commands whose stdout is a report). */
export type ProgressMode = 'auto' | 'plain' | 'json' | 'stderr';

export async function makeReporter(mode: ProgressMode): Promise<Reporter> {
  if (mode === 'json') return new JsonReporter();
  if (mode === 'stderr') return new PlainReporter(process.stderr, process.stderr);
  const tty = process.stdout.isTTY === true && process.env.CI !== 'true' && process.env.TERM !== 'dumb';
  if (mode === 'plain' || !tty) return new PlainReporter();
  const { ListrReporter } = await import('./listr.ts');
  return new ListrReporter();
}
