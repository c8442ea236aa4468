// The HTML report (`world report`): one self-contained page, readable from file:// with nothing
// fetched at view time. It holds the slides' tables beside ours with their charts, each row's
// window cycle breakdown, the provenance of every results file, and each figure's history across
// the commits of a history folder with the commits that moved it. Charts are inline SVG from
// harness/svg.ts and harness/svg-history.ts; the page has no script. Its bytes depend only on the
// results files given (their names included), never on the time or the host.
import { BREAKDOWN_COLUMNS } from './breakdown.ts';
import { expansionFigure, figureAnchor, figureHistory, type FigureHistory, type Series } from './figure-history.ts';
import type { HistoryEntry } from './history.ts';
import { published } from './published.ts';
import { runId, type Results } from './results.ts';
import { barChartSvg, esc, stackedBarSvg } from './svg.ts';
import { HISTORY_STYLE, historyChartSvg, shortValue } from './svg-history.ts';
import { buildTables, DASH, renderTables, sizeText, type Cell, type Tables } from './tables.ts';

export interface ReportInput { path: string; results: Results }

/** The figures charted as the slides' figures, in the tables' order: throughput and CPU of every run, expansion, lines of code. */
export function slideFigures(t: Tables, files: ReportInput[]): string[] {
  const workloads = files.flatMap((f) => f.results.bench.workloads);
  const byDirection = (d: string): string | undefined => workloads.find((w) => w.kind === 'netperf' && w.direction === d)?.name;
  const out: string[] = [];
  for (const row of t.netperf) {
    for (const d of ['send', 'receive']) {
      const w = byDirection(d);
      if (w) out.push(`${row.configuration}/${w}.throughput_mib_s`, `${row.configuration}/${w}.cpu_percent`);
    }
  }
  for (const c of t.expansion.columns) for (const r of t.expansion.rows) out.push(expansionFigure(c.configuration, r.operation));
  for (const r of t.loc.rows) out.push(`loc.${r.component}.headers`, `loc.${r.component}.sources`);
  return out;
}

function num(v: number | null, digits: number): string {
  return v === null ? DASH : v.toFixed(digits);
}

function table(head: string[], rows: string[][], cls = ''): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<td>${c}</td>` : `<td class="n">${c}</td>`)).join('')}</tr>`).join('\n');
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Measured, slides and ratio cells; a ratio more than 10% off 1 is marked. */
function cells(c: Cell, digits: number, slideDigits: number): string[] {
  const off = c.ratio !== null && Math.abs(c.ratio - 1) > 0.1;
  return [num(c.measured, digits), `<span class="slides">${num(c.slides, slideDigits)}</span>`, c.ratio === null ? DASH : `<span class="${off ? 'off' : 'ratio'}">${c.ratio.toFixed(3)}</span>`];
}

function provenanceSection(files: ReportInput[]): string {
  const rows = files.map((f) => {
    const p = f.results.provenance;
    const tc = (p.toolchain ?? {}) as Record<string, string>;
    const cp = (p.cost_profile ?? {}) as Record<string, string>;
    const emu = (p.emulator ?? {}) as Record<string, string>;
    const commit = String(p.git_commit ?? 'unknown');
    return [
      esc(f.path),
      `<code>${esc(commit.slice(0, 12))}</code>${p.git_dirty === false ? '' : ' <span class="off">(tree differed)</span>'}`,
      esc(`${f.results.bench.profile}${cp.sha256 ? ` (${cp.sha256.slice(0, 12)})` : ''}`),
      esc(`${sizeText(f.results.bench.transfer_bytes)} in ${sizeText(f.results.bench.message_bytes)} messages`),
      ['gcc', 'as', 'ld', 'make'].map((t) => esc(tc[t] ?? DASH)).join('<br>'),
      `world.yaml <code>${esc(String(p.world_yaml_sha256 ?? DASH).slice(0, 12))}</code><br>world.lock <code>${esc(String(p.world_lock_sha256 ?? DASH).slice(0, 12))}</code><br>emulator <code>${esc(String(emu.sources_sha256 ?? DASH).slice(0, 12))}</code>`,
      String(f.results.runs.filter((r) => r.status === 'ok').length) + ` of ${f.results.runs.length}`,
    ];
  });
  return `<section id="provenance"><h2>Provenance</h2>
<p>What produced the figures: the commit (and whether the tree differed from it outside <code>results/</code>), the cost profile, the transfer, the toolchain that built the guests, and the hashes of world.yaml, world.lock and the emulator's sources.</p>
${table(['results file', 'commit', 'cost profile', 'transfer', 'toolchain', 'inputs', 'runs measured'], rows, 'prov')}</section>`;
}

