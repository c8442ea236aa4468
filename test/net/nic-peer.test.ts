// The DP83820 under load: the netperf peer on one end of the wire, the NIC on the other with
// a Linux-shaped TypeScript driver and a TCP stack above it standing in for the guest. Both
// directions, every byte checked, frames decoded by tshark; a slow driver with a short ring
// drives the NIC into RXIDLE and FIFO overruns, and TCP still delivers everything.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dp83820, MIB_RX_MISSED } from '../../emulator/devices/dp83820.ts';
import { RamDma } from '../../emulator/net/dma.ts';
import { PcapWriter } from '../../emulator/net/pcap.ts';
import { Host } from '../../emulator/net/peer/host.ts';
import { parseIp } from '../../emulator/net/peer/ipv4.ts';
import { NetperfPeer } from '../../emulator/net/peer/netperf.ts';
import type { NetperfRole } from '../../emulator/net/peer/netperf.ts';
import { TimeBase } from '../../emulator/net/seams.ts';
import { SimClock } from '../../emulator/net/sim-clock.ts';
import { Wire } from '../../emulator/net/wire.ts';
import { RingDriver } from './helpers/ring-driver.ts';

const MiB = 1 << 20;
const dir = mkdtempSync(join(tmpdir(), 'world-nic-'));

function run(guestRole: NetperfRole, o: { rxDescs?: number; isrLatencyNs?: number; ihr?: number; pcap?: string; bytes?: number } = {}) {
  const clock = new SimClock();
  const time = new TimeBase(clock, 2800);
  const pcap = o.pcap ? new PcapWriter(o.pcap) : undefined;
  const wire = new Wire(time, { latencyNs: 1000, tap: pcap?.tap });
  const ram = new Uint8Array(4 * MiB);
  const driver = new RingDriver(ram, time, { rxDescs: o.rxDescs ?? 64, txDescs: 128, isrLatencyNs: o.isrLatencyNs ?? 5000, ihr: o.ihr });
  const nic = new Dp83820({ mac: Uint8Array.of(2, 0, 0, 0, 0, 0x20), time, dma: new RamDma(ram), irq: driver.irq, port: wire.port(0) });
  driver.start(nic);
  const guest = new Host({ time, port: driver, mac: Uint8Array.of(2, 0, 0, 0, 0, 0x20), ip: parseIp('10.0.0.2'), processingNs: 0 });
  const peer = new Host({ time, port: wire.port(1), mac: Uint8Array.of(2, 0, 0, 0, 0, 0x10), ip: parseIp('10.0.0.1') });
  const bytes = o.bytes ?? 4 * MiB;
  const g = new NetperfPeer(guest, time, { role: guestRole, transferBytes: bytes, open: 'passive', remoteIp: 0, remotePort: 0, localPort: 12866 });
  const p = new NetperfPeer(peer, time, { role: guestRole === 'send' ? 'receive' : 'send', transferBytes: bytes, open: 'active', remoteIp: guest.ip, remotePort: 12866, localPort: 40000 });
  g.start();
  p.start();
  clock.run(time.cyclesAt(120e9), () => g.done && p.done);
  pcap?.close();
  return { g: g.result(), p: p.result(), nic, driver };
}

test('guest receives 4 MiB through the NIC: verified, near line rate, tshark-clean', () => {
  const file = join(dir, 'rx.pcap');
  const r = run('receive', { pcap: file });
  assert.ok(r.g.verified, `guest verified ${r.g.bytes} bytes, first bad ${r.g.firstBadOffset}`);
  assert.ok(r.p.verified);
  assert.is(r.nic.errors.length, 0);
  assert.ok(r.p.mibPerSec > 100, `throughput ${r.p.mibPerSec}`);
  const out = execFileSync('tshark', ['-r', file, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-e', 'frame.protocols', '-e', 'tcp.checksum.status', '-e', 'tcp.analysis.retransmission'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 });
  const rows = out.trim().split('\n').map((l) => l.split('\t'));
  assert.ok(rows.every(([p, c]) => p === 'eth:ethertype:arp' || c === '1'), 'all TCP checksums good');
  assert.is(rows.filter((x) => x[2] === '1').length, 0, 'no retransmission');
});

test('guest sends 4 MiB through the NIC (TX ring, TXIDLE re-kick): verified', () => {
  const r = run('send');
  assert.ok(r.p.verified, `peer verified ${r.p.bytes} bytes, first bad ${r.p.firstBadOffset}`);
  assert.ok(r.g.verified);
  assert.is(r.nic.stats.txFrames, r.g.tcp.segsOut + 1, 'every guest segment and one ARP reply left through the TX ring');
});

test('holdoff (IHR) batches interrupts without losing data', () => {
  const fast = run('receive', { bytes: 2 * MiB });
  const held = run('receive', { bytes: 2 * MiB, ihr: 1 });
  assert.ok(held.g.verified);
  assert.ok(held.nic.stats.interrupts < fast.nic.stats.interrupts / 2, `${held.nic.stats.interrupts} vs ${fast.nic.stats.interrupts} interrupts`);
});

test('a slow driver with 8 RX descriptors: RXIDLE re-arms and FIFO overruns, TCP still delivers', () => {
  const r = run('receive', { rxDescs: 8, isrLatencyNs: 400000, bytes: 2 * MiB });
  assert.ok(r.driver.rxIdleSeen > 0, 'RXIDLE happened and was re-armed');
  assert.ok(r.nic.read32(MIB_RX_MISSED) > 0, 'the RX FIFO overflowed');
  assert.ok(r.g.verified, `guest verified ${r.g.bytes}`);
  assert.ok(r.p.tcp.retransmits > 0);
  rmSync(dir, { recursive: true, force: true });
});

test.run();
