// Every figure's value at each commit of a history (harness/history.ts), with the changes that
// moved it. A point is one commit's results; figures are those `world compare` compares (a run's
// numbers, harness/results.ts flattenFigures, named as compare names them) plus the instruction
// expansion's per-interrupt figures of the slides' table. Only entries measured with the same
// transfer and cost profile as the newest results share a chart: another setup is another figure.
import { basename } from 'node:path';
import { buildTables } from './tables.ts';
import { flattenFigures, type Results } from './results.ts';
import { contextChanges } from './compare.ts';
import type { HistoryEntry } from './history.ts';

export interface Point {
  /** Full commit hash, or what the results' provenance says when it is not one. */
  commit: string;
  /** ISO time of the commit, when known (history entries). */
  time: string | null;
  subject: string | null;
  /** The tree differed from the commit (the current results only; history entries are clean). */
  dirty: boolean;
  /** Where the point came from: a history file's name, or the results given to the report. */
  source: string;
  /** What differs from the previous point's toolchain, cost profile or bench settings (world compare's notes), which explains a move. */
  settings: string[];
}

export interface Move { index: number; from: number; to: number }

export interface Series {
  figure: string;
  /** One value per point; null where the figure was not measured at that commit. */
  values: (number | null)[];
  /** Each point whose value differs from the previous measured one. */
  moves: Move[];
}

export interface FigureHistory {
  points: Point[];
  /** History files left out: measured with another transfer or profile. */
  leftOut: { file: string; why: string }[];
  /** Every numeric figure measured at any point, by name. */
  series: Map<string, Series>;
}

/**
 * Numeric figures of one results file, with the expansion's per-interrupt figures as
 * `expansion.<configuration>.<operation>.per_interrupt` (a results file of schema 1 or 2 names its
 * one expansion configuration too, so its points join the same series).
 */
export function numericFigures(r: Results): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of flattenFigures(r)) if (typeof v === 'number') out.set(k, v);
  const { columns, rows } = buildTables([{ path: '(history)', results: r }]).expansion;
  for (const row of rows) {
    columns.forEach((col, i) => {
      const v = row.perInterrupt[i]!.measured;
      if (v !== null) out.set(expansionFigure(col.configuration, row.operation), v);
    });
  }
  return out;
}

/** The name of an expansion per-interrupt figure in histories and reports. */
export function expansionFigure(configuration: string, operation: string): string {
  return `expansion.${configuration}.${operation}.per_interrupt`;
}

/** The notes of world compare that can move a figure without a code change: the toolchain, the cost profile, the bench settings. */
const SETTINGS = /^(provenance\.toolchain|provenance\.cost_profile|bench\.)/;

function setup(r: Results): string {
  return `transfer ${r.bench.transfer_bytes} bytes, profile ${r.bench.profile}`;
}

/**
 * The points: the history's entries in commit order, then the current results unless the history
 * already holds their commit (a clean run of a commit has that commit's figures).
 */
export function figureHistory(history: HistoryEntry[], current: { label: string; results: Results } | null): FigureHistory {
  const ref = current?.results ?? history[history.length - 1]?.results;
  const leftOut: { file: string; why: string }[] = [];
  const taken: { point: Point; figures: Map<string, number>; results: Results }[] = [];
  for (const e of history) {
    if (ref && setup(e.results) !== setup(ref)) { leftOut.push({ file: basename(e.file), why: `${setup(e.results)}, not ${setup(ref)}` }); continue; }
    taken.push({ point: { commit: e.commit.commit, time: e.commit.time, subject: e.commit.subject, dirty: false, source: basename(e.file), settings: [] }, figures: numericFigures(e.results), results: e.results });
  }
  if (current) {
    const commit = String(current.results.provenance.git_commit ?? 'unknown');
    const dirty = current.results.provenance.git_dirty !== false;
    if (dirty || !taken.some((t) => t.point.commit === commit)) {
      taken.push({ point: { commit, time: null, subject: null, dirty, source: current.label, settings: [] }, figures: numericFigures(current.results), results: current.results });
    }
  }
  for (let i = 1; i < taken.length; i++) {
    taken[i]!.point.settings = contextChanges(taken[i - 1]!.results, taken[i]!.results).filter((c) => SETTINGS.test(c));
  }
  const names = [...new Set(taken.flatMap((t) => [...t.figures.keys()]))].sort();
  const series = new Map<string, Series>();
  for (const figure of names) {
    const values = taken.map((t) => t.figures.get(figure) ?? null);
    const moves: Move[] = [];
    let last: number | null = null;
    values.forEach((v, index) => {
      if (v === null) return;
      if (last !== null && v !== last) moves.push({ index, from: last, to: v });
      last = v;
    });
    series.set(figure, { figure, values, moves });
  }
  return { points: taken.map((t) => t.point), leftOut, series };
}

/** The figure's anchor in the report: its name with anything but letters, digits and . _ / - as _. */
export function figureAnchor(figure: string): string {
  return `fig-${figure.replace(/[^A-Za-z0-9._/-]/g, '_')}`;
}
