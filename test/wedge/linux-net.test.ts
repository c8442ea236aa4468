// netperf between the afterburnt Linux 6.1 under the wedge on the Xen model (its vmlinux, the
// initramfs handed over in the wedge's module; the NIC assigned to the domain) and the emulator's
// peer, both directions. Oracles independent of the guest: the peer checks every byte Linux sends
// against the data pattern at its offset and sends only the pattern, which /init checks byte by
// byte through loss (`check`); two runs of the same inputs give the same report.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { worldLinux } from '../linux/world-build.ts';
import { buildWedge } from './build.ts';
import { runNetperf, type NetperfDirection, type NetperfRunResult } from '../../harness/workloads/netperf.ts';
import { sortKeys } from '../../emulator/json.ts';
import { lossTests } from '../linux/loss.ts';

const MiB = 2 ** 20;
const linux = await worldLinux('afterburnt');
const vmlinux = readFileSync(linux.vmlinux!);
const initrd = readFileSync(linux.initrd!);
const wedge = readFileSync((await buildWedge('xen')).elf);

function run(direction: NetperfDirection, bytes: number, extra: { loss?: number; seed?: number; check?: boolean } = {}): NetperfRunResult {
  const r = runNetperf({
    elf: vmlinux, kernelName: 'vmlinux', initrd, backend: 'xen', wedge, wedgeName: 'wedge-xen.elf', direction, bytes, messageBytes: 32768, mem: 64 * MiB, ...extra,
  });
  assert.is(r.report.exit_value, 0, `${direction}: ${r.report.stop}\n${r.serial.slice(-4000)}`);
  assert.is(r.report.backend?.mode, 'pv-wedge');
  for (const bad of ['Oops', 'WARNING:', 'BUG:', 'Call Trace', 'Kernel panic', 'traps:']) {
    assert.not.ok(r.serial.includes(bad), `'${bad}' on the console:\n${r.serial.slice(-4000)}`);
  }
  // The page-table path (README.md, "Booting Linux"): Linux's own directories pinned, writes to
  // them through the page-table sites of its profile feedback (the profile is a netperf run's,
  // so no write faults; test/wedge/linux-boot.test.ts has the ones a run beyond it leaves to
  // write protection); shadow tables only for the paging-off start's faults.
  const w = r.report.backend?.wedge as Record<string, number>;
  assert.ok(w['page directories pinned']! > 0 && w['page-table writes']! > 0, JSON.stringify(w));
  assert.is(w['shadow fills'], w['shadow page faults']);
  return r;
}

const figures: string[] = [];
for (const direction of ['send', 'receive'] as const) {
  test(`Linux ${direction}s 1 MiB under the wedge on Xen, every byte verified, the report deterministic`, () => {
    const a = run(direction, MiB);
    assert.ok(a.peer.verified, JSON.stringify(a.peer));
    assert.ok(a.report.verified);
    assert.is(a.report.bytes, MiB);
    assert.is(a.report.guest?.words, `${direction} ok`);
    assert.is(a.report.nic_errors.length, 0, a.report.nic_errors.join('\n'));
    const b = run(direction, MiB);
    assert.is(JSON.stringify(sortKeys(b.report)), JSON.stringify(sortKeys(a.report)));
    figures.push(`# wedge@xen ${direction}: ${a.report.throughput.value.toFixed(2)} MiB/s, cpu ${(a.report.cpu.utilization * 100).toFixed(2)}%`);
  });
}

lossTests('under the wedge on Xen', (direction, extra) => run(direction, MiB, extra));

test('figures', () => {
  process.stdout.write(figures.join('\n') + '\n');
});

test.run();
