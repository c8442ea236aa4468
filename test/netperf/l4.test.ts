// netperf on the L4 model with the afterburnt guest kernel under the wedge's L4 back-end: the
// guest drives the DP83820 through σ0's mappings of its registers (MMIO faults of main, mapped
// by the monitor) and its interrupt line arrives as interrupt IPC at the monitor, is raised at
// the virtual PIC and acknowledged to the interrupt thread when the guest EOIs it. Send and
// receive complete with the data pattern checked (by the peer for send, by the guest's netperf
// for receive), and the report is the same twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { afterburnAsDir, buildKernel, buildWedge } from '../wedge/build.ts';
import { wedgeTransferTests } from './checks.ts';

const BYTES = 128 << 10;
let afterburnt: Uint8Array, wedge: Uint8Array;

test.before(async () => {
  const asDir = await afterburnAsDir();
  const [a, w] = await Promise.all([buildKernel(`gcc -B ${asDir}`), buildWedge('l4')]);
  afterburnt = readFileSync(a);
  wedge = readFileSync(w.elf);
});

wedgeTransferTests('l4', 'through interrupt IPC', BYTES, 9, () => ({ elf: afterburnt, wedge }), (run, irq) => {
  const b = run.report.backend!;
  const w = b.wedge!;
  assert.is(b.backend, 'l4');
  assert.is(b.l4!.crash, null);
  assert.is(w['physical interrupts'], b.l4!.interrupts[irq], 'each interrupt IPC reached the virtual PIC');
  assert.ok(w['address-space switches']! > 0 && b.l4!.address_space_switches > 0);
});

test.run();
