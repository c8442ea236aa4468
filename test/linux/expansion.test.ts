// The instruction-expansion column of Linux 6.1 (linux-hardware receiving, as world.yaml's
// bench.expansion names it): the harness's figure is the whole run's counters less those of a
// one-message reference run. The independent count is the transfer window's: the emulator's
// window counters (sensitive instructions and interrupts between the peer's first and last
// segment) of the same run less those of the reference run alone. Boot, set-up and close are
// outside the windows, so the two differences may part only by what differs outside them (the
// work at the windows' edges): the test bounds that and checks the table's Linux column is the
// run's difference over its interrupts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linuxGuest } from './world-build.ts';
import { measure, type MeasureSpec } from '../../harness/measure.ts';
import { buildTables } from '../../harness/tables.ts';
import { published } from '../../harness/published.ts';
import { RESULTS_SCHEMA, RESULTS_VERSION, type NetperfFigures, type Results } from '../../harness/results.ts';

const MiB = 2 ** 20;
const MESSAGE = 32768;
const { bzImage, initrd } = await linuxGuest();
const dir = mkdtempSync(join(tmpdir(), 'world-linux-expansion-'));
const initrdPath = join(dir, 'initrd.cpio');
writeFileSync(initrdPath, initrd);
test.after(() => rmSync(dir, { recursive: true, force: true }));

const spec = (transferBytes: number, referenceBytes?: number): MeasureSpec => ({
  configuration: 'linux-hardware', workload: 'netperf-receive', backend: 'hardware', guest: bzImage, initrd: initrdPath,
  direction: 'receive', transferBytes, messageBytes: MESSAGE, profile: 'p4-2.8ghz', ...(referenceBytes ? { referenceBytes } : {}),
});

const total = (rings: number[] | undefined): number => (rings ?? []).reduce((a, b) => a + b, 0);
const sum = (rec: Record<string, number>): number => Object.values(rec).reduce((a, b) => a + b, 0);

test('Linux 6.1 receiving: the expansion difference agrees with the window counters, and the table\'s Linux column is it per interrupt', () => {
  const full = measure(spec(MiB, MESSAGE));
  assert.is(full.failure, null, full.failure ?? '');
  const ref = measure(spec(MESSAGE));
  assert.is(ref.failure, null, ref.failure ?? '');
  const exp = full.figures.expansion!;
  assert.ok(exp, 'the run has its reference difference');
  assert.is(exp.reference_bytes, MESSAGE);
  const fw = full.figures.window!;
  const rw = ref.figures.window!;
  assert.ok(fw && rw, 'both runs have window counters');

  // Interrupts: the window's NIC and timer interrupts against the whole runs' difference.
  const windowIrqs = sum(full.figures.interrupts) - sum(ref.figures.interrupts);
  const runIrqs = sum(exp.interrupts);
  assert.ok(windowIrqs > 20, `${windowIrqs} interrupts moved 1 MiB less one message`);
  assert.ok(Math.abs(runIrqs - windowIrqs) <= 2, `interrupts: run difference ${runIrqs}, window difference ${windowIrqs}`);

  // Each operation of the table: the two differences part only by the work at the windows' edges
  // (where a transfer's first and last segments fall between interrupts): at most two interrupts'
  // worth of it, at the window's own rate, and 8 instructions.
  for (const op of published().expansion) {
    const run = op.counters.reduce((n, c) => n + total(exp.sensitive[c]), 0);
    const window = op.counters.reduce((n, c) => n + total(fw.sensitive[c]) - total(rw.sensitive[c]), 0);
    const edges = 2 * (window / windowIrqs) + 8;
    assert.ok(window > 0, `${op.operation}: executed in the window`);
    assert.ok(Math.abs(run - window) <= edges, `${op.operation}: run difference ${run}, window difference ${window}, allowed ${edges.toFixed(1)}`);
  }
  // Linux masks interrupts far more often than it takes one: the table's point.
  const cli = total(exp.sensitive.cli);
  assert.ok(cli / runIrqs > 10, `cli per interrupt ${cli / runIrqs}`);

  // The table reads the same figures: count and per interrupt of the Linux column.
  const figures: NetperfFigures = full.figures;
  const results: Results = {
    schema: RESULTS_SCHEMA, version: RESULTS_VERSION,
    bench: {
      transfer_bytes: MiB, message_bytes: MESSAGE, profile: 'p4-2.8ghz',
      configurations: [{ name: 'linux-hardware', title: 'Linux 6.1 hardware', guest: 'linux@native', backend: 'hardware', wedge: null }],
      workloads: [{ name: 'netperf-receive', kind: 'netperf', direction: 'receive' }],
      expansion: { configurations: ['linux-hardware'], workload: 'netperf-receive' },
    },
    provenance: {}, loc: null, host: {},
    runs: [{ configuration: 'linux-hardware', workload: 'netperf-receive', status: 'ok', figures }],
  };
  const t = buildTables([{ path: 'linux.json', results }]);
  assert.is(t.expansion.columns[0]!.interrupts, runIrqs);
  const row = t.expansion.rows.find((r) => r.operation === 'cli')!;
  assert.is(row.count[0]!.measured, cli);
  assert.is(row.perInterrupt[0]!.measured, cli / runIrqs);
});

test.run();
