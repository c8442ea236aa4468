// Profile feedback, the writing half (the slides' phase 2): the guest instructions a profiling
// run found writing page tables in use (the wedge's wedge_pt_profile, run with pt=direct so that
// every such write faults) become the source locations the afterburner annotates on the next
// build (afterburner/feedback.ts reads them). Each EIP maps to its statement through the guest's
// debug information with GNU addr2line (the innermost inlined location: for a store inlined from
// a header, the header's line, so every inlined copy of it is annotated).
import { spawnSync } from 'node:child_process';
import { formatFeedback, normalizeSourcePath } from '../../afterburner/feedback.ts';
import { writeFileAtomic } from '../atomic.ts';

export class FeedbackOutError extends Error {}

/** Maps guest EIPs to `file:line` (paths as the compiler saw them, normalized). */
export function sourceLocations(elfPath: string, eips: readonly number[]): string[] {
  if (eips.length === 0) return [];
  const r = spawnSync('addr2line', ['-e', elfPath, ...eips.map((e) => `0x${e.toString(16)}`)], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new FeedbackOutError(`addr2line -e ${elfPath}: ${r.error?.message ?? r.stderr.trim()}`);
  const lines = r.stdout.trim().split('\n');
  return lines.map((l, i) => {
    const m = /^(.*):(\d+)(?: \(discriminator \d+\))?$/.exec(l.trim());
    if (!m || m[1] === '??' || m[2] === '0') {
      throw new FeedbackOutError(`${elfPath}: no source line for 0x${eips[i]!.toString(16)} (build the guest with -g: guest-kernel@afterburnt-feedback is)`);
    }
    return `${normalizeSourcePath(m[1]!)}:${m[2]}`;
  });
}

/** Writes the feedback file for a profiling run's page-table writers; returns the locations. */
export function writeFeedback(out: string, elfPath: string, eips: readonly number[], what: string): string[] {
  const locations = [...new Set(sourceLocations(elfPath, eips))].sort();
  writeFileAtomic(out, formatFeedback(locations, [
    'Page-table writes found by profiling (world netperf --feedback-out): the afterburner annotates',
    'every 32-bit store on these source lines (afterburner/feedback.ts).',
    `Profile: ${what}`,
  ]));
  return locations;
}
