// A figure's history as a small SVG line chart: one circle per commit that measured it, in commit
// order, joined by a line; a commit that moved the figure is a larger red circle with its short
// hash under the axis. Each circle's tooltip (<title>) names the point's number, commit and value. Plain SVG
// from our code for the same reasons as harness/svg.ts, and because a report holds one chart per
// figure: a few hundred bytes each, no script to load or run. Colours and strokes come from the
// page's style sheet (HISTORY_STYLE), not repeated in every chart. Coordinates are rounded to tenths.
import { esc, r1 } from './svg.ts';
import type { Point, Series } from './figure-history.ts';

const W = 520;
const H = 150;
const LEFT = 86;
const RIGHT = 30;
const TOP = 12;
const BOTTOM = 34;

/** A value as the chart prints it: whole numbers as they are, others to 6 significant digits. */
export function shortValue(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Number(v.toPrecision(6)).toString();
}

/** A point's tooltip: its number in the report's commit table, the commit and the value (the subject is in the table, once). */
function pointTitle(p: Point, i: number, v: number): string {
  return `#${i + 1} ${p.commit.slice(0, 12)}${p.dirty ? ' (tree differed)' : ''}: ${shortValue(v)}`;
}

/** The style the charts need, for the page's style sheet. */
export const HISTORY_STYLE = 'svg.history{background:#fff}svg.history .axis{fill:none;stroke:#999}svg.history .line{fill:none;stroke:#3b6ea5;stroke-width:1.5}'
  + 'svg.history .point{fill:#3b6ea5}svg.history .point.moved{fill:#c0392b}svg.history text.moved{fill:#c0392b}';

export function historyChartSvg(s: Series, points: Point[]): string {
  const measured = s.values.map((v, i) => ({ v, i })).filter((x): x is { v: number; i: number } => x.v !== null);
  let lo = Math.min(...measured.map((m) => m.v));
  let hi = Math.max(...measured.map((m) => m.v));
  if (lo === hi) { const pad = lo === 0 ? 1 : Math.abs(lo) * 0.01; lo -= pad; hi += pad; }
  const plotW = W - LEFT - RIGHT;
  const plotH = H - TOP - BOTTOM;
  const x = (i: number): number => LEFT + (points.length === 1 ? plotW / 2 : (i * plotW) / (points.length - 1));
  const y = (v: number): number => TOP + plotH - ((v - lo) / (hi - lo)) * plotH;
  const moved = new Set(s.moves.map((m) => m.index));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="history" data-figure="${esc(s.figure)}" data-points="${measured.length}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="10">`);
  out.push(`<path class="axis" d="M${LEFT} ${TOP}V${TOP + plotH}H${W - RIGHT}"/>`);
  out.push(`<text x="${LEFT - 4}" y="${TOP + 4}" text-anchor="end">${esc(shortValue(hi))}</text>`);
  out.push(`<text x="${LEFT - 4}" y="${TOP + plotH}" text-anchor="end">${esc(shortValue(lo))}</text>`);
  // The line breaks where the figure was not measured.
  let path = '';
  let prev = -2;
  for (const m of measured) {
    path += `${m.i === prev + 1 ? 'L' : 'M'}${r1(x(m.i))} ${r1(y(m.v))}`;
    prev = m.i;
  }
  out.push(`<path class="line" d="${path}"/>`);
  for (const m of measured) {
    const p = points[m.i]!;
    const isMove = moved.has(m.i);
    out.push(`<circle class="${isMove ? 'point moved' : 'point'}" cx="${r1(x(m.i))}" cy="${r1(y(m.v))}" r="${isMove ? 4.5 : 3}"><title>${esc(pointTitle(p, m.i, m.v))}</title></circle>`);
  }
  // Hashes under the axis: the first and last points and every move, so many points stay legible.
  points.forEach((p, i) => {
    if (!(i === 0 || i === points.length - 1 || moved.has(i))) return;
    out.push(`<text x="${r1(x(i))}" y="${TOP + plotH + 14}" text-anchor="middle"${moved.has(i) ? ' class="moved"' : ''}>${esc(p.commit.slice(0, 7))}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}
