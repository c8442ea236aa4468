// netperf between unmodified Linux 6.1 under trap-and-emulate on the Xen model (its kernel in
// ring 1) and the emulator's peer. (Under the L4 model's monitor Linux stops at its first timer
// tick: test/linux/trap-emulate.test.ts.) Oracles independent of the guest: the peer
// checks every byte Linux sends against the data pattern at its offset and sends only the pattern,
// which /init checks byte by byte through loss (`check`); two runs of the same inputs give the
// same report.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { linuxGuestWithSymbols } from './world-build.ts';
import { runNetperf, type NetperfDirection, type NetperfRunResult } from '../../harness/workloads/netperf.ts';
import { parseSystemMap } from '../../emulator/hypervisors/system-map.ts';
import { sortKeys } from '../../emulator/json.ts';
import { lossTests } from './loss.ts';

const MiB = 2 ** 20;
const guest = await linuxGuestWithSymbols();
const bz = readFileSync(guest.bzImage);
const symbols = parseSystemMap(readFileSync(guest.systemMap, 'latin1'));

function run(backend: 'xen', direction: NetperfDirection, bytes: number, extra: { loss?: number; seed?: number; check?: boolean } = {}): NetperfRunResult {
  const r = runNetperf({ elf: bz, kernelName: 'bzImage', initrd: guest.initrd, symbols, backend, direction, bytes, messageBytes: 32768, mem: 64 * MiB, ...extra });
  assert.is(r.report.exit_value, 0, `${backend} ${direction}: ${r.report.stop}\n${r.serial.slice(-4000)}`);
  assert.is(r.report.backend?.mode, 'trap-and-emulate');
  return r;
}

const figures: string[] = [];
for (const backend of ['xen'] as const) {
  for (const direction of ['send', 'receive'] as const) {
    test(`${backend}: Linux ${direction}s 1 MiB under trap-and-emulate, every byte verified, the report deterministic`, () => {
      const a = run(backend, direction, MiB);
      assert.ok(a.peer.verified, JSON.stringify(a.peer));
      assert.ok(a.report.verified);
      assert.is(a.report.bytes, MiB);
      assert.is(a.report.nic_errors.length, 0, a.report.nic_errors.join('\n'));
      const b = run(backend, direction, MiB);
      assert.is(JSON.stringify(sortKeys(b.report)), JSON.stringify(sortKeys(a.report)));
      figures.push(`# ${backend} ${direction}: ${a.report.throughput.value.toFixed(2)} MiB/s, cpu ${(a.report.cpu.utilization * 100).toFixed(2)}%`);
    });
  }
  lossTests(`under trap-and-emulate on ${backend}`, (direction, extra) => run(backend, direction, MiB, extra));
}

test('figures', () => {
  process.stdout.write(figures.join('\n') + '\n');
});

test.run();
