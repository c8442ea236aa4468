// world tables: the three tables from results files alone, each figure beside the slides' with
// the ratio measured / slides; "—" for what was not measured. Expected values are computed here
// from the synthetic figures and the published data file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildTables, renderTables, ratio } from '../../harness/tables.ts';
import { readResults, type Results } from '../../harness/results.ts';
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
  const [col] = t.expansion.columns;
  assert.is(t.expansion.columns.length, 1);
  assert.is(col!.interrupts, 50);
  const row = (op: string) => t.expansion.rows.find((r) => r.operation === op)!;
  assert.is(row('cli').count[0]!.measured, 750);
  assert.is(row('cli').perInterrupt[0]!.measured, 15);
  assert.ok(Math.abs(row('cli').perInterrupt[0]!.ratio! - 15 / pub.expansion[0]!.per_interrupt) < 1e-12);
  assert.is(row('port out').count[0]!.measured, 25);
  assert.is(row('sti').count[0]!.measured, 0);
  assert.is(col!.bytes, (1 << 20) - 32768);
  // One measured column: the slides' layout.
  const md = renderTables(t)['tables.md']!;
  assert.match(md, '| operation | count | per interrupt | slides count | slides per interrupt | ratio (per interrupt) |');
  assert.match(md, `| cli | 750 | 15.00 | ${pub.expansion[0]!.count} | ${pub.expansion[0]!.per_interrupt} | ${(15 / pub.expansion[0]!.per_interrupt).toFixed(3)} |`);
  assert.match(md, 'in run `hardware/netperf-receive`, minus those of the same guest transferring one message: what moving the other 992 KiB cost');
  // A file without the difference gives dashes, not the whole-run counters.
  const bare = buildTables([{ path: 'a.json', results: standard(54.15) }]);
  assert.is(bare.expansion.rows[0]!.count[0]!.measured, null);
  assert.ok(bare.expansion.columns[0]!.notRun);
});

test('expansion table with two configurations: a column each, its own difference and interrupts, the slides once', () => {
  const ours = { reference_bytes: 32768, instructions: 1, sensitive: { cli: [700, 0, 0, 50], popf: [90, 0, 0, 0] }, interrupts: { 0: 2, 10: 48 } };
  const linux = { reference_bytes: 32768, instructions: 1, sensitive: { cli: [2400, 0, 0, 0], popf: [12, 0, 0, 4] }, interrupts: { 0: 1, 10: 19 } };
  const r = standard(54.15, ours);
  r.bench.configurations = [...r.bench.configurations, { name: 'linux-hardware', title: 'Linux 6.1 hardware', guest: 'linux@native', backend: 'hardware', wedge: null }];
  r.bench.expansion = { configurations: ['hardware', 'linux-hardware'], workload: 'netperf-receive' };
  r.runs.push(ok('linux-hardware', 'netperf-receive', figures({ mbs: 100, cpu: 50, expansion: linux })));
  const t = buildTables([{ path: 'a.json', results: r }]);
  assert.equal(t.expansion.columns.map((c) => [c.configuration, c.interrupts, c.notRun]), [['hardware', 50, null], ['linux-hardware', 20, null]]);
  const cli = t.expansion.rows.find((x) => x.operation === 'cli')!;
  assert.equal(cli.count.map((c) => c.measured), [750, 2400]);
  assert.equal(cli.perInterrupt.map((c) => c.measured), [15, 120]);
  assert.equal(cli.perInterrupt.map((c) => c.slides), [pub.expansion[0]!.per_interrupt, pub.expansion[0]!.per_interrupt]);
  const popf = t.expansion.rows.find((x) => x.operation === 'popf')!;
  assert.equal(popf.count.map((c) => c.measured), [90, 16]);
  const out = renderTables(t);
  assert.match(out['tables.md']!, '| operation | count (hardware) | per interrupt (hardware) | count (Linux 6.1 hardware) | per interrupt (Linux 6.1 hardware) | slides count | slides per interrupt | ratio (hardware) | ratio (Linux 6.1 hardware) |');
  assert.match(out['tables.md']!, `| cli | 750 | 15.00 | 2400 | 120.00 | ${pub.expansion[0]!.count} | ${pub.expansion[0]!.per_interrupt} | ${(15 / pub.expansion[0]!.per_interrupt).toFixed(3)} | ${(120 / pub.expansion[0]!.per_interrupt).toFixed(3)} |`);
  assert.match(out['tables.md']!, '(hardware 50, Linux 6.1 hardware 20, all IRQ lines)');
  const csvHead = out['expansion.csv']!.split('\n')[0];
  assert.is(csvHead, 'operation,count_hardware,per_interrupt_hardware,count_linux-hardware,per_interrupt_linux-hardware,count_slides,per_interrupt_slides,per_interrupt_ratio_hardware,per_interrupt_ratio_linux-hardware');
  // A configuration without its run: its column is dashes and the note says why.
  r.runs.pop();
  const missing = buildTables([{ path: 'a.json', results: r }]);
  assert.is(missing.expansion.columns[1]!.notRun, 'not in these results');
  assert.match(renderTables(missing)['tables.md']!, 'Not run: Linux 6.1 hardware: not in these results.');
});

