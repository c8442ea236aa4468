// world report in a real browser: Debian's chromium, headless, driven by puppeteer-core, loads
// the report of the committed baseline and history from disk (file://). Every chart must render
// (an SVG element with a size and content), each history chart must hold one point per commit
// that measured its figure with the baseline's transfer and cost profile (the page leaves the
// others out and names them) and one red point per change, counted here from the results files
// themselves with JSON.parse, and the page must log no error. Screenshots of the page's top and
// of its first history charts are saved to test-artifacts/report.png and report-history.png (git-ignored). Without chromium the test fails and says
// how to install it (scripts/setup.sh test does).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import puppeteer, { type Browser } from 'puppeteer-core';
import { tempDir, worldBin } from './synthetic.ts';

const root = resolve(new URL('../..', import.meta.url).pathname);
const historyDir = join(root, 'results', 'history');
const baseline = join(root, 'results', 'baseline.json');
export const ARTIFACTS = join(root, 'test-artifacts');

function chromiumPath(): string {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    } catch { /* try the next name */ }
  }
  throw new Error("no chromium on PATH: install Debian's chromium (sh scripts/setup.sh test, as root)");
}

// any: the raw results files, read with JSON.parse independently of our types (the oracle side).
type Json = Record<string, any>;

/** A results file's setup: figures of another transfer or cost profile are other figures, charted apart. */
function setup(r: Json): string {
  return `${r.bench.transfer_bytes} ${r.bench.profile}`;
}

/** The committed history files, oldest first, with their names. */
function historyFiles(): { name: string; r: Json }[] {
  return readdirSync(historyDir).filter((n) => n.endsWith('.json')).sort().map((name) => ({ name, r: JSON.parse(readFileSync(join(historyDir, name), 'utf8')) as Json }));
}

/**
 * The history's points as the oracle sees them: each history file measured with the setup of
 * `newest`, then `newest` unless its commit is one of them.
 */
function points(newest: Json, files: { r: Json }[]): Json[] {
  const same = files.map((f) => f.r).filter((r) => setup(r) === setup(newest));
  return same.some((f) => f.provenance.git_commit === newest.provenance.git_commit) ? same : [...same, newest];
}

function runValue(r: Json, config: string, workload: string, key: string): number | null {
  const run = (r.runs as Json[]).find((x) => x.configuration === config && x.workload === workload);
  return run?.status === 'ok' && typeof run.figures[key] === 'number' ? run.figures[key] : null;
}

// The little of the DOM that the callbacks given to page.evaluate use (they run in the page);
// declared here, in this module only, since the project's TypeScript has no DOM library.
interface PageElement {
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { width: number; height: number };
  querySelectorAll(selector: string): ArrayLike<PageElement>;
  closest(selector: string): PageElement | null;
  open?: boolean;
}
declare const document: { querySelectorAll(selector: string): ArrayLike<PageElement>; getElementById(id: string): PageElement | null };

let browser: Browser | undefined;
let reportFile = '';
/** The report of the history's largest group of one setup, its newest file as the results: many of its figures moved. */
let groupReport = '';

test.before(async () => {
  const out = tempDir();
  // Paths relative to the checkout, as a reader types them: the page shows them.
  await execa('node', [worldBin, 'report', 'results/baseline.json', '--history', 'results/history', '-o', out], { cwd: root });
  reportFile = join(out, 'index.html');
  const bySetup = new Map<string, string[]>();
  for (const f of historyFiles()) bySetup.set(setup(f.r), [...(bySetup.get(setup(f.r)) ?? []), f.name]);
  const group = [...bySetup.values()].sort((a, b) => b.length - a.length)[0]!;
  const dir = tempDir();
  for (const name of group) copyFileSync(join(historyDir, name), join(dir, name));
  const out2 = tempDir();
  await execa('node', [worldBin, 'report', join(dir, group[group.length - 1]!), '--history', dir, '-o', out2], { cwd: root });
  groupReport = join(out2, 'index.html');
  browser = await puppeteer.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-gpu'], timeout: 120_000, protocolTimeout: 180_000 });
});

test.after(async () => {
  await browser?.close();
});

