// world tables: the three tables from results files alone, each figure beside the slides' with
// the ratio measured / slides; "—" for what was not measured. Expected values are computed here
// from the synthetic figures and the published data file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildTables, renderTables, ratio } from '../../harness/tables.ts';
import { published } from '../../harness/published.ts';
import { figures, ok, results, save, standard, tempDir, worldBin } from './synthetic.ts';

const pub = published();

test('the published data file holds the slides\' three tables', () => {
  assert.equal(Object.keys(pub.netperf).length, 6);
  assert.equal(pub.expansion.length, 13);
  assert.equal(pub.loc.length, 6);
  // Per-interrupt figures are the counts over one interrupt count (the hlt row: one per interrupt).
  const interrupts = pub.expansion.find((r) => r.operation === 'hlt')!.count;
  for (const r of pub.expansion) assert.is(Math.round(r.count / interrupts), r.per_interrupt, r.operation);
});

test('netperf table: measured, slides and ratio; not-run rows are dashes', () => {
  const t = buildTables([{ path: 'a.json', results: standard(54.15) }]);
  const hw = t.netperf.find((r) => r.configuration === 'hardware')!;
  assert.is(hw.send.mbs.measured, 54.15);
  assert.is(hw.send.mbs.slides, pub.netperf.hardware!.send_mb_s);
  assert.ok(Math.abs(hw.send.mbs.ratio! - 54.15 / pub.netperf.hardware!.send_mb_s) < 1e-12);
  assert.ok(Math.abs(hw.receive.cpu.ratio! - 70.8 / pub.netperf.hardware!.receive_cpu) < 1e-12);
  const xen = t.netperf.find((r) => r.configuration === 'xenolinux')!;
  assert.is(xen.send.mbs.measured, null);
  assert.is(xen.send.mbs.ratio, null);
  assert.is(xen.notRun, 'no xen');
  // All six rows of the slides appear, even those absent from the results.
  assert.equal(t.netperf.map((r) => r.configuration), Object.keys(pub.netperf));
  const md = renderTables(t)['tables.md']!;
  const expectRatio = (54.15 / pub.netperf.hardware!.send_mb_s).toFixed(3);
  assert.match(md, `| hardware | 54.15 | ${pub.netperf.hardware!.send_mb_s.toFixed(2)} | ${expectRatio} |`);
  assert.match(md, '| XenoLinux | — |');
  assert.match(md, '- XenoLinux: not run: no xen');
});

test('cycle breakdown: each category per MiB moved, busy = all but idle, hypervisor by operation; a run without one is dashes', () => {
  const f = figures({ mbs: 100, cpu: 30 });
  f.bytes = 2 << 20;
  f.window = {
    cycles: { guest_kernel: 3000, guest_user: 2000, wedge: 1000, hypervisor: { 'xen hypercall iret': 600, 'xen event upcall': 400 }, device: 500, interrupt_entry: 300, exception_entry: 100, idle: 12000, total: 19900 },
    exceptions: {}, page_faults: 0, interrupt_vectors: {}, software_interrupts: {}, tlb: { hits: 0, misses: 0, flushes: 0, invlpg: 0 }, sensitive: {},
    devices: { port_accesses: 0, mmio_accesses: 0 },
  };
  const r = results([ok('hardware', 'netperf-send', f), ok('hardware', 'netperf-receive', figures({ mbs: 97.6, cpu: 70.8 }))]);
  const t = buildTables([{ path: 'a.json', results: r }]);
  const send = t.breakdown.find((x) => x.configuration === 'hardware' && x.direction === 'send')!;
  // 2 MiB moved: every figure halves; busy is everything but idle (3000+2000+1000+1000+500+300+100).
  assert.equal(send.perMiB, { guest_kernel: 1500, guest_user: 1000, wedge: 500, hypervisor: 500, device: 250, interrupt_entry: 150, exception_entry: 50, busy: 3950, idle: 6000 });
  assert.equal(send.hypervisor, [['xen hypercall iret', 300], ['xen event upcall', 200]]);
  const receive = t.breakdown.find((x) => x.configuration === 'hardware' && x.direction === 'receive')!;
  assert.is(receive.perMiB, null);
  const out = renderTables(t);
  assert.match(out['tables.md']!, '| hardware | send | 1500 | 1000 | 500 | 500 | 250 | 150 | 50 | 3950 | 6000 |');
  assert.match(out['tables.md']!, '| hardware | receive | — | — |');
  assert.match(out['tables.md']!, '| hardware | send | xen hypercall iret 300; xen event upcall 200 |');
  assert.match(out['breakdown.csv']!, 'hardware,send,1500,1000,500,500,250,150,50,3950,6000,xen hypercall iret=300;xen event upcall=200\n');
});

