// Profile feedback (the slides' phase 2): which statements of the guest's source the afterburner
// annotates as page-table writes without a manual `.afterburn_pte`, and which access device
// memory. The file is written by
// `world netperf --feedback-out` from a profiling run (src/commands/feedback.ts) and read by the
// `as` drop-in when WORLD_AFTERBURN_FEEDBACK names it. Format, one entry a line:
//   pte <file>:<line>      a page-table write: every 32-bit `mov` store the compiler placed on
//                          that source line (from the assembly's .loc) becomes a page-table site
//   mmio <file>:<line>     an access to device memory: every instruction with a memory operand
//                          on that line is recorded in `.afterburn_mmio` (a record, no padding;
//                          the device pre-virtualization wedges rewrite those long enough)
// `#` starts a comment; <file> is relative to the directory the compiler ran in.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const FEEDBACK_ENV = 'WORLD_AFTERBURN_FEEDBACK';

export class FeedbackError extends Error {}

export interface Feedback {
  /** Source locations (`file:line`, file normalized) of page-table writes. */
  pte: Set<string>;
  /** ... of accesses to device memory. */
  mmio: Set<string>;
}

export function parseFeedback(text: string, where = 'feedback'): Feedback {
  const out: Feedback = { pte: new Set(), mmio: new Set() };
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const m = /^(pte|mmio)\s+(\S+):(\d+)$/.exec(line);
    if (!m) throw new FeedbackError(`${where}:${i + 1}: expected 'pte <file>:<line>' or 'mmio <file>:<line>', got '${line}'`);
    out[m[1] as 'pte' | 'mmio'].add(`${normalizeSourcePath(m[2]!)}:${Number(m[3])}`);
  });
  return out;
}

/** A source path as both the assembly's .file and the debug information name it: no leading
 *  `./`, no `x/../` pairs. */
export function normalizeSourcePath(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '.' || seg === '') continue;
    if (seg === '..' && parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
    else parts.push(seg);
  }
  return parts.join('/');
}

/** Reads the feedback file an `as` call's environment names, or null when it names none. */
export function loadFeedback(env: Record<string, string | undefined>, cwd: string): Feedback | null {
  const file = env[FEEDBACK_ENV];
  if (!file) return null;
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new FeedbackError(`${FEEDBACK_ENV}=${file}: ${(e as Error).message}`);
  }
  return parseFeedback(text, path);
}

/** Formats feedback entries (sorted, one a line) under a header comment. */
export function formatFeedback(fb: { pte: Iterable<string>; mmio: Iterable<string> }, header: string[]): string {
  const pte = [...new Set(fb.pte)].sort().map((l) => `pte ${l}`);
  const mmio = [...new Set(fb.mmio)].sort().map((l) => `mmio ${l}`);
  return [...header.map((h) => `# ${h}`), ...pte, ...mmio].join('\n') + '\n';
}
