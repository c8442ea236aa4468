// netperf on the L4 model with the afterburnt guest kernel under the wedge's L4 back-end: the
// guest drives the DP83820 through σ0's mappings of its registers (MMIO faults of main, mapped
// by the monitor) and its interrupt line arrives as interrupt IPC at the monitor, is raised at
// the virtual PIC and acknowledged to the interrupt thread when the guest EOIs it. Send and
// receive complete with the data pattern checked (by the peer for send, by the guest's netperf
// for receive), and the report is the same twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { runNetperf, type NetperfRunOptions } from '../../harness/workloads/netperf.ts';
import { afterburnAsDir, buildKernel, buildWedge } from '../wedge/build.ts';

const BYTES = 128 << 10;
let afterburnt: Uint8Array, wedge: Uint8Array;

test.before(async () => {
  const asDir = await afterburnAsDir();
  const [a, w] = await Promise.all([buildKernel(`gcc -B ${asDir}`), buildWedge('l4')]);
  afterburnt = readFileSync(a);
  wedge = readFileSync(w.elf);
});

function onL4(direction: 'send' | 'receive', extra: Partial<NetperfRunOptions> = {}) {
  return runNetperf({
    elf: afterburnt, kernelName: 'kernel.elf', direction, bytes: BYTES, messageBytes: 32 << 10,
    backend: 'l4', wedge, wedgeName: 'wedge-l4.elf', ...extra,
  });
}

for (const direction of ['send', 'receive'] as const) {
  test(`afterburnt + wedge on l4: ${direction} completes with the pattern verified, through interrupt IPC`, () => {
    const { report, peer } = onL4(direction);
    assert.ok(report.verified, report.stop);
    assert.is(report.bytes, BYTES);
    if (direction === 'send') assert.ok(peer.verified, 'the peer checked every byte against the pattern');
    else assert.is(report.guest?.bad_offset, '-1', 'the guest found no byte off the pattern');
    assert.is(report.guest?.words, `${direction} ok`);
    const b = report.backend!;
    assert.is(b.backend, 'l4');
    assert.is(b.l4!.crash, null);
    assert.equal(b.holes, [], 'every sensitive instruction the guest ran was rewritten');
    const w = b.wedge!;
    const lines = Object.keys(report.interrupts);
    assert.ok(lines.length === 1 && Number(lines[0]) >= 9, `one NIC line: ${JSON.stringify(report.interrupts)}`);
    const irq = lines[0]!;
    assert.ok(report.interrupts[irq]! > 0);
    assert.is(w['physical irqs bound'], 1, 'the wedge attached the line it saw unmasked');
    assert.is(w['physical interrupts'], b.l4!.interrupts[irq], 'each interrupt IPC reached the virtual PIC');
    assert.is(w['physical eois'], w['physical interrupts'], 'each was acknowledged after the guest EOIed it');
    assert.ok(w['virtual interrupts delivered']! >= w['physical interrupts']!);
    assert.ok(w['address-space switches']! > 0 && b.l4!.address_space_switches > 0);
    assert.ok(report.cpu.busy_cycles > 0 && report.cpu.busy_cycles <= report.cpu.window_cycles);
  });
}

test('afterburnt + wedge on l4: two runs give the same JSON', () => {
  const a = onL4('send', { bytes: 64 << 10 }).report;
  const b = onL4('send', { bytes: 64 << 10 }).report;
  assert.ok(a.verified, a.stop);
  assert.is(JSON.stringify(a), JSON.stringify(b));
});

test.run();
