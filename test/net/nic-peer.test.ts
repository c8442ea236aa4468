// The DP83820 under load: the netperf peer on one end of the wire, the NIC on the other with
// a Linux-shaped TypeScript driver and a TCP stack above it standing in for the guest. Both
// directions, every byte checked, frames decoded by tshark; a slow driver with a short ring
// drives the NIC into RXIDLE and FIFO overruns, and TCP still delivers everything.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIB_RX_MISSED } from '../../emulator/devices/dp83820.ts';
import { buildNetwork } from '../../emulator/net/network.ts';
import { parseMac } from '../../emulator/net/peer/ethernet.ts';
import { Host } from '../../emulator/net/peer/host.ts';
import { parseIp } from '../../emulator/net/peer/ipv4.ts';
import { NetperfPeer } from '../../emulator/net/peer/netperf.ts';
import type { NetperfRole } from '../../emulator/net/peer/netperf.ts';
import { TimeBase } from '../../emulator/net/seams.ts';
import { SimClock } from '../../emulator/net/sim-clock.ts';
import { RingDriver } from './helpers/ring-driver.ts';

const MiB = 1 << 20;
const dir = mkdtempSync(join(tmpdir(), 'world-nic-'));

function run(guestRole: NetperfRole, o: { rxDescs?: number; isrLatencyNs?: number; ihr?: number; pcap?: string; bytes?: number } = {}) {
  const clock = new SimClock();
  const ram = new Uint8Array(4 * MiB);
  const time = new TimeBase(clock, 2800);
  const driver = new RingDriver(ram, time, { rxDescs: o.rxDescs ?? 64, txDescs: 128, isrLatencyNs: o.isrLatencyNs ?? 5000, ihr: o.ihr });
  const bytes = o.bytes ?? 4 * MiB;
  // The peer listens; the guest-side stack connects to it, so the guest ARPs first.
  const net = buildNetwork({
    clock, mhz: 2800, ram, irq: driver.irq, pcapPath: o.pcap,
    netperf: { direction: guestRole === 'receive' ? 'to-guest' : 'from-guest', transferBytes: bytes, open: 'passive', peerPort: 12866 },
  });
  driver.start(net.nic);
  const guest = new Host({ time, port: driver, mac: parseMac('02:00:00:00:00:20'), ip: parseIp('10.0.0.2'), processingNs: 0 });
  const g = new NetperfPeer(guest, time, { role: guestRole, transferBytes: bytes, open: 'active', remoteIp: parseIp('10.0.0.1'), remotePort: 12866, localPort: 40000 });
  g.start();
  clock.run(time.cyclesAt(120e9), () => g.done && net.netperf.done);
  const p = net.finish();
  return { g: g.result(), p, nic: net.nic, driver };
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
  assert.is(r.nic.stats.txFrames, r.g.tcp.segsOut + 1, 'every guest segment and one ARP request left through the TX ring');
});

test('holdoff (IHR) batches interrupts without losing data', () => {
  const fast = run('receive', { bytes: 2 * MiB });
  const held = run('receive', { bytes: 2 * MiB, ihr: 1 });
  assert.ok(held.g.verified);
  assert.ok(held.nic.stats.interrupts < fast.nic.stats.interrupts / 2, `${held.nic.stats.interrupts} vs ${fast.nic.stats.interrupts} interrupts`);
});

test('determinism through the NIC: the same run twice gives byte-identical captures', () => {
  const a = join(dir, 'a.pcap'), b = join(dir, 'b.pcap');
  run('send', { bytes: MiB, pcap: a, ihr: 1 });
  run('send', { bytes: MiB, pcap: b, ihr: 1 });
  assert.ok(readFileSync(a).equals(readFileSync(b)));
});

test('buildNetwork names a bad option and leaves no capture file behind', () => {
  const file = join(dir, 'never.pcap');
  const irq = { raise() {}, lower() {} };
  const base = { clock: new SimClock(), mhz: 2800, ram: new Uint8Array(4096), irq, pcapPath: file };
  assert.throws(() => buildNetwork({ ...base, nicMac: '02:00:00:00:00', netperf: { direction: 'to-guest', transferBytes: 1 } }), /network option nicMac: bad MAC address '02:00:00:00:00'/);
  assert.throws(() => buildNetwork({ ...base, netperf: { direction: 'to-guest', transferBytes: 0 } }), /network option netperf: .*transferBytes must be a positive integer/);
  assert.throws(() => buildNetwork({ ...base, guestIp: '10.0.0.256', netperf: { direction: 'to-guest', transferBytes: 1 } }), /network option guestIp/);
  assert.equal(readdirSync(dir).filter((n) => n.startsWith('never')), []);
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
