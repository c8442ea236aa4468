// netperf TCP_STREAM between Linux 6.1 (its own TCP/IP and its ns83820 driver, /init as netperf's
// client) and the emulator's peer, over the DP83820 model. Oracles independent of the guest: the
// peer checks every byte Linux sends at its offset and sends only the data pattern, which /init
// checks byte by byte when asked (`check`, as in the runs through loss); tshark reads the capture;
// two runs of the same inputs give the same report.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linuxGuest } from './world-build.ts';
import { runNetperf, type NetperfDirection, type NetperfRunResult } from '../../harness/workloads/netperf.ts';
import { sortKeys } from '../../emulator/json.ts';
import { lossTests } from './loss.ts';

const MiB = 2 ** 20;
const { bzImage: bzPath, initrd } = await linuxGuest();
const bz = readFileSync(bzPath);
const dir = mkdtempSync(join(tmpdir(), 'world-linux-net-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function run(direction: NetperfDirection, bytes: number, extra: { loss?: number; seed?: number; pcapPath?: string; check?: boolean } = {}): NetperfRunResult & { host: number } {
  const t0 = process.hrtime.bigint();
  const r = runNetperf({ elf: bz, kernelName: 'bzImage', initrd, direction, bytes, messageBytes: 32768, mem: 64 * MiB, ...extra });
  const host = Number(process.hrtime.bigint() - t0) / 1e9;
  assert.is(r.report.exit_value, 0, `${r.report.stop}\n${r.serial.slice(-4000)}`);
  for (const bad of ['unchecked MSR access', 'Oops', 'Tainted', 'WARNING:', 'BUG:', 'Call Trace']) {
    assert.not.ok(r.serial.includes(bad), `'${bad}' on the console:\n${r.serial.slice(-4000)}`);
  }
  return { ...r, host };
}

const figures: string[] = [];
for (const direction of ['send', 'receive'] as const) {
  test(`Linux ${direction}s 1 MiB over ns83820: the peer verifies every byte, the report is deterministic, tshark reads the pcap`, () => {
    const pcap = join(dir, `${direction}.pcap`);
    const a = run(direction, MiB, { pcapPath: pcap });
    assert.ok(a.peer.verified, JSON.stringify(a.peer));
    assert.ok(a.report.verified);
    assert.is(a.report.bytes, MiB);
    assert.is(a.report.guest?.words, `${direction} ok`);
    assert.is(a.report.nic_errors.length, 0, a.report.nic_errors.join('\n'));
    // tshark: a valid capture with every frame the wire carried, TCP to and from the peer's port.
    const frames = execFileSync('tshark', ['-r', pcap, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' }).trim().split('\n').length;
    const tcp = Number(execFileSync('tshark', ['-r', pcap, '-Y', 'tcp.port == 12866', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' }).trim().split('\n').length);
    assert.ok(tcp > MiB / 1460, `${tcp} TCP frames`);
    assert.ok(frames >= tcp);
    // The same inputs again: the same report, byte for byte.
    const b = run(direction, MiB);
    assert.is(JSON.stringify(sortKeys(b.report)), JSON.stringify(sortKeys(a.report)));
    const r = a.report;
    figures.push(`# linux ${direction}: ${r.throughput.value.toFixed(2)} MiB/s, cpu ${(r.cpu.utilization * 100).toFixed(2)}%, window ${(r.window_ns / 1e6).toFixed(1)} ms guest, ${a.host.toFixed(1)} host s for the run`);
  });
}

lossTests('on hardware', (direction, extra) => run(direction, MiB, extra));

test('figures', () => {
  process.stdout.write(figures.join('\n') + '\n');
});

test.run();
