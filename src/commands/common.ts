// What the build-like commands share: opening the world with errors printed helpfully, the build
// lock, Ctrl-C handling, and choosing a progress reporter.
import { availableParallelism } from 'node:os';
import { basename, relative } from 'node:path';
import { ManifestError } from '../manifest/errors.ts';
import { CycleError, TargetError } from '../graph.ts';
import { Session } from '../session.ts';
import { acquireBuildLock, LockBusy, type HeldLock } from '../run/lock.ts';
import { makeReporter, type ProgressMode } from '../run/progress.ts';
import { lockPath, staleLockReasons } from '../lockfile.ts';
import { UsageError } from './command.ts';

export const WORLD_OPTION_HELP = '  -f, --file <path>   the world manifest (default: ./world.yaml)';

/** Opens the world, or prints why it cannot (file:line:col for manifest errors) and returns undefined. */
export async function openSession(file: string | undefined): Promise<Session | undefined> {
  try {
    return await Session.open(file ?? 'world.yaml');
  } catch (err) {
    if (err instanceof ManifestError || err instanceof CycleError) {
      process.stderr.write(`world: ${err instanceof ManifestError ? 'invalid world manifest' : 'invalid package graph'}\n${err.message}\n`);
      return undefined;
    }
    throw err;
  }
}

export function selectOrReport(session: Session, targets: string[], stages?: string[]): string[] | undefined {
  try {
    return session.select(targets, stages);
  } catch (err) {
    if (err instanceof TargetError) { process.stderr.write(`world: ${err.message}\n`); return undefined; }
    throw err;
  }
}

export function parseJobs(value: string | undefined): number {
  if (value === undefined) return availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`-j expects a positive integer, got '${value}'`);
  return n;
}

export interface BuildCommandOptions {
  file?: string;
  targets: string[];
  stages?: string[];
  jobs: number;
  keepGoing: boolean;
  offline: boolean;
  wait: boolean;
  progress: ProgressMode;
}

/** Runs a build of some steps under the tree's build lock; returns the exit status. */
export async function runBuild(o: BuildCommandOptions): Promise<number> {
  const session = await openSession(o.file);
  if (!session) return 2;
  const ids = selectOrReport(session, o.targets, o.stages);
  if (!ids) return 2;
  const reporter = await makeReporter(o.progress);
  const stale = staleLockReasons(session.world);
  if (stale.length > 0) reporter.note(`${basename(lockPath(session.world))} is stale (${stale.join('; ')}); run 'world lock' to update it`);

  let lock: HeldLock;
  try {
    lock = await acquireBuildLock(session.layout.lock, { wait: o.wait, say: (l) => reporter.note(l) });
  } catch (err) {
    if (err instanceof LockBusy) { process.stderr.write(`world: ${err.message}\n`); return 1; }
    throw err;
  }
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupts += 1;
    if (interrupts > 1) { lock.release(); process.exit(130); }
    process.stderr.write(`\nworld: ${sig}: stopping; running steps are killed and leave nothing in the cache\n`);
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    session.sweepTemp();
    const result = await session.build(ids, {
      jobs: o.jobs, keepGoing: o.keepGoing, offline: o.offline, signal: controller.signal, reporter,
    });
    if (result.interrupted) return 130;
    return result.ok ? 0 : 1;
  } finally {
    lock.release();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function shownPath(p: string): string {
  return relative(process.cwd(), p) || '.';
}