test('the report loads from file:// without an error, every chart rendered, points counted from the results files, screenshot saved', async () => {
  const page = await browser!.newPage();
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.setViewport({ width: 1200, height: 900 });
  await page.goto(pathToFileURL(reportFile).href, { waitUntil: 'load', timeout: 120_000 });

  // The screenshot first, of the page as a reader opens it.
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'report.png') });
  // And the first history charts, those of the hardware rows.
  const box = await (await page.$('#slides-history'))!.boundingBox();
  await page.screenshot({ path: join(ARTIFACTS, 'report-history.png'), clip: { x: 0, y: box!.y, width: 1200, height: 540 } });

  // Open every group of further figures so all charts are laid out.
  await page.evaluate(() => { for (const d of Array.from(document.querySelectorAll('details'))) d.open = true; });
  const charts = await page.evaluate(() => Array.from(document.querySelectorAll('svg')).map((s) => {
    const box = s.getBoundingClientRect();
    return {
      figure: s.getAttribute('data-figure'), declared: s.getAttribute('data-points'), width: box.width, height: box.height,
      children: s.querySelectorAll('rect, path, circle, text').length,
      points: s.querySelectorAll('circle.point').length, moved: s.querySelectorAll('circle.moved').length,
      drawn: Array.from(s.querySelectorAll('circle.point')).filter((c) => c.getBoundingClientRect().width > 0).length,
    };
  }));
  assert.equal(problems, [], 'no console error, page error or failed request');
  assert.equal(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:')), [], 'nothing fetched from the network');
  for (const c of charts) {
    assert.ok(c.width > 100 && c.height > 50, `${c.figure ?? 'bar chart'}: rendered ${c.width}x${c.height}`);
    assert.ok(c.children > 3, `${c.figure ?? 'bar chart'}: has content`);
    assert.is(c.drawn, c.points, `${c.figure}: every point drawn`);
  }
  const bars = charts.filter((c) => c.figure === null);
  assert.is(bars.length, 5, 'throughput, CPU, cycle breakdown, expansion and lines-of-code charts');

  // Every run's throughput and CPU has a history chart, with one point per commit that measured
  // it and a red point per change of value, both counted here from the files.
  const base = JSON.parse(readFileSync(baseline, 'utf8')) as Json;
  const files = historyFiles();
  const pts = points(base, files);
  // The history files of another setup are left out, and the page says which.
  const html = readFileSync(reportFile, 'utf8');
  for (const f of files) {
    if (setup(f.r) !== setup(base)) assert.ok(html.includes(`${f.name}: `), `${f.name}: named as left out (another setup)`);
  }
  const byFigure = new Map(charts.filter((c) => c.figure !== null).map((c) => [c.figure!, c]));
  let checked = 0;
  let unmeasured = 0;
  for (const run of base.runs as Json[]) {
    for (const key of ['throughput_mib_s', 'cpu_percent']) {
      const figure = `${run.configuration}/${run.workload}.${key}`;
      const values = pts.map((p) => runValue(p, run.configuration, run.workload, key)).filter((v): v is number => v !== null);
      const changes = values.filter((v, i) => i > 0 && v !== values[i - 1]).length;
      const c = byFigure.get(figure);
      if (values.length === 0) {
        // A run recorded as not run (e.g. a guest that panics under trap-and-emulate) has no figure.
        assert.is(c, undefined, `${figure}: never measured, so no history chart`);
        unmeasured += 1;
        continue;
      }
      assert.ok(c, `${figure}: has a history chart`);
      assert.is(c!.points, values.length, `${figure}: one point per commit that measured it`);
      assert.is(Number(c!.declared), values.length, `${figure}: data-points`);
      assert.is(c!.moved, changes, `${figure}: one red point per change`);
      checked += 1;
    }
  }
  // Every configuration x workload of the bench the baseline records has its two charts.
  const planned = (base.bench.configurations as Json[]).length * (base.bench.workloads as Json[]).length;
  assert.ok(planned > 20, `the baseline's matrix: ${planned} runs`);
  const notRun = (base.runs as Json[]).filter((r) => r.status === 'not run').length;
  assert.is(unmeasured, 2 * notRun, 'the charts missing are exactly those of the runs recorded as not run');
  assert.is(checked + unmeasured, 2 * planned, `the ${planned} runs of the baseline, throughput and CPU`);
  await page.close();
});

test('a link to a figure inside a closed group opens the group and shows the chart', async () => {
  const page = await browser!.newPage();
  const figure = 'hardware/netperf-send.run.instructions';
  await page.goto(`${pathToFileURL(groupReport).href}#fig-${figure}`, { waitUntil: 'load', timeout: 120_000 });
  const seen = await page.evaluate((id) => {
    const el = document.getElementById(id);
    const d = el?.closest('details');
    return { found: el !== null, open: d?.open ?? null, width: el?.getBoundingClientRect().width ?? 0 };
  }, `fig-${figure}`);
  assert.ok(seen.found, `${figure} has a chart`);
  assert.is(seen.open, true, 'its group is opened by the link');
  assert.ok(seen.width > 100, 'the chart is laid out');
  await page.close();
});

test.run();
