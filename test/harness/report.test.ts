// world report's page and figure history, on synthetic results whose figures the test chooses:
// the points (one per commit, the current results only when the history lacks their commit),
// the moves and their percentages (computed here), the charts' anchors, a setup that differs
// left out, the same bytes on every run, and world compare's links to the charts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { figureAnchor, figureHistory } from '../../harness/figure-history.ts';
import { historyFileName, historyText, readHistory, type HistoryCommit } from '../../harness/history.ts';
import { renderReport } from '../../harness/report.ts';
import type { Results } from '../../harness/results.ts';
import { save, standard, tempDir, worldBin } from './synthetic.ts';

const hex = (n: number): string => String(n).repeat(40).slice(0, 40);

function at(n: number, mbs: number, transfer = 1 << 20): { commit: HistoryCommit; results: Results } {
  const r = standard(mbs);
  r.bench.transfer_bytes = transfer;
  r.provenance = { git_commit: hex(n), git_dirty: false };
  return { commit: { commit: hex(n), time: `2026-01-0${n}T00:00:00.000Z`, subject: `change ${n}` }, results: r };
}

/** A history folder of the given points, written as world history add writes them. */
function historyDir(points: { commit: HistoryCommit; results: Results }[]): string {
  const dir = tempDir();
  for (const p of points) writeFileSync(join(dir, historyFileName(p.commit)), historyText(p.results, p.commit));
  return dir;
}

const SEND = 'hardware/netperf-send.throughput_mib_s';

test('one point per commit; the current results join only when the history lacks their commit; moves where the value changed', () => {
  const dir = historyDir([at(1, 50), at(2, 50), at(3, 60)]);
  const history = readHistory(dir);
  const same = figureHistory(history, { label: 'now.json', results: at(3, 60).results });
  assert.is(same.points.length, 3);
  assert.equal(same.series.get(SEND)!.values, [50, 50, 60]);
  assert.equal(same.series.get(SEND)!.moves, [{ index: 2, from: 50, to: 60 }]);
  const dirty = at(3, 45).results;
  dirty.provenance.git_dirty = true;
  const withDirty = figureHistory(history, { label: 'now.json', results: dirty });
  assert.is(withDirty.points.length, 4);
  assert.equal(withDirty.points[3]!.dirty, true);
  assert.equal(withDirty.series.get(SEND)!.moves.map((m) => m.index), [2, 3]);
  // Receive never moved.
  assert.equal(withDirty.series.get('hardware/netperf-receive.throughput_mib_s')!.moves, []);
});

test('entries measured with another transfer are left out, and say why', () => {
  const history = readHistory(historyDir([at(1, 50, 2 << 20), at(2, 50), at(3, 60)]));
  const h = figureHistory(history, { label: 'now.json', results: at(3, 60).results });
  assert.is(h.points.length, 2);
  assert.is(h.leftOut.length, 1);
  assert.match(h.leftOut[0]!.why, `transfer ${2 << 20} bytes`);
});

test('the page: a chart per figure with its points and anchor, the move with its commit and percent, a toolchain change, provenance, no script', () => {
  const points = [at(1, 50), at(2, 50), at(3, 60)];
  for (const [i, p] of points.entries()) p.results.provenance.toolchain = { gcc: i < 2 ? 'gcc 12' : 'gcc 13' };
  const history = readHistory(historyDir(points));
  const html = renderReport([{ path: 'now.json', results: at(3, 60).results }], history);
  const chart = html.slice(html.indexOf(`<figure id="${figureAnchor(SEND)}"`));
  assert.ok(chart.length < html.length, 'the figure has a chart with its anchor');
  const one = chart.slice(0, chart.indexOf('</figure>'));
  assert.match(one, 'data-points="3"');
  assert.is(one.split('<circle').length - 1, 3);
  assert.is(one.split('class="point moved"').length - 1, 1);
  const percent = (((60 - 50) / 50) * 100).toFixed(2);
  assert.match(one, `moved at #3 <code>${hex(3).slice(0, 12)}</code> change 3: 50 &rarr; 60 (+${percent}%)`);
  assert.not.match(html, '<script');
  // The commit table names the toolchain change at the third point only.
  const rows = html.slice(html.indexOf('<table class="commits">'), html.indexOf('</table>', html.indexOf('<table class="commits">'))).split('<tr>');
  assert.equal(rows.slice(2).map((r) => r.includes('>toolchain</span>')), [false, false, true]);
  assert.match(html, '<td>now.json</td>');
  // The slides' rows are there with their published figures.
  assert.match(html, '<td>hardware</td><td class="n">60.00</td>');
  // A figure that never moved and is not one of the slides' figures has no chart.
  assert.not.match(html, `id="${figureAnchor('hardware/netperf-send.busy_cycles')}"`);
});

test('world report writes DIR/index.html, the same bytes twice; --last keeps the newest commits; compare --report-url links each moved number to its chart', async () => {
  const dir = historyDir([at(1, 50), at(2, 60)]);
  const work = tempDir();
  const now = save(work, 'now.json', at(2, 60).results);
  const old = save(work, 'old.json', at(1, 50).results);
  const a = await execa('node', [worldBin, 'report', now, '--history', dir, '-o', join(work, 'a')]);
  assert.match(a.stdout, /index\.html/);
  await execa('node', [worldBin, 'report', now, '--history', dir, '-o', join(work, 'b')]);
  const bytes = readFileSync(join(work, 'a', 'index.html'), 'utf8');
  assert.is(readFileSync(join(work, 'b', 'index.html'), 'utf8'), bytes);
  const c = await execa('node', [worldBin, 'compare', '--quiet', '--report-url', 'https://example.org/r/', old, now], { reject: false });
  assert.is(c.exitCode, 1);
  const line = c.stdout.split('\n').find((l) => l.includes(SEND))!;
  const anchor = `fig-${SEND}`;
  assert.ok(line.endsWith(` https://example.org/r/#${anchor}`), line);
  assert.match(bytes, `id="${anchor}"`);
  await execa('node', [worldBin, 'report', now, '--history', dir, '--last', '1', '-o', join(work, 'last')]);
  const lastOne = readFileSync(join(work, 'last', 'index.html'), 'utf8');
  assert.match(lastOne, `data-figure="${SEND}" data-points="1"`);
  const missing = await execa('node', [worldBin, 'report', now, '--history', join(work, 'nope'), '-o', join(work, 'c')], { reject: false });
  assert.is(missing.exitCode, 2);
  assert.match(missing.stderr, /no such history folder/);
});

test.run();