function netperfSection(t: Tables, svgs: Record<string, string>): string {
  const head = ['configuration', 'send MB/s', 'slides', 'ratio', 'send CPU %', 'slides', 'ratio', 'receive MB/s', 'slides', 'ratio', 'receive CPU %', 'slides', 'ratio'];
  const rows = t.netperf.map((r) => [esc(r.title) + (r.notRun ? `<br><span class="note">not run: ${esc(r.notRun)}</span>` : ''),
    ...cells(r.send.mbs, 2, 2), ...cells(r.send.cpu, 2, 1), ...cells(r.receive.mbs, 2, 2), ...cells(r.receive.cpu, 2, 1)]);
  return `<section id="netperf"><h2>Netperf results</h2>
<p>MB/s is netperf's -f M unit (2<sup>20</sup> bytes per second of guest time); CPU is guest busy cycles over the transfer window. Ratio = measured / slides; a ratio more than 10% from 1 is <span class="off">marked</span>. ${DASH} = not measured.</p>
${table(head, rows)}
<div class="charts">${svgs['netperf-throughput.svg']}${svgs['netperf-cpu.svg']}</div></section>`;
}

function breakdownSection(t: Tables): string {
  const busyCols = BREAKDOWN_COLUMNS.filter(([k]) => k !== 'busy' && k !== 'idle');
  const rows = t.breakdown.map((r) => ({ label: `${r.title} ${r.direction}`, parts: r.perMiB ? busyCols.map(([k]) => r.perMiB![k]) : null }));
  const chart = stackedBarSvg({ title: 'Busy cycles per MiB moved, by category', unit: 'cycles/MiB', categories: busyCols.map(([, h]) => h), rows, totalScale: 1e6, totalUnit: 'M' });
  const whole = (v: number | undefined): string => (v === undefined ? DASH : Math.round(v).toString());
  const tableRows = t.breakdown.map((r) => [esc(r.title), esc(r.direction), ...BREAKDOWN_COLUMNS.map(([k]) => whole(r.perMiB?.[k]))]);
  const hyper = t.breakdown.filter((r) => r.hypervisor.length > 0).map((r) => [esc(r.title), esc(r.direction), esc(r.hypervisor.map(([op, n]) => `${op} ${Math.round(n)}`).join('; '))]);
  return `<section id="breakdown"><h2>Where the cycles go</h2>
<p>Each run's transfer window in cycles per MiB moved: guest kernel, guest user and wedge code as executed, the hypervisor model's work, port and MMIO accesses, interrupt and exception entry, and idle (halted). Busy is all but idle; busy / (busy + idle) is the CPU column. ${DASH} = the results carry no breakdown (schema version 1).</p>
<div class="charts">${chart}</div>
${table(['configuration', 'direction', ...BREAKDOWN_COLUMNS.map(([, h]) => h)], tableRows.map(([a, ...rest]) => [a!, ...rest]))}
${hyper.length > 0 ? `<h3>The hypervisor column by operation (cycles per MiB)</h3>${table(['configuration', 'direction', 'operations, largest first'], hyper)}` : ''}</section>`;
}

function expansionSection(t: Tables, svgs: Record<string, string>): string {
  const cols = t.expansion.columns;
  const one = cols.length === 1;
  const q = (base: string, c: { title: string }): string => (one ? base : `${base} (${c.title})`);
  const slides = (v: number | null): string => `<span class="slides">${num(v, 0)}</span>`;
  const rows = t.expansion.rows.map((r) => [esc(r.operation),
    ...cols.flatMap((_, i) => [num(r.count[i]!.measured, 0), num(r.perInterrupt[i]!.measured, 2)]),
    slides(r.count[0]?.slides ?? null), slides(r.perInterrupt[0]?.slides ?? null),
    ...cols.map((_, i) => (r.perInterrupt[i]!.ratio === null ? DASH : r.perInterrupt[i]!.ratio!.toFixed(3)))]);
  const head = ['operation', ...cols.flatMap((c) => [q('count', c), q('per interrupt', c)]), 'slides count', 'slides per interrupt', ...cols.map((c) => (one ? 'ratio (per interrupt)' : `ratio (${c.title})`))];
  const runs = cols.map((c) => `<code>${esc(c.run)}</code>`).join(', ');
  const interrupts = cols.map((c) => `${one ? '' : `${esc(c.title)} `}${c.interrupts ?? DASH}`).join(', ');
  const notRun = cols.filter((c) => c.notRun).map((c) => ` Not run: ${one ? '' : `${esc(c.title)}: `}${esc(c.notRun!)}.`).join('');
  return `<section id="expansion"><h2>Netperf instruction expansion</h2>
<p>Sensitive instructions executed in ${one ? 'run' : 'runs'} ${runs} minus those of the same guest moving one message; per interrupt = count / the hardware interrupts of the same difference (${interrupts}). The slides counted 1 GiB: compare per interrupt.${notRun}</p>
${table(head, rows)}
<div class="charts">${svgs['expansion.svg']}</div></section>`;
}