test('results of schema version 2 (one expansion configuration) read as a list of one and give the same tables', () => {
  const dir = tempDir();
  const expansion = { reference_bytes: 32768, instructions: 1, sensitive: { cli: [7, 0, 0, 0] }, interrupts: { 10: 7 } };
  const v3 = standard(54.15, expansion);
  const v2 = { ...v3, version: 2, bench: { ...v3.bench, expansion: { configuration: 'hardware', workload: 'netperf-receive' } } } as unknown as Results;
  const readV2 = readResults(save(dir, 'v2.json', v2));
  assert.equal(readV2.bench.expansion, { configurations: ['hardware'], workload: 'netperf-receive' });
  const readV3 = readResults(save(dir, 'v3.json', v3));
  assert.equal(renderTables(buildTables([{ path: 'v2.json', results: readV2 }])), renderTables(buildTables([{ path: 'v3.json', results: readV3 }])));
  const broken = { ...v3, bench: { ...v3.bench, expansion: { configuration: 'hardware', workload: 'netperf-receive' } } } as unknown as Results;
  assert.throws(() => readResults(save(dir, 'broken.json', broken)), /broken.json: bench.expansion.configurations: expected a list of configuration names/);
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
  const v4 = save(dir, 'v4.json', { ...standard(), version: 4 });
  const wrong = await execa('node', [worldBin, 'tables', '--out', join(dir, 'o'), v4], { reject: false });
  assert.is(wrong.exitCode, 2);
  assert.match(wrong.stderr, 'v4.json: version: results schema version 4; this world reads versions 1, 2, 3');
  assert.not.ok(existsSync(join(dir, 'o')));
});

test('device pre-virtualization table: calls per MiB and mean batch from the window, beside the direct-access rows; no section without such runs', () => {
  const configs = [
    { name: 'hardware', title: 'hardware', guest: 'guest-kernel@native', backend: 'hardware', wedge: null },
    { name: 'afterburnt-xen', title: 'afterburn Xen', guest: 'guest-kernel@afterburnt', backend: 'xen', wedge: 'wedge@xen' },
    { name: 'afterburnt-xen-devvirt', title: 'afterburn Xen (device)', guest: 'guest-kernel@afterburnt', backend: 'xen', wedge: 'wedge@xen-devvirt' },
    { name: 'afterburnt-l4-devvirt', title: 'afterburnt L4 (device)', guest: 'guest-kernel@afterburnt', backend: 'l4', wedge: 'wedge@l4-devvirt' },
  ];
  const workloads = [{ name: 'netperf-send', kind: 'netperf', direction: 'send' }, { name: 'netperf-receive', kind: 'netperf', direction: 'receive' }];
  const withWindow = (mbs: number, cpu: number, backend: Record<string, unknown>) => {
    const f = figures({ mbs, cpu });
    f.bytes = 4 << 20;
    f.window = {
      cycles: { guest_kernel: 0, guest_user: 0, wedge: 0, hypervisor: {}, device: 0, interrupt_entry: 0, exception_entry: 0, idle: 0, total: 0 },
      exceptions: {}, page_faults: 0, interrupt_vectors: {}, software_interrupts: {}, tlb: { hits: 0, misses: 0, flushes: 0, invlpg: 0 }, sensitive: {},
      devices: { port_accesses: 0, mmio_accesses: 0 }, backend,
    };
    return f;
  };
  const runs = [
    ok('hardware', 'netperf-send', figures({ mbs: 108, cpu: 29 })),
    ok('afterburnt-xen', 'netperf-send', withWindow(108, 34, { xen: { hypercalls: { iret: 300, sched_op: 100 } }, wedge: {} })),
    ok('afterburnt-xen-devvirt', 'netperf-send', withWindow(107, 60, { xen: { hypercalls: { event_channel_op: 360, iret: 200 } }, wedge: { 'netif tx requests': 2880, 'netif notifications': 360 } })),
    ok('afterburnt-l4-devvirt', 'netperf-receive', withWindow(97, 70, { l4: { system_calls: { Ipc: 1000, ExchangeRegisters: 200 }, messages: { pagefault: 50, exception: 10, interrupt: 0, sigma0: 0, startup: 0, other: 700 } }, wedge: { 'netif tx requests': 1400, 'netif notifications': 700 } })),
  ];
  const r = results(runs);
  r.bench.configurations = configs;
  r.bench.workloads = workloads as typeof r.bench.workloads;
  const t = buildTables([{ path: 'a.json', results: r }]);
  // The compared rows first (those in the results), then the device rows.
  assert.equal(t.devvirt.map((x) => x.configuration), ['hardware', 'afterburnt-xen', 'afterburnt-xen-devvirt', 'afterburnt-l4-devvirt']);
  const [hw, ab, dx, dl] = t.devvirt;
  assert.is(hw!.send!.callsPerMib, null, 'no hypervisor on hardware');
  assert.is(ab!.send!.callsPerMib, 400 / 4);
  assert.is(ab!.send!.batch, null, 'no split device');
  assert.is(dx!.send!.callsPerMib, 560 / 4);
  assert.is(dx!.send!.batch, 2880 / 360);
  assert.is(dx!.receive, null);
  // L4: system calls plus the kernel's own fault, exception and interrupt messages.
  assert.is(dl!.receive!.callsPerMib, (1000 + 200 + 50 + 10) / 4);
  assert.is(dl!.receive!.batch, 2);
  const md = renderTables(t)['tables.md']!;
  assert.match(md, '## Device pre-virtualization');
  assert.match(md, 'no figures in our copy of the seed');
  assert.match(md, '| afterburn Xen (device) | 107.00 | 60.00 | 140.0 | 8.00 | — | — | — | — |');
  assert.ok(renderTables(t)['devvirt.csv']!.startsWith('configuration,send_mb_s'));
  const none = buildTables([{ path: 'b.json', results: standard() }]);
  assert.equal(none.devvirt, []);
  assert.not.match(renderTables(none)['tables.md']!, 'Device pre-virtualization');
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
