// netperf end to end on the native guest kernel: the guest's netperf (guests/kernel, driver,
// IPv4, TCP, sockets) against the TypeScript peer over the emulated DP83820 and wire. Oracles:
// the data pattern (the peer checks every byte it receives; with check the guest checks every
// byte it receives and exits non-zero otherwise), tshark reading the capture, and the wire's TCP goodput
// computed here from its definition. Transfers are small (a few MiB) so each test takes seconds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { runNetperf, type NetperfDirection } from '../../harness/workloads/netperf.ts';
import { defaultGuest } from './build.ts';
import { loadProfile } from '../../emulator/profiles/load.ts';
import { loadClientCpu, clientFrameNs } from '../../emulator/net/peer/client-cpu.ts';

const MiB = 2 ** 20;
const BYTES = 4 * MiB;
/** Guest RAM: the figures do not depend on it, and a smaller machine starts faster. */
const MEM = 64 * MiB;
const dir = mkdtempSync(join(tmpdir(), 'world-netperf-'));
const guestPath = await defaultGuest();
const elf = readFileSync(guestPath);
const world = new URL('../../bin/world.js', import.meta.url).pathname;

/** TCP goodput of a 1 Gb/s wire, 2^20 B/s: 1460-byte payloads, each frame 8 (preamble, SFD) +
 *  14 (Ethernet) + 20 (IPv4) + 20 (TCP) + 1460 + 4 (FCS) + 12 (gap) bytes of wire time; ACKs use
 *  the other direction of the full-duplex link and take nothing from this one. */
const WIRE_GOODPUT = (1e9 / 8) * 1460 / (8 + 14 + 20 + 20 + 1460 + 4 + 12) / MiB;

interface Row { protocols: string; ipCk: string; tcpCk: string; len: number; src: string; retrans: boolean; malformed: boolean }

function tshark(pcap: string): Row[] {
  // The payload is netperf's opaque pattern: no heuristic dissector (thrift matches some words) may claim it.
  const out = execFileSync('tshark', ['-r', pcap, '--disable-protocol', 'thrift', '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE',
    '-T', 'fields', '-e', 'frame.protocols', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status',
    '-e', 'tcp.len', '-e', 'ip.src', '-e', 'tcp.analysis.retransmission', '-e', 'tcp.analysis.fast_retransmission', '-e', '_ws.malformed'],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 });
  return out.split('\n').filter((l) => l !== '').map((l) => {
    const f = l.split('\t').map((x) => x.trim());
    return { protocols: f[0]!, ipCk: f[1] ?? '', tcpCk: f[2] ?? '', len: Number(f[3] || 0), src: f[4] ?? '', retrans: !!f[5] || !!f[6], malformed: !!f[7] };
  });
}

function lossless(direction: NetperfDirection) {
  const pcap = join(dir, `${direction}.pcap`);
  const r = runNetperf({ elf, kernelName: guestPath, direction, bytes: BYTES, messageBytes: 32768, mem: MEM, pcapPath: pcap, check: true });
  const rep = r.report;
  assert.is(rep.exit_value, 0, `${rep.stop}\n${r.serial.slice(-2000)}`);
  assert.ok(rep.verified, 'the receiver checked every byte');
  assert.is(rep.bytes, BYTES);
  assert.equal(rep.nic_errors, []);
  // tshark: only ARP and Ethernet/IPv4/TCP, good checksums, no retransmissions, and the data
  // direction carries exactly the transfer.
  const rows = tshark(pcap);
  for (const row of rows) {
    assert.ok(!row.malformed, `malformed frame: ${row.protocols}`);
    if (row.protocols === 'eth:ethertype:arp') continue;
    assert.is(row.protocols.replace(/:data$/, ''), 'eth:ethertype:ip:tcp');
    assert.is(row.ipCk, '1', 'IPv4 header checksum good');
    assert.is(row.tcpCk, '1', 'TCP checksum good');
    assert.ok(!row.retrans, 'no retransmission on a lossless wire');
  }
  const sender = direction === 'send' ? '10.0.0.2' : '10.0.0.1';
  assert.is(rows.filter((x) => x.src === sender).reduce((s, x) => s + x.len, 0), BYTES);
  assert.is(rep.retransmissions.peer, 0);
  assert.is(rep.retransmissions.guest, 0);
  // Throughput within 5% of what the wire and the peer's CPU allow (the peer is the slides' client:
  // when it sends, building each data frame and taking in an ACK per two frames paces it; when it
  // receives, taking in each data frame and sending an ACK per two), never above the wire.
  const client = loadClientCpu();
  const perFrameNs = direction === 'receive'
    ? clientFrameNs(client, 'tx', 1460) + clientFrameNs(client, 'rx', 0) / 2
    : clientFrameNs(client, 'rx', 1460) + clientFrameNs(client, 'tx', 0) / 2;
  const allowed = Math.min(WIRE_GOODPUT, (1460 / perFrameNs) * 1e9 / MiB);
  assert.ok(rep.throughput.value >= 0.95 * allowed && rep.throughput.value <= WIRE_GOODPUT * 1.0001,
    `${rep.throughput.value} MiB/s vs ${allowed.toFixed(3)} allowed (${WIRE_GOODPUT.toFixed(3)} on the wire)`);
  assert.ok(rep.cpu.utilization > 0 && rep.cpu.utilization < 1, `cpu ${rep.cpu.utilization}`);
  assert.is(rep.cpu.window_cycles, Math.round(rep.cpu.window_cycles));
  const nicIrq = String(r.net.slot.irq);
  assert.ok((rep.interrupts[nicIrq] ?? 0) > 0, `NIC interrupts on IRQ ${nicIrq}: ${JSON.stringify(rep.interrupts)}`);
  const data = direction === 'send' ? rep.frames.from_guest : rep.frames.to_guest;
  assert.ok(data >= Math.ceil(BYTES / 1460), `${data} data frames`);
  return { rep, r };
}

