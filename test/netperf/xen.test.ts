// netperf on the Xen model with the DP83820 directly assigned to the domain (ABI.md section 7):
// the afterburnt guest kernel with the wedge sends and receives with the data pattern checked
// (by the peer for send, by the guest's netperf for receive), the NIC's interrupt reaches the
// guest as a pirq event channel acknowledged with PHYSDEVOP_eoi, and the report is the same
// twice. The unmodified kernel under trap-and-emulate also completes a transfer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { runNetperf, type NetperfRunOptions } from '../../harness/workloads/netperf.ts';
import { afterburnAsDir, buildKernel, buildWedge } from '../wedge/build.ts';
import { defaultGuest } from './build.ts';

const BYTES = 128 << 10;
let afterburnt: Uint8Array, wedge: Uint8Array, native: Uint8Array;

test.before(async () => {
  const asDir = await afterburnAsDir();
  const [a, w, n] = await Promise.all([buildKernel(`gcc -B ${asDir}`), buildWedge(), defaultGuest()]);
  afterburnt = readFileSync(a);
  wedge = readFileSync(w.elf);
  native = readFileSync(n);
});

function onXen(direction: 'send' | 'receive', extra: Partial<NetperfRunOptions> = {}) {
  return runNetperf({
    elf: afterburnt, kernelName: 'kernel.elf', direction, bytes: BYTES, messageBytes: 32 << 10,
    backend: 'xen', wedge, wedgeName: 'wedge-xen.elf', ...extra,
  });
}

for (const direction of ['send', 'receive'] as const) {
  test(`afterburnt + wedge on xen: ${direction} completes with the pattern verified, through a pirq`, () => {
    const { report, peer } = onXen(direction);
    assert.ok(report.verified, report.stop);
    assert.is(report.bytes, BYTES);
    if (direction === 'send') assert.ok(peer.verified, 'the peer checked every byte against the pattern');
    else assert.is(report.guest?.bad_offset, '-1', 'the guest found no byte off the pattern');
    assert.is(report.guest?.words, `${direction} ok`);
    const b = report.backend!;
    assert.is(b.mode, 'pv-wedge');
    assert.is(b.xen!.crash, null);
    assert.equal(b.holes, [], 'every sensitive instruction the guest ran was rewritten');
    const w = b.wedge!;
    // The NIC's line: the PIC deliveries in the window are the physical interrupts Xen took.
    const lines = Object.keys(report.interrupts);
    assert.ok(lines.length === 1 && Number(lines[0]) >= 10, `one NIC line: ${JSON.stringify(report.interrupts)}`);
    const irq = lines[0]!;
    assert.ok(report.interrupts[irq]! > 0);
    assert.ok(b.xen!.physical_irqs[irq]! >= report.interrupts[irq]!, 'Xen took the NIC interrupts');
    assert.is(w['physical irqs bound'], 1, 'the wedge bound the line it saw unmasked');
    assert.is(w['physical interrupts'], b.xen!.physical_irqs[irq], 'each one reached the virtual PIC as a pirq event');
    assert.is(w['physical eois'], w['physical interrupts'], 'each one was EOIed at Xen after the guest EOIed it');
    assert.is(b.xen!.hypercalls.physdev_op, w['physical eois'], 'PHYSDEVOP_eoi per interrupt');
    assert.is(b.xen!.hypercalls.event_channel_op, 2, 'bind_virq (timer) and bind_pirq (NIC)');
    assert.ok(w['virtual interrupts delivered']! >= w['physical interrupts']!);
    // The hypervisor's work is in the busy cycles of the window.
    assert.ok(report.cpu.busy_cycles > 0 && report.cpu.busy_cycles <= report.cpu.window_cycles);
    assert.ok(b.xen!.xen_cycles > 0);
  });
}

test('afterburnt + wedge on xen: two runs give the same JSON', () => {
  const a = onXen('send', { bytes: 64 << 10 }).report;
  const b = onXen('send', { bytes: 64 << 10 }).report;
  assert.ok(a.verified, a.stop);
  assert.is(JSON.stringify(a), JSON.stringify(b));
});

test('the native kernel under trap-and-emulate on xen completes a transfer', () => {
  const { report, peer } = runNetperf({
    elf: native, kernelName: 'kernel.elf', direction: 'send', bytes: 64 << 10, messageBytes: 32 << 10, backend: 'xen',
  });
  assert.ok(report.verified, report.stop);
  assert.ok(peer.verified);
  const b = report.backend!;
  assert.is(b.mode, 'trap-and-emulate');
  // Every cli of the kernel traps, and the popf hole loses virtual-IF changes (ABI.md section 8).
  assert.ok(b.trap_and_emulate!.emulated.cli! > 0);
  assert.ok(b.trap_and_emulate!.popf_if_lost > 0);
  assert.ok(b.xen!.xen_cycles > 0);
});

test.run();
