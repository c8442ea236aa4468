// The regression gate: every figure that differs between two results files, with old, new and
// the change. Figures are deterministic, so any difference is real; the threshold is policy: a
// numeric change larger than it (in percent of the old value), any change of a non-numeric figure
// (a status, a verified flag) and any figure that disappeared fail the gate. New figures (a
// configuration that now runs) are listed but do not fail it. The host sections are never read.
import { flattenFigures, type Results } from './results.ts';

export type Value = number | boolean | string | null;

export interface Change {
  figure: string;
  old: Value | undefined;
  new: Value | undefined;
  /** Percent change of a numeric figure; Infinity from zero; null when not numeric. */
  percent: number | null;
  /** Past the threshold: this change fails the gate. */
  past: boolean;
}

export function compareResults(base: Results, next: Results, thresholdPct: number): Change[] {
  const a = flattenFigures(base);
  const b = flattenFigures(next);
  const out: Change[] = [];
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  for (const k of keys) {
    const o = a.get(k);
    const n = b.get(k);
    if (a.has(k) && b.has(k) && o === n) continue;
    if (!b.has(k)) { out.push({ figure: k, old: o, new: undefined, percent: null, past: true }); continue; }
    if (!a.has(k)) { out.push({ figure: k, old: undefined, new: n, percent: null, past: false }); continue; }
    if (typeof o === 'number' && typeof n === 'number') {
      const percent = o === 0 ? Infinity : ((n - o) / Math.abs(o)) * 100;
      out.push({ figure: k, old: o, new: n, percent, past: Math.abs(percent) > thresholdPct });
    } else {
      out.push({ figure: k, old: o, new: n, percent: null, past: true });
    }
  }
  return out;
}

/** Settings that make figures incomparable or explain a difference: shown, never a failure by themselves. */
export function contextChanges(base: Results, next: Results): string[] {
  const out: string[] = [];
  const pairs: [string, unknown, unknown][] = [
    ['bench.transfer_bytes', base.bench.transfer_bytes, next.bench.transfer_bytes],
    ['bench.message_bytes', base.bench.message_bytes, next.bench.message_bytes],
    ['bench.profile', base.bench.profile, next.bench.profile],
  ];
  for (const [k, v] of Object.entries(next.provenance)) pairs.push([`provenance.${k}`, base.provenance[k], v]);
  for (const [k, o, n] of pairs) {
    if (JSON.stringify(o) !== JSON.stringify(n)) out.push(`${k}: ${short(o)} -> ${short(n)}`);
  }
  return out;
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? 'absent';
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

function show(v: Value | undefined): string {
  return v === undefined ? '(absent)' : typeof v === 'string' ? v : JSON.stringify(v);
}

export function formatChange(c: Change): string {
  const change = c.old === undefined ? 'new' : c.new === undefined ? 'removed'
    : c.percent === null ? 'changed' : c.percent === Infinity ? 'from 0' : `${c.percent >= 0 ? '+' : ''}${c.percent.toFixed(2)}%`;
  return `${c.past ? 'FAIL' : '    '} ${c.figure}: ${show(c.old)} -> ${show(c.new)} (${change})`;
}