test('guest sends: every byte verified by the peer, tshark-clean, within 5% of what the wire and peer allow', () => {
  const { r } = lossless('send');
  // Lazy TLB: the idle loop runs on the page directory netperf left loaded, so the many trips
  // through idle (one hlt each) load CR3 neither on the way in nor on the way out.
  const s = r.machine.cpu.stats.sensitive;
  assert.ok(s.hlt[0]! > 100, `${s.hlt[0]} hlt`);
  assert.ok(s.mov_to_cr3[0]! < s.hlt[0]! / 10, `${s.mov_to_cr3[0]} CR3 loads for ${s.hlt[0]} trips through idle`);
});

test('guest receives: every byte verified by the guest, tshark-clean, within 5% of what the wire and peer allow', () => {
  lossless('receive');
});

for (const direction of ['send', 'receive'] as const) {
  test(`1% loss, guest ${direction}s: the transfer completes, verified, with retransmissions`, () => {
    const r = runNetperf({ elf, kernelName: guestPath, direction, bytes: MiB, messageBytes: 32768, mem: MEM, loss: 0.01, seed: 7, check: true });
    const rep = r.report;
    assert.is(rep.exit_value, 0, `${rep.stop}\n${r.serial.slice(-2000)}`);
    assert.ok(rep.verified);
    assert.is(rep.bytes, MiB);
    assert.ok(rep.frames.lost_from_guest + rep.frames.lost_to_guest > 0, 'frames were lost');
    assert.ok((rep.retransmissions.guest ?? 0) + rep.retransmissions.peer > 0, 'and retransmitted');
  });
}

test('without check the guest reads into its buffer without looking at it, as netperf does', () => {
  // Checking costs at least a load, a compare and a branch per received word (profile figures):
  // the run without it must be cheaper by at least that much, with the peer still verifying.
  const run = (check: boolean) => runNetperf({ elf, kernelName: guestPath, direction: 'receive', bytes: MiB, messageBytes: 32768, mem: MEM, check }).report;
  const plain = run(false), checked = run(true);
  assert.ok(plain.verified && checked.verified);
  assert.is(plain.exit_value, 0);
  const c = loadProfile('p4-2.8ghz').costs;
  const perWord = c.load + c.alu + c.branch_not_taken;
  assert.ok(checked.cpu.busy_cycles - plain.cpu.busy_cycles >= (MiB / 4) * perWord,
    `${checked.cpu.busy_cycles} - ${plain.cpu.busy_cycles} < ${(MiB / 4) * perWord}`);
});

test('two runs of world netperf --json print the same report (host time kept apart)', async () => {
  const args = [world, 'netperf', '--guest', guestPath, '--direction', 'receive', '--bytes', '512KiB', '--mem', '64M', '--json'];
  const [a, b] = await Promise.all([execa('node', args), execa('node', args)]);
  const strip = (s: string): string => {
    const j = JSON.parse(s) as Record<string, unknown>;
    assert.ok(typeof (j.host as { seconds: number }).seconds === 'number');
    delete j.host;
    return JSON.stringify(j);
  };
  assert.is(strip(a.stdout), strip(b.stdout));
  const j = JSON.parse(a.stdout) as Record<string, unknown>;
  assert.equal(Object.keys(j), Object.keys(j).sort(), 'keys sorted');
  assert.is((j.throughput as { unit: string }).unit, '2^20 bytes/s (netperf -f M)');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
