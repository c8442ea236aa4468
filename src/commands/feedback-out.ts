// Profile feedback, the writing half (the slides' phase 2): the guest instructions a profiling
// run found writing page tables in use (the wedge's wedge_pt_profile, run with pt=direct so that
// every such write faults) and accessing device memory (the machine bus's watch) become the
// source locations the afterburner annotates on the next build (afterburner/feedback.ts). Each EIP maps to its statement through the guest's
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
      throw new FeedbackOutError(`${elfPath}: no source line for 0x${eips[i]!.toString(16)} (build the guest with -g, as guest-kernel@afterburnt-feedback and linux@afterburnt are; a vmlinux whose debug sections were stripped needs its .debug file beside it)`);
    }
    return `${normalizeSourcePath(m[1]!)}:${m[2]}`;
  });
}

/** Writes the feedback file for a profiling run: the page-table writers and the instructions
 *  that accessed device memory. Returns the source locations of each. */
export function writeFeedback(out: string, elfPath: string, eips: { pte: readonly number[]; mmio: readonly number[] }, what: string): { pte: string[]; mmio: string[] } {
  const pte = [...new Set(sourceLocations(elfPath, eips.pte))].sort();
  const mmio = [...new Set(sourceLocations(elfPath, eips.mmio))].sort();
  writeFileAtomic(out, formatFeedback({ pte, mmio }, [
    'Found by profiling (world netperf --feedback-out): page-table writes (pte), whose 32-bit',
    'stores the afterburner annotates, and device-memory accesses (mmio), which it records',
    '(afterburner/feedback.ts).',
    `Profile: ${what}`,
  ]));
  return { pte, mmio };
}