function locSection(t: Tables, svgs: Record<string, string>): string {
  const rows = t.loc.rows.map((r) => [esc(r.title === r.component ? r.title : `${r.title} (${r.component}/)`), ...cells(r.headers, 0, 0), ...cells(r.sources, 0, 0)]);
  return `<section id="loc"><h2>Lines of code of the wedge</h2>
<p>${t.loc.rule ? `Counted from guests/wedge/: ${esc(t.loc.rule)}.` : 'guests/wedge/ is not in the tree that was measured.'}</p>
${table(['component', 'headers', 'slides', 'ratio', 'source', 'slides', 'ratio'], rows)}
<div class="charts">${svgs['loc.svg']}</div></section>`;
}

function pct(from: number, to: number): string {
  if (from === 0) return 'from 0';
  const p = ((to - from) / Math.abs(from)) * 100;
  return `${p >= 0 ? '+' : ''}${p.toFixed(2)}%`;
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

function figureBlock(s: Series, h: FigureHistory): string {
  const moves = s.moves.map((m) => {
    const p = h.points[m.index]!;
    const who = `#${m.index + 1} <code>${esc(p.commit.slice(0, 12))}</code> ${p.subject !== null ? esc(clip(p.subject, 72)) : esc(p.source) + (p.dirty ? ' (tree differed)' : '')}`;
    return `<li class="move">moved at ${who}: ${esc(shortValue(m.from))} &rarr; ${esc(shortValue(m.to))} (${pct(m.from, m.to)})</li>`;
  });
  return `<figure id="${esc(figureAnchor(s.figure))}"><figcaption><a href="#${esc(figureAnchor(s.figure))}">${esc(s.figure)}</a></figcaption>${historyChartSvg(s, h.points)}${moves.length > 0 ? `<ul>${moves.join('')}</ul>` : ''}</figure>`;
}

/** Figures grouped by what comes before their first '.' (a run's id, expansion, loc), in name order. */
function groups(list: Series[]): [string, Series[]][] {
  const m = new Map<string, Series[]>();
  for (const s of list) {
    const key = s.figure.slice(0, s.figure.indexOf('.') < 0 ? undefined : s.figure.indexOf('.'));
    m.set(key, [...(m.get(key) ?? []), s]);
  }
  return [...m.entries()];
}

function historySection(h: FigureHistory, slideNames: string[]): string {
  const when = (t: string | null): string => (t === null ? DASH : t.replace('T', ' ').replace(/:\d\d\.\d{3}Z$/, ''));
  const commits = h.points.map((p, i) => [String(i + 1), `<code>${esc(p.commit.slice(0, 12))}</code>`, esc(when(p.time)), esc(p.subject ?? (p.dirty ? '(tree differed from the commit)' : DASH)), esc(p.source), p.settings.map((c) => `<span class="off" title="${esc(c)}">${esc(c.slice(0, c.indexOf(':')).replace(/^provenance\./, ''))}</span>`).join('<br>'),
    String([...h.series.values()].filter((s) => s.moves.some((m) => m.index === i)).length)]);
  const slideSet = new Set(slideNames);
  const slides = slideNames.map((n) => h.series.get(n)).filter((s): s is Series => s !== undefined);
  const others = [...h.series.values()].filter((s) => !slideSet.has(s.figure) && s.moves.length > 0);
  const last = h.points.length - 1;
  const newest = [...h.series.values()].filter((s) => s.moves.some((m) => m.index === last));
  const newestSlides = slides.filter((s) => s.moves.some((m) => m.index === last));
  const link = (s: Series): string => `<a href="#${esc(figureAnchor(s.figure))}">${esc(s.figure)}</a>`;
  return `<section id="history"><h2>Figures across commits</h2>
<p>One point per commit of the history folder (oldest first), then the results given when the history does not hold their commit. Figures are deterministic, so every change is a real change: a <span class="moved">red point</span> is a commit whose figure differs from the previous point's: the change that moved it is that commit or one between the two points. Hover a point for its commit and value.</p>
${table(['#', 'commit', 'time (UTC)', 'subject', 'from', 'toolchain, profile or settings changed', 'figures moved'], commits, 'commits')}
${h.leftOut.length > 0 ? `<p class="note">Left out (another setup): ${h.leftOut.map((l) => `${esc(l.file)}: ${esc(l.why)}`).join('; ')}</p>` : ''}
<h3 id="moved-newest">Moved at the newest point</h3>
${newest.length === 0 ? '<p>Nothing moved.</p>' : `<p>${newest.length} figure(s) moved at #${last + 1} <code>${esc(h.points[last]!.commit.slice(0, 12))}</code>; of the slides' figures ${newestSlides.length}${newestSlides.length > 0 ? ':' : '.'}</p>
${newestSlides.length > 0 ? `<p class="list">${newestSlides.map(link).join(' ')}</p>` : ''}
<details><summary>all ${newest.length}</summary><p class="list">${newest.map(link).join(' ')}</p></details>`}
<h3 id="slides-history">The slides' figures</h3>
<div class="figs">${slides.map((s) => figureBlock(s, h)).join('\n')}</div>
<h3>Every other figure that moved (${others.length})</h3>
<p>By run (or expansion, lines of code); open a group to see its charts.</p>
${groups(others).map(([name, list]) => `<details id="${esc(figureAnchor(name))}"><summary>${esc(name)}: ${list.length} figure(s) moved</summary><div class="figs">${list.map((s) => figureBlock(s, h)).join('\n')}</div></details>`).join('\n')}</section>`;
}

const STYLE = `body{font-family:sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0;font-size:13px}th,td{border:1px solid #ccc;padding:2px 6px}th{background:#eef}
td.n{text-align:right;font-variant-numeric:tabular-nums}table.prov td,table.commits td{text-align:left}.list a{margin-right:.8em;font-family:monospace;font-size:12px;white-space:nowrap}.slides{color:#666}.off{color:#b03020;font-weight:bold}.note{color:#666;font-size:12px}
.charts svg{margin:.5em 1em .5em 0;border:1px solid #ddd}.figs{display:flex;flex-wrap:wrap}figure{margin:.4em;border:1px solid #ddd;padding:4px}
figcaption{font-size:12px;font-family:monospace}details{margin:.3em 0}summary{cursor:pointer;font-family:monospace;font-size:13px}figure ul{margin:2px 0;padding-left:1.2em;font-size:12px;max-width:520px}.moved{color:#c0392b;font-weight:bold}
nav a{margin-right:1em}code{font-size:12px}`;

/** The report page for results files (one table from all, as `world tables` makes) and a history. */
export function renderReport(files: ReportInput[], history: HistoryEntry[]): string {
  const t = buildTables(files);
  const svgs = renderTables(t);
  const merged: Results = { ...files[0]!.results, runs: files.flatMap((f) => f.results.runs), loc: files.find((f) => f.results.loc !== null)?.results.loc ?? null };
  const h = figureHistory(history, { label: files.map((f) => f.path).join(' + '), results: merged });
  const ids = new Set(merged.runs.map(runId));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>world: results report</title><link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}${HISTORY_STYLE}</style></head><body>
<h1>Pre-virtualization with compiler afterburning: the slides' tables, regenerated</h1>
<p>${ids.size} runs, cost profile <code>${esc(t.profile)}</code>, netperf TCP_STREAM of ${sizeText(t.transferBytes)} per run in each direction (the slides: 1 GiB). Slides' figures: ${esc(published().source)}</p>
<nav><a href="#provenance">provenance</a><a href="#netperf">netperf</a><a href="#breakdown">cycle breakdown</a><a href="#expansion">instruction expansion</a><a href="#loc">lines of code</a><a href="#history">history</a></nav>
${provenanceSection(files)}
${netperfSection(t, svgs)}
${breakdownSection(t)}
${expansionSection(t, svgs)}
${locSection(t, svgs)}
${historySection(h, slideFigures(t, files))}
</body></html>
`;
}
