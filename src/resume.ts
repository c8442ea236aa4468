// Work directories of resumable stages (Stage.resumable): where an interrupted or killed run's
// work is kept, and when the next run of the same step may take it up. One directory per step,
// .world/tmp/resume/<step>/, holding `work/` and `key`, the cache key of the run that made it:
// only a run with the same key (the same inputs, to the byte) resumes; any other starts afresh.
// It lives under tmp/ because nothing in it is trusted: the stage repairs what a kill may have
// left half-written before it goes on, and its artifact still comes from a new output directory
// filled by a run that completed. Removed once the step ends other than by an interrupt.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.ts';
import { crashPoint } from './crashpoint.ts';
import type { Layout } from './layout.ts';

/** The directory kept for one step (its id made a file name). */
export function resumeDirOf(layout: Layout, stepId: string): string {
  return join(layout.resume, stepId.replace(/[^A-Za-z0-9@_-]/g, '_'));
}

/**
 * The work directory for a run of `stepId` with `key`: an interrupted run's, if one with this
 * key was left (resumed), else a new empty one in place of whatever was there.
 */
export function claimResumeDir(layout: Layout, stepId: string, key: string): { work: string; resumed: boolean } {
  const dir = resumeDirOf(layout, stepId);
  const work = join(dir, 'work');
  let kept: string | undefined;
  try { kept = readFileSync(join(dir, 'key'), 'utf8'); } catch { /* none kept */ }
  if (kept === key && existsSync(work)) return { work, resumed: true };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  // Written after the empty work directory exists, so a key found means its work is this key's.
  writeFileAtomic(join(dir, 'key'), key);
  crashPoint(`resume:claimed ${stepId}`);
  return { work, resumed: false };
}

/** The step ended (done, or failed for a reason a rerun would meet again): its work goes. */
export function releaseResumeDir(layout: Layout, stepId: string): void {
  rmSync(resumeDirOf(layout, stepId), { recursive: true, force: true });
}
