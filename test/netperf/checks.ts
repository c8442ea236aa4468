// How the netperf tests run an afterburnt kernel under the wedge on a hypervisor (and the tests
// every such back-end passes: both directions verified, the same JSON twice), and the checks
// every netperf test on a back-end makes of a finished transfer: the run stopped as
// verified, moved the bytes asked for, and the data pattern held (checked by the peer for send,
// by the guest's netperf for receive); and, under a wedge, that one NIC line carried the
// interrupts, the wedge acknowledged each, and the window's busy cycles fit in it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runNetperf, type NetperfDirection, type NetperfRunResult } from '../../harness/workloads/netperf.ts';

/** netperf with the afterburnt kernel `elf` under `wedge` on `backend`: `bytes` in 32 KiB sends. */
export function onWedge(backend: 'xen' | 'l4', elf: Uint8Array, wedge: Uint8Array, direction: NetperfDirection,
  bytes: number): NetperfRunResult {
  return runNetperf({
    elf, kernelName: 'kernel.elf', direction, bytes, messageBytes: 32 << 10,
    backend, wedge, wedgeName: `wedge-${backend}.elf`,
  });
}

/** The transfer completed with `bytes` moved and every byte checked against the pattern. */
export function assertTransferVerified({ report, peer }: NetperfRunResult, direction: NetperfDirection, bytes: number): void {
  assert.ok(report.verified, report.stop);
  assert.is(report.bytes, bytes);
  if (direction === 'send') assert.ok(peer.verified, 'the peer checked every byte against the pattern');
  else assert.is(report.guest?.bad_offset, '-1', 'the guest found no byte off the pattern');
}

/** The interrupts of the window came on one line, at or above `lowest` (the NIC's), at least once;
 *  returns that line as the report keys it. */
export function nicLine({ report }: NetperfRunResult, lowest: number): string {
  const lines = Object.keys(report.interrupts);
  assert.ok(lines.length === 1 && Number(lines[0]) >= lowest, `one NIC line: ${JSON.stringify(report.interrupts)}`);
  const irq = lines[0]!;
  assert.ok(report.interrupts[irq]! > 0);
  return irq;
}

/** An afterburnt kernel under the wedge on a hypervisor: the transfer is verified, every sensitive
 *  instruction was rewritten, the wedge bound the one NIC line (at or above `lowest`), acknowledged
 *  each physical interrupt after the guest's EOI and delivered at least as many virtual ones, and
 *  the window's busy cycles fit in it. Returns the NIC line. */
export function assertWedgeTransfer(run: NetperfRunResult, direction: NetperfDirection, bytes: number, lowest: number): string {
  assertTransferVerified(run, direction, bytes);
  const { report } = run;
  assert.is(report.guest?.words, `${direction} ok`);
  const b = report.backend!;
  assert.equal(b.holes, [], 'every sensitive instruction the guest ran was rewritten');
  const w = b.wedge!;
  const irq = nicLine(run, lowest);
  assert.is(w['physical irqs bound'], 1, 'the wedge bound the line it saw unmasked');
  assert.is(w['physical eois'], w['physical interrupts'], 'each was acknowledged after the guest EOIed it');
  assert.ok(w['virtual interrupts delivered']! >= w['physical interrupts']!);
  // The hypervisor's work is in the busy cycles of the window.
  assert.ok(report.cpu.busy_cycles > 0 && report.cpu.busy_cycles <= report.cpu.window_cycles);
  return irq;
}

/**
 * Registers the tests every wedge back-end passes: send and receive with `bytes` complete as
 * assertWedgeTransfer says (then `backendChecks` adds the back-end's own figures for the NIC line
 * it returns), and two runs give the same JSON. `inputs` gives the images once test.before built them.
 */
export function wedgeTransferTests(backend: 'xen' | 'l4', how: string, bytes: number, lowestNicLine: number,
  inputs: () => { elf: Uint8Array; wedge: Uint8Array }, backendChecks: (run: NetperfRunResult, irq: string) => void): void {
  const run = (direction: NetperfDirection, n: number) => onWedge(backend, inputs().elf, inputs().wedge, direction, n);
  for (const direction of ['send', 'receive'] as const) {
    test(`afterburnt + wedge on ${backend}: ${direction} completes with the pattern verified, ${how}`, () => {
      const r = run(direction, bytes);
      backendChecks(r, assertWedgeTransfer(r, direction, bytes, lowestNicLine));
    });
  }
  test(`afterburnt + wedge on ${backend}: two runs give the same JSON`, () => {
    const a = run('send', 64 << 10).report;
    const b = run('send', 64 << 10).report;
    assert.ok(a.verified, a.stop);
    assert.is(JSON.stringify(a), JSON.stringify(b));
  });
}
