// The terminal reporter: a listr2 task list, one task per step, resolved as the scheduler reports.
// listr2 owns the screen while it runs, so failure details are held back and printed after it.
// Colours follow listr2's own rules, which honour NO_COLOR.
import { Listr } from 'listr2';
import { failureText, summaryLine, type Reporter, type Summary } from './progress.ts';

type Outcome = { kind: 'done' } | { kind: 'cached' } | { kind: 'failed'; message: string } | { kind: 'skipped'; cause: string };

interface Deferred { promise: Promise<Outcome>; resolve: (o: Outcome) => void }

function deferred(): Deferred {
  let resolve!: (o: Outcome) => void;
  const promise = new Promise<Outcome>((r) => { resolve = r; });
  return { promise, resolve };
}

export class ListrReporter implements Reporter {
  private outcomes = new Map<string, Deferred>();
  private started = new Map<string, Deferred>();
  private running: Promise<unknown> = Promise.resolve();
  private held: string[] = [];

  begin(steps: string[]): void {
    for (const id of steps) { this.outcomes.set(id, deferred()); this.started.set(id, deferred()); }
    const list = new Listr(steps.map((id) => ({
      title: id,
      task: async (_, task) => {
        const first = await Promise.race([this.started.get(id)!.promise, this.outcomes.get(id)!.promise]);
        if (first.kind === 'done') task.title = `${id} (running)`;
        const o = await this.outcomes.get(id)!.promise;
        task.title = o.kind === 'cached' ? `${id} (cached)` : id;
        if (o.kind === 'skipped') task.skip(`${id} (skipped: needs ${o.cause})`);
        else if (o.kind === 'failed') throw new Error(`${id}: ${o.message}`);
      },
    })), {
      concurrent: true, exitOnError: false, rendererOptions: { collapseSkips: false },
      // Ctrl-C is ours to handle: kill the steps' process groups, clean up, release the lock.
      registerSignalListeners: false,
    });
    this.running = list.run().catch(() => undefined);
  }

  start(id: string): void { this.started.get(id)?.resolve({ kind: 'done' }); }
  cached(id: string): void { this.outcomes.get(id)?.resolve({ kind: 'cached' }); }
  done(id: string): void { this.outcomes.get(id)?.resolve({ kind: 'done' }); }
  failed(id: string, message: string, logPath: string | null, tail: string[]): void {
    this.held.push(failureText(id, message, logPath, tail));
    this.outcomes.get(id)?.resolve({ kind: 'failed', message });
  }
  skipped(id: string, cause: string): void { this.outcomes.get(id)?.resolve({ kind: 'skipped', cause }); }
  note(text: string): void {
    // Before the list owns the screen (e.g. waiting for the build lock) a note can be shown at once.
    if (this.outcomes.size === 0) process.stderr.write(`world: ${text}\n`);
    else this.held.push(`world: ${text}\n`);
  }

  async end(s: Summary): Promise<void> {
    // Steps never started (build stopped) are closed as skipped so the list can finish.
    for (const d of this.outcomes.values()) d.resolve({ kind: 'skipped', cause: '' });
    await this.running;
    for (const h of this.held) process.stderr.write(h);
    process.stdout.write(summaryLine(s) + '\n');
  }
}
