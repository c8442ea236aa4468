// Why a step must run: the differences between the inputs of its last build and its inputs now,
// in words ("source packages/crc32: crc32.c changed", "option hz: 100 -> 250"), in the spirit of
// bitbake-diffsigs.
import { canonicalJson, type Json } from './hash.ts';
import type { KeyInputs } from './keys.ts';
import type { StepRecord } from './state.ts';

function short(v: Json | undefined): string {
  if (v === undefined) return '(absent)';
  if (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)) return v.slice(0, 12);
  if (typeof v === 'string' && v.includes('\n')) return JSON.stringify(v.split('\n')[0]) + ` (+${v.split('\n').length - 1} lines)`;
  const s = canonicalJson(v);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

function diffJson(before: Json | undefined, after: Json | undefined, path: string, out: string[]): void {
  if (canonicalJson(before ?? null) === canonicalJson(after ?? null) && (before === undefined) === (after === undefined)) return;
  const isObj = (v: Json | undefined): v is { [k: string]: Json } => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    for (const k of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
      diffJson(before[k], after[k], path ? `${path}.${k}` : k, out);
    }
    return;
  }
  out.push(`${path}: ${short(before)} -> ${short(after)}`);
}

function diffFiles(name: string, before: Record<string, string>, after: Record<string, string>): string[] {
  const out: string[] = [];
  for (const f of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    if (before[f] === after[f]) continue;
    const what = before[f] === undefined ? 'added' : after[f] === undefined ? 'removed' : 'changed';
    out.push(`${name}: ${f} ${what}`);
  }
  return out;
}

const WORDS: Record<string, string> = {
  orchestrator: 'orchestrator version',
  recipe: 'recipe',
  prev: 'previous stage\'s artifact',
  deps: 'dependency artifact',
  toolchain: 'tool',
  options: 'option',
  paths: 'input',
  env: 'environment',
  source: 'source',
};

/** Reasons, most specific first; empty if the inputs are the same. */
export function explainChange(record: StepRecord | undefined, now: KeyInputs): string[] {
  if (!record) return ['never built here'];
  const reasons: string[] = [];
  const fileLevel = new Set<string>();
  for (const name of Object.keys(now.trees).sort()) {
    const lines = diffFiles(name, record.trees[name] ?? {}, now.trees[name] ?? {});
    if (lines.length > 0) {
      const kind = name.split(' ')[0]!;
      fileLevel.add(kind === 'input' ? 'paths' : kind);
      reasons.push(...lines);
    }
  }
  const raw: string[] = [];
  diffJson(record.inputs, now.inputs, '', raw);
  for (const line of raw) {
    const top = line.split(/[.:]/)[0]!;
    if (fileLevel.has(top)) continue; // already said file by file
    const word = WORDS[top];
    reasons.push(word ? `${word} ${line.slice(top.length).replace(/^\./, '')}`.replace(/ :/, ':') : line);
  }
  return reasons.length > 0 ? reasons : ['inputs unchanged, but the artifact is no longer in the cache'];
}
