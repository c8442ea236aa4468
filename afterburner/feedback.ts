// Profile feedback (the slides' phase 2): which statements of the guest's source the afterburner
// annotates as page-table writes without a manual `.afterburn_pte`. The file is written by
// `world netperf --feedback-out` from a profiling run (src/commands/feedback.ts) and read by the
// `as` drop-in when WORLD_AFTERBURN_FEEDBACK names it. Format, one entry a line:
//   pte <file>:<line>      a page-table write: every 32-bit `mov` store the compiler placed on
//                          that source line (from the assembly's .loc) becomes a page-table site
// `#` starts a comment; <file> is relative to the directory the compiler ran in.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const FEEDBACK_ENV = 'WORLD_AFTERBURN_FEEDBACK';

export class FeedbackError extends Error {}

/** The source locations (`file:line`, file normalized) the feedback marks as page-table writes. */
export function parseFeedback(text: string, where = 'feedback'): Set<string> {
  const out = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const m = /^pte\s+(\S+):(\d+)$/.exec(line);
    if (!m) throw new FeedbackError(`${where}:${i + 1}: expected 'pte <file>:<line>', got '${line}'`);
    out.add(`${normalizeSourcePath(m[1]!)}:${Number(m[2])}`);
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
export function loadFeedback(env: Record<string, string | undefined>, cwd: string): Set<string> | null {
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
export function formatFeedback(locations: Iterable<string>, header: string[]): string {
  const lines = [...new Set(locations)].sort();
  return [...header.map((h) => `# ${h}`), ...lines.map((l) => `pte ${l}`)].join('\n') + '\n';
}