test('expansion table: counts summed over rings and ports, per interrupt from the difference run', () => {
  const expansion = { reference_bytes: 32768, instructions: 1, sensitive: { cli: [700, 0, 0, 50], pushf: [300, 0, 0, 0], out: [20, 0, 0, 0], outs: [5, 0, 0, 0] }, interrupts: { 0: 2, 10: 48 } };
  const t = buildTables([{ path: 'a.json', results: standard(54.15, expansion) }]);
  assert.is(t.expansion.interrupts, 50);
  const row = (op: string) => t.expansion.rows.find((r) => r.operation === op)!;
  assert.is(row('cli').count.measured, 750);
  assert.is(row('cli').perInterrupt.measured, 15);
  assert.ok(Math.abs(row('cli').perInterrupt.ratio! - 15 / pub.expansion[0]!.per_interrupt) < 1e-12);
  assert.is(row('port out').count.measured, 25);
  assert.is(row('sti').count.measured, 0);
  assert.is(t.expansion.bytes, (1 << 20) - 32768);
  // A file without the difference gives dashes, not the whole-run counters.
  const bare = buildTables([{ path: 'a.json', results: standard(54.15) }]);
  assert.is(bare.expansion.rows[0]!.count.measured, null);
  assert.ok(bare.expansion.notRun);
});

test('lines of code: measured per component beside the slides, dashes without a wedge', () => {
  const r = standard();
  r.loc = { rule: 'test rule', components: { common: { headers: 343, sources: 690 }, ia32: { headers: 100, sources: 4436 } } };
  const t = buildTables([{ path: 'a.json', results: r }]);
  const common = t.loc.rows.find((x) => x.component === 'common')!;
  assert.is(common.headers.ratio, 343 / 686);
  assert.is(common.sources.ratio, 690 / 1380);
  assert.is(t.loc.rows.find((x) => x.component === 'ia32')!.sources.ratio, 1);
  assert.is(t.loc.rows.find((x) => x.component === 'xen')!.headers.measured, null);
  assert.is(ratio(null, 3), null);
  assert.is(ratio(3, 0), null);
});

test('several files combine; the same run in two files is refused', () => {
  const a = results([ok('hardware', 'netperf-send', figures({ mbs: 100, cpu: 30 }))]);
  const b = results([ok('hardware', 'netperf-receive', figures({ mbs: 90, cpu: 40 }))]);
  const t = buildTables([{ path: 'a', results: a }, { path: 'b', results: b }]);
  const hw = t.netperf[0]!;
  assert.is(hw.send.mbs.measured, 100);
  assert.is(hw.receive.mbs.measured, 90);
  assert.throws(() => buildTables([{ path: 'a', results: a }, { path: 'a2', results: a }]), /hardware\/netperf-send is also in a/);
});

