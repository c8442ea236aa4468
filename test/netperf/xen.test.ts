// netperf on the Xen model with the DP83820 directly assigned to the domain (ABI.md section 7):
// the afterburnt guest kernel with the wedge sends and receives with the data pattern checked
// (by the peer for send, by the guest's netperf for receive), the NIC's interrupt reaches the
// guest as a pirq event channel acknowledged with PHYSDEVOP_eoi, and the report is the same
// twice. The unmodified kernel under trap-and-emulate also completes a transfer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { runNetperf } from '../../harness/workloads/netperf.ts';
import { afterburnAsDir, buildKernel, buildWedge } from '../wedge/build.ts';
import { wedgeTransferTests } from './checks.ts';
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

// The NIC's line: the PIC deliveries in the window are the physical interrupts Xen took.
wedgeTransferTests('xen', 'through a pirq', BYTES, 10, () => ({ elf: afterburnt, wedge }), ({ report }, irq) => {
  const b = report.backend!;
  const w = b.wedge!;
  assert.is(b.mode, 'pv-wedge');
  assert.is(b.xen!.crash, null);
  assert.ok(b.xen!.physical_irqs[irq]! >= report.interrupts[irq]!, 'Xen took the NIC interrupts');
  assert.is(w['physical interrupts'], b.xen!.physical_irqs[irq], 'each one reached the virtual PIC as a pirq event');
  assert.is(b.xen!.hypercalls.physdev_op, w['physical eois'], 'PHYSDEVOP_eoi per interrupt: EOIed at Xen after the guest EOIed it');
  assert.is(b.xen!.hypercalls.event_channel_op, 2, 'bind_virq (timer) and bind_pirq (NIC)');
  assert.ok(b.xen!.xen_cycles > 0);
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
