// A small hand-written SVG bar chart: horizontal bars in groups, one bar per series (measured,
// slides), a missing value drawn as a dash. Coordinates are rounded to tenths so the bytes are
// the same wherever the chart is made.

export interface BarGroup { label: string; values: (number | null)[] }
export interface BarChart { title: string; unit: string; series: string[]; groups: BarGroup[] }

const COLORS = ['#3b6ea5', '#c98b2b', '#6a9f58', '#a5533b'];
const BAR = 12;
const GAP = 6;
const LABEL_W = 210;
const PLOT_W = 420;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function r1(n: number): string {
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

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}