test('world tables writes Markdown, CSV and SVG; the same input gives the same bytes', async () => {
  const dir = tempDir();
  const input = save(dir, 'r.json', standard());
  const one = await execa('node', [worldBin, 'tables', '--out', join(dir, 'one'), '--quiet', input], { reject: false });
  const two = await execa('node', [worldBin, 'tables', '--out', join(dir, 'two'), '--quiet', input], { reject: false });
  assert.is(one.exitCode, 0, one.stderr);
  assert.is(two.exitCode, 0);
  const names = readdirSync(join(dir, 'one')).sort();
  assert.equal(names, ['breakdown.csv', 'expansion.csv', 'expansion.svg', 'loc.csv', 'loc.svg', 'netperf-cpu.svg', 'netperf-throughput.svg', 'netperf.csv', 'tables.md']);
  for (const n of names) assert.is(readFileSync(join(dir, 'one', n), 'utf8'), readFileSync(join(dir, 'two', n), 'utf8'), n);
  const csv = readFileSync(join(dir, 'one', 'netperf.csv'), 'utf8').split('\n');
  assert.is(csv[1]!.split(',').slice(0, 5).join(','), `hardware,hardware,54.150,108.30,${(54.15 / 108.3).toFixed(4)}`);
  assert.match(readFileSync(join(dir, 'one', 'netperf-throughput.svg'), 'utf8'), /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
});

test('bad input: a missing file or another schema version is named, and nothing is written', async () => {
  const dir = tempDir();
  const missing = await execa('node', [worldBin, 'tables', '--out', join(dir, 'o'), join(dir, 'nope.json')], { reject: false });
  assert.is(missing.exitCode, 2);
  assert.match(missing.stderr, 'nope.json: no such results file');
  const v3 = save(dir, 'v3.json', { ...standard(), version: 3 });
  const wrong = await execa('node', [worldBin, 'tables', '--out', join(dir, 'o'), v3], { reject: false });
  assert.is(wrong.exitCode, 2);
  assert.match(wrong.stderr, 'v3.json: version: results schema version 3; this world reads versions 1, 2');
  assert.not.ok(existsSync(join(dir, 'o')));
});

test('Linux 6.1 rows: CPU over native Linux\'s, beside the slides\' ratio of the same kind of configuration; no section without native Linux', () => {
  const configs = [
    { name: 'hardware', title: 'hardware', guest: 'guest-kernel@native', backend: 'hardware', wedge: null },
    { name: 'afterburnt-xen', title: 'afterburn Xen', guest: 'guest-kernel@afterburnt', backend: 'xen', wedge: 'wedge@xen' },
    { name: 'linux-hardware', title: 'Linux 6.1 hardware', guest: 'linux@native', backend: 'hardware', wedge: null },
    { name: 'linux-afterburnt-xen', title: 'Linux 6.1 afterburn Xen', guest: 'linux@afterburnt', backend: 'xen', wedge: 'wedge@xen' },
    { name: 'linux-trap-and-emulate-xen', title: 'Linux 6.1 on Xen (trap-and-emulate)', guest: 'linux@native', backend: 'xen', wedge: null },
  ];
  const workloads = [{ name: 'netperf-send', kind: 'netperf', direction: 'send' }, { name: 'netperf-receive', kind: 'netperf', direction: 'receive' }];
  const runs = [
    ok('linux-hardware', 'netperf-send', figures({ mbs: 100, cpu: 40 })), ok('linux-hardware', 'netperf-receive', figures({ mbs: 100, cpu: 50 })),
    ok('linux-afterburnt-xen', 'netperf-send', figures({ mbs: 100, cpu: 48 })), ok('linux-afterburnt-xen', 'netperf-receive', figures({ mbs: 100, cpu: 55 })),
    ok('linux-trap-and-emulate-xen', 'netperf-send', figures({ mbs: 100, cpu: 90 })),
  ];
  const r = results(runs);
  r.bench.configurations = configs;
  r.bench.workloads = workloads as typeof r.bench.workloads;
  const t = buildTables([{ path: 'a.json', results: r }]);
  assert.equal(t.linux.map((x) => x.configuration), ['linux-afterburnt-xen', 'linux-trap-and-emulate-xen']);
  const ab = t.linux[0]!;
  assert.ok(Math.abs(ab.send! - 48 / 40) < 1e-12 && Math.abs(ab.receive! - 55 / 50) < 1e-12);
  assert.is(ab.slidesRow, pub.netperf['afterburnt-xen']!.title);
  assert.ok(Math.abs(ab.slidesSend! - pub.netperf['afterburnt-xen']!.send_cpu / pub.netperf.hardware!.send_cpu) < 1e-12);
  const te = t.linux[1]!;
  assert.ok(Math.abs(te.send! - 90 / 40) < 1e-12);
  assert.is(te.receive, null);
  assert.is(te.slidesRow, null);
  const md = renderTables(t)['tables.md']!;
  assert.match(md, '## Linux 6.1 against native Linux');
  assert.match(md, `| Linux 6.1 afterburn Xen | ${(48 / 40).toFixed(3)} | ${(55 / 50).toFixed(3)} | afterburn Xen |`);
  // Without native Linux measured there is nothing to compare with: no section.
  const none = buildTables([{ path: 'b.json', results: standard() }]);
  assert.equal(none.linux, []);
  assert.not.match(renderTables(none)['tables.md']!, 'Linux 6.1 against native Linux');
});

test.run();
