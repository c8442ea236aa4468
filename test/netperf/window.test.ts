// The transfer window's counters across the slides' back-ends: the same guest kernel as native
// on hardware, para-virtual on Xen (XenoLinux) and on L4 (L4Ka::Linux), and afterburnt on
// hardware and under the wedge on both, each sending and receiving 1 MiB.
// - One interrupt per device event: the NIC model's own count of its interrupt requests (raises
//   of its line) is the oracle; every row takes exactly one interrupt per request (the wedges
//   once took each twice, reopening the level-triggered line at the guest's early EOI), and the
//   guest handles each once: one PHYSDEVOP_eoi per request on Xen, one interrupt IPC on L4, one
//   virtual interrupt raised and one physical EOI by the wedge. The requests per MiB agree with
//   the bare machine's within 5%.
// - The cycle breakdown sums exactly to the window's cycles (the clock's count, read apart from
//   the ledger), its non-idle part to the busy cycles, and a category is non-zero exactly where
//   the configuration has that layer (wedge code only under a wedge, hypervisor work only on one).
// - Window counters are window-exact: the back-end's counts over the window are below its
//   whole-run counts (boot and set-up excluded), and the wedge's pirq events in the window are
//   the NIC interrupts the PIC delivered in it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { runNetperf, type NetperfReport } from '../../harness/workloads/netperf.ts';
import { breakdownSum } from '../../emulator/cpu/cycle-ledger.ts';
import type { BackendName } from '../../emulator/hypervisors/hypervisor.ts';
import { afterburnAsDir, buildKernel, buildWedge } from '../wedge/build.ts';
import { buildArch } from '../kernel/pv-output.ts';
import { defaultGuest } from './build.ts';

const BYTES = 1 << 20;

interface Row { name: string; backend: BackendName; elf?: Uint8Array; wedge?: Uint8Array }
const rows: Row[] = [
  { name: 'hardware', backend: 'hardware' },
  { name: 'XenoLinux', backend: 'xen' },
  { name: 'afterburn Xen', backend: 'xen' },
  { name: 'L4Ka::Linux', backend: 'l4' },
  { name: 'afterburnt L4', backend: 'l4' },
  { name: 'afterburnt hardware', backend: 'hardware' },
];
const reports = new Map<string, NetperfReport>();

test.before(async () => {
  const asDir = await afterburnAsDir();
  const [native, xenPv, l4Pv, afterburnt, wx, wl] = await Promise.all([
    defaultGuest(), buildArch('xen-pv'), buildArch('l4-pv'), buildKernel(`gcc -B ${asDir}`), buildWedge('xen'), buildWedge('l4'),
  ]);
  rows[0]!.elf = readFileSync(native);
  rows[1]!.elf = readFileSync(xenPv);
  rows[2]!.elf = readFileSync(afterburnt); rows[2]!.wedge = readFileSync(wx.elf);
  rows[3]!.elf = readFileSync(l4Pv);
  rows[4]!.elf = readFileSync(afterburnt); rows[4]!.wedge = readFileSync(wl.elf);
  rows[5]!.elf = readFileSync(afterburnt);
});

function report(row: Row, direction: 'send' | 'receive'): NetperfReport {
  const key = `${row.name}/${direction}`;
  let r = reports.get(key);
  if (!r) {
    r = runNetperf({
      elf: row.elf!, kernelName: 'kernel.elf', direction, bytes: BYTES, messageBytes: 32 << 10, backend: row.backend,
      ...(row.wedge ? { wedge: row.wedge, wedgeName: 'wedge.elf' } : {}),
    }).report;
    assert.ok(r.verified, `${key}: ${r.stop}`);
    reports.set(key, r);
  }
  return r;
}

/** The NIC's interrupts in the window: its line is the one PCI line (10 or 11) that fired. */
function nicInterrupts(r: NetperfReport): number {
  const lines = Object.keys(r.interrupts).filter((l) => Number(l) >= 8);
  assert.is(lines.length, 1, `one NIC line: ${JSON.stringify(r.interrupts)}`);
  return r.interrupts[lines[0]!]!;
}

