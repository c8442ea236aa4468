// Small hand-written SVG bar charts: horizontal bars in groups, one bar per series (measured,
// slides), a missing value drawn as a dash; and stacked bars, one per row, split by category (a
// run's window cycles). Coordinates are rounded to tenths so the bytes are the same wherever the
// chart is made. Plain SVG rather than a charting library: a chart is a few hundred bytes, the
// same bytes every time, and it renders in a browser, an image viewer or a Markdown preview
// without any script.

export interface BarGroup { label: string; values: (number | null)[] }
export interface BarChart { title: string; unit: string; series: string[]; groups: BarGroup[] }

export const COLORS = ['#3b6ea5', '#c98b2b', '#6a9f58', '#a5533b', '#7d5ba6', '#4aa3a3', '#b0b030', '#888888'];
const BAR = 12;
const GAP = 6;
const LABEL_W = 210;
const PLOT_W = 420;

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function r1(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

export function barChartSvg(c: BarChart): string {
  const max = Math.max(0, ...c.groups.flatMap((g) => g.values.filter((v): v is number => v !== null)));
  const scale = max > 0 ? PLOT_W / max : 0;
  const groupH = c.series.length * BAR + GAP * 2;
  const top = 44;
  const height = top + c.groups.length * groupH + 16;
  const width = LABEL_W + PLOT_W + 90;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="8" y="16" font-size="13" font-weight="bold">${esc(c.title)}</text>`);
  c.series.forEach((s, i) => {
    const x = LABEL_W + i * 130;
    out.push(`<rect x="${x}" y="24" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(`<text x="${x + 14}" y="33">${esc(s)}</text>`);
  });
  c.groups.forEach((g, gi) => {
    const y0 = top + gi * groupH;
    out.push(`<text x="${LABEL_W - 6}" y="${r1(y0 + groupH / 2 + 4)}" text-anchor="end">${esc(g.label)}</text>`);
    g.values.forEach((v, si) => {
      const y = y0 + GAP + si * BAR;
      if (v === null) {
        out.push(`<text x="${LABEL_W + 4}" y="${y + BAR - 2}" fill="#888888">—</text>`);
        return;
      }
      const w = v * scale;
      out.push(`<rect x="${LABEL_W}" y="${y}" width="${r1(w)}" height="${BAR - 2}" fill="${COLORS[si % COLORS.length]}"/>`);
      out.push(`<text x="${r1(LABEL_W + w + 4)}" y="${y + BAR - 3}">${esc(formatValue(v))} ${esc(c.unit)}</text>`);
    });
  });
  out.push(`<line x1="${LABEL_W}" y1="${top}" x2="${LABEL_W}" y2="${height - 16}" stroke="#444444"/>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

export interface StackedRow { label: string; parts: number[] | null }
export interface StackedChart { title: string; unit: string; categories: string[]; rows: StackedRow[]; /** Divides the total printed after a bar (1e6: millions). */ totalScale: number; totalUnit: string }

/** One bar per row, its parts side by side in the categories' colours; a row without parts is a dash. */
export function stackedBarSvg(c: StackedChart): string {
  const totals = c.rows.map((r) => (r.parts ? r.parts.reduce((a, b) => a + b, 0) : null));
  const max = Math.max(0, ...totals.filter((v): v is number => v !== null));
  const scale = max > 0 ? PLOT_W / max : 0;
  const rowH = BAR + GAP;
  const legendRows = Math.ceil(c.categories.length / 4);
  const top = 28 + legendRows * 16;
  const width = LABEL_W + PLOT_W + 90;
  const height = top + c.rows.length * rowH + 12;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="8" y="16" font-size="13" font-weight="bold">${esc(c.title)}</text>`);
  c.categories.forEach((name, i) => {
    const x = 8 + (i % 4) * 170;
    const y = 24 + Math.floor(i / 4) * 16;
    out.push(`<rect x="${x}" y="${y}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(`<text x="${x + 14}" y="${y + 9}">${esc(name)}</text>`);
  });
  c.rows.forEach((row, ri) => {
    const y = top + ri * rowH;
    out.push(`<text x="${LABEL_W - 6}" y="${y + BAR - 2}" text-anchor="end">${esc(row.label)}</text>`);
    if (!row.parts) {
      out.push(`<text x="${LABEL_W + 4}" y="${y + BAR - 2}" fill="#888888">—</text>`);
      return;
    }
    let x = LABEL_W;
    row.parts.forEach((v, pi) => {
      const w = v * scale;
      if (w > 0) out.push(`<rect x="${r1(x)}" y="${y}" width="${r1(w)}" height="${BAR}" fill="${COLORS[pi % COLORS.length]}"><title>${esc(`${row.label}: ${c.categories[pi]} ${formatValue(v)} ${c.unit}`)}</title></rect>`);
      x += w;
    });
    out.push(`<text x="${r1(x + 4)}" y="${y + BAR - 2}">${esc(`${(totals[ri]! / c.totalScale).toFixed(2)} ${c.totalUnit}`)}</text>`);
  });
  out.push(`<line x1="${LABEL_W}" y1="${top}" x2="${LABEL_W}" y2="${height - 12}" stroke="#444444"/>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