for (const direction of ['send', 'receive'] as const) {
  test(`one interrupt per device event (${direction}): the guest takes each NIC interrupt request once, on every back-end`, () => {
    for (const row of rows) {
      const r = report(row, direction);
      const requests = r.window!.devices.nic_interrupt_requests!;
      assert.ok(requests > 20, `${row.name}: ${requests} NIC interrupt requests`);
      assert.is(nicInterrupts(r), requests, `${row.name} ${direction}: NIC interrupts taken vs the NIC's requests (raises of its line)`);
    }
  });

  // How many requests a MiB takes depends a little on the guest's speed, through the NIC's
  // holdoff: after the driver reads ISR the line stays low for IHR x 100 us (the driver sets 1)
  // while events gather, so a request comes every 100 us plus the time from the line's raise to
  // the driver's ISR read. Measured at 4 MiB sending (the NIC's raise and ISR read instrumented):
  // that latency is 3.9 us on hardware, 4.95 on XenoLinux, 6.2 on both L4 rows and 7.4 on
  // afterburn Xen, so 103.9 to 107.4 us per request over the same 37 ms window: 356, 352, 348 and
  // 344 requests, for the same frames (the device's events) on every row. Hence within 5%, not 2%:
  // a MiB is about 90 requests, each one the holdoff merges 1.1%; taking each event twice was
  // 64% more. The exact check is the one above: every request is taken exactly once.
  test(`one interrupt per device event (${direction}): NIC interrupts per MiB within 5% of the bare machine's on every back-end`, () => {
    const base = nicInterrupts(report(rows[0]!, direction));
    assert.ok(base > 20, `hardware took ${base} NIC interrupts for a MiB`);
    for (const row of rows.slice(1)) {
      const n = nicInterrupts(report(row, direction));
      assert.ok(Math.abs(n - base) <= 0.05 * base, `${row.name} ${direction}: ${n} NIC interrupts per MiB, hardware ${base}`);
    }
  });

  test(`the window's cycle breakdown (${direction}) sums to the window's cycles, and each layer shows where it exists`, () => {
    for (const row of rows) {
      const r = report(row, direction);
      const c = r.window!.cycles;
      const what = `${row.name} ${direction}: ${JSON.stringify(c)}`;
      assert.is(c.total, r.cpu.window_cycles, what);
      assert.is(breakdownSum(c), r.cpu.window_cycles, what);
      assert.is(c.total - c.idle, r.cpu.busy_cycles, what);
      assert.ok(c.guest_kernel > 0 && c.guest_user > 0 && c.device > 0 && c.idle > 0, what);
      assert.is(c.wedge > 0, row.wedge !== undefined, `wedge code runs only under a wedge: ${what}`);
      const hyper = Object.values(c.hypervisor).reduce((a, b) => a + b, 0);
      assert.is(hyper > 0, row.backend !== 'hardware', `hypervisor work only on a hypervisor: ${what}`);
      if (row.backend === 'hardware') assert.ok(c.interrupt_entry > 0, what);
    }
  });

  test(`window counters (${direction}) exclude boot and agree with the interrupts delivered in the window`, () => {
    for (const row of rows.filter((x) => x.backend !== 'hardware')) {
      const r = report(row, direction);
      const w = r.window!.backend as Record<string, Record<string, unknown>>;
      const nic = nicInterrupts(r);
      if (row.backend === 'xen') {
        const calls = w.xen!.hypercalls as Record<string, number>;
        const whole = r.backend!.xen!.hypercalls;
        const sum = (rec: Record<string, number>): number => Object.values(rec).reduce((a, b) => a + b, 0);
        assert.ok(sum(calls) > 0 && sum(calls) < sum(whole), `${row.name}: window hypercalls ${sum(calls)} < whole run ${sum(whole)}`);
        assert.is((w.xen!.physical_irqs as Record<string, number>)[Object.keys(r.interrupts).find((l) => Number(l) >= 8)!], nic);
        assert.is(calls.physdev_op, nic, `${row.name}: the guest acknowledged each NIC interrupt once (PHYSDEVOP_eoi)`);
      } else {
        const msgs = w.l4!.messages as Record<string, number>;
        assert.is(msgs.interrupt, nic, `${row.name}: interrupt IPCs in the window are the NIC's interrupts`);
        assert.ok(msgs.interrupt! < r.backend!.l4!.messages.interrupt, 'fewer than over the whole run');
      }
      if (row.wedge) {
        const wedge = w.wedge as unknown as Record<string, number>;
        assert.is(wedge['physical interrupts'], nic, `${row.name}: the wedge raised each NIC interrupt once at its virtual PIC`);
        assert.is(wedge['physical eois'], nic, `${row.name}: and gave one physical EOI for each`);
      }
    }
  });
}

test.run();
