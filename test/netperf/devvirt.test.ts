// Device pre-virtualization on the Xen and L4 models: the afterburnt guest kernel, its DP83820
// driver unmodified, under the wedge built with DEV=virt, which emulates the NIC and sends its
// frames through the hypervisor's own network interface: Xen's split network device, L4's network
// server (guests/wedge/device/dp83820.c, emulator/hypervisors/net-back.ts). Oracles: the data pattern (the peer checks every byte of
// a send, the guest's netperf every byte of a receive), tshark reading the capture, the same
// binary's own console line on the real DP83820 (bare hardware: BAR, line and station address as
// the driver read them), counts that must agree across the wedge and the back half, and two runs
// giving the same JSON. The same afterburnt image then runs on bare hardware and under the
// direct-access wedge.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNetperf, type NetperfDirection, type NetperfRunResult } from '../../harness/workloads/netperf.ts';
import { afterburnAsDir, buildFeedbackGuest, buildKernel, buildWedge, repo } from '../wedge/build.ts';
import { assertTransferVerified } from './checks.ts';

const KiB = 1024;
const BYTES = 512 * KiB;
const MEM = 64 << 20;
const dir = mkdtempSync(join(tmpdir(), 'world-devvirt-'));
let afterburnt: Uint8Array, feedback: Uint8Array, devvirt: Uint8Array, nobatch: Uint8Array, direct: Uint8Array, l4virt: Uint8Array;

test.before(async () => {
  const asDir = await afterburnAsDir();
  const [a, v, n, d, f, l] = await Promise.all([buildKernel(`gcc -B ${asDir}`), buildWedge('xen', 'virt'), buildWedge('xen', 'virt-nobatch'), buildWedge('xen'),
    buildFeedbackGuest(asDir, join(repo, 'feedback/guest-kernel.txt')), buildWedge('l4', 'virt')]);
  l4virt = readFileSync(l.elf);
  afterburnt = readFileSync(a);
  feedback = readFileSync(f);
  devvirt = readFileSync(v.elf);
  nobatch = readFileSync(n.elf);
  direct = readFileSync(d.elf);
});

type Backend = 'xen' | 'l4';

function run(direction: NetperfDirection, bytes: number, o: { backend?: Backend; wedge?: Uint8Array; elf?: Uint8Array; hardware?: boolean; loss?: number; pcap?: string } = {}): NetperfRunResult {
  const backend = o.backend ?? 'xen';
  return runNetperf({
    elf: o.elf ?? afterburnt, kernelName: 'kernel.elf', direction, bytes, messageBytes: 32 * KiB, mem: MEM, check: true,
    ...(o.hardware ? {} : { backend, wedge: o.wedge ?? (backend === 'l4' ? l4virt : devvirt), wedgeName: `wedge-${backend}-devvirt.elf` }),
    ...(o.loss ? { loss: o.loss, seed: 7 } : {}),
    ...(o.pcap ? { pcapPath: o.pcap } : {}),
  });
}

interface Row { protocols: string; ipCk: string; tcpCk: string; len: number; src: string; malformed: boolean }

function tshark(pcap: string): Row[] {
  const out = execFileSync('tshark', ['-r', pcap, '--disable-protocol', 'thrift', '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE',
    '-T', 'fields', '-e', 'frame.protocols', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', 'tcp.len', '-e', 'ip.src', '-e', '_ws.malformed'],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 });
  return out.split('\n').filter((l) => l !== '').map((l) => {
    const f = l.split('\t').map((x) => x.trim());
    return { protocols: f[0]!, ipCk: f[1] ?? '', tcpCk: f[2] ?? '', len: Number(f[3] || 0), src: f[4] ?? '', malformed: !!f[5] };
  });
}

/** The driver's line about the NIC it found (slot, BAR1, line, station address). */
function nicLine(serial: string): string {
  const l = serial.split('\n').find((x) => x.includes('[kernel] dp83820:'));
  assert.ok(l, 'the driver found a DP83820');
  return l!.trim();
}

let hardwareNicLine = '';
test('the afterburnt image on bare hardware: the real DP83820, verified', () => {
  const r = run('send', 128 * KiB, { hardware: true });
  assertTransferVerified(r, 'send', 128 * KiB);
  hardwareNicLine = nicLine(r.serial);
});

for (const backend of ['xen', 'l4'] as const) for (const direction of ['send', 'receive'] as const) {
  test(`device pre-virtualization on ${backend}, guest ${direction}s: verified, tshark-clean, the wedge and the back half agree`, () => {
    const pcap = join(dir, `${backend}-${direction}.pcap`);
    const r = run(direction, BYTES, { pcap, backend });
    assertTransferVerified(r, direction, BYTES);
    const rep = r.report;
    assert.is(rep.exit_value, 0, rep.stop);
    assert.equal(rep.nic_errors, []);
    // The driver saw the device the hardware showed it (registers, station address from RFDR).
    assert.is(nicLine(r.serial), hardwareNicLine || nicLine(run('send', 64 * KiB, { hardware: true }).serial));
    const b = rep.backend!, w = b.wedge!, nb = (backend === 'xen' ? b.xen!.netif : b.l4!.netserver)!;
    assert.is(backend === 'xen' ? b.xen!.crash : b.l4!.crash, null);
    assert.equal(b.holes, [], 'every sensitive instruction the guest ran was rewritten');
    // No physical NIC interrupt reached the domain: the machine's NIC belongs to the driver domain.
    assert.equal(rep.interrupts, {}, 'no physical interrupt in the window');
    assert.is(w['physical irqs bound'], 0, 'the NIC line was not bound as a pirq');
    assert.ok(w['device interrupts raised']! > 0 && w['virtual interrupts delivered']! >= w['device interrupts raised']!);
    // Every register access came by a fault on the unmapped BAR page.
    assert.is(w['device register faults'], w['device register reads']! + w['device register writes']!);
    // Frames: what the wedge completed is what the back half moved, and the wire carried it.
    assert.is(w['device frames sent'], nb.tx_frames);
    assert.is(w['device frames received'], nb.rx_frames, 'every frame the back half delivered reached the driver');
    assert.is(w['device frames missed'], nb.rx_dropped);
    assert.is(r.net.wire.stats(0).frames, nb.tx_frames, 'every frame the back half took went on the wire');
    assert.is(w['netif notifications'], nb.kicks, 'each notification ran the back half once');
    if (backend === 'xen') assert.is(b.xen!.hypercalls.event_channel_op, 1 + nb.kicks, 'bind_virq (timer), then one send per notification');
    assert.ok(w['netif events']! > 0 && w['netif events']! <= nb.events_to_guest, 'the back half events were taken (several pending at once count once)');
    assert.ok(w['netif tx requests']! > w['netif notifications']!, 'the wedge batched several requests per notification');
    const rows = tshark(pcap);
    for (const row of rows) {
      assert.ok(!row.malformed, `malformed frame: ${row.protocols}`);
      if (row.protocols === 'eth:ethertype:arp') continue;
      assert.is(row.protocols.replace(/:data$/, ''), 'eth:ethertype:ip:tcp');
      assert.is(row.ipCk, '1');
      assert.is(row.tcpCk, '1');
    }
    const sender = direction === 'send' ? '10.0.0.2' : '10.0.0.1';
    assert.is(rows.filter((x) => x.src === sender).reduce((s, x) => s + x.len, 0), BYTES);
  });

  test(`device pre-virtualization on ${backend}, 1% loss, guest ${direction}s: completes verified, with retransmissions`, () => {
    const r = run(direction, BYTES, { loss: 0.01, backend });
    assertTransferVerified(r, direction, BYTES);
    assert.is(r.report.exit_value, 0, r.report.stop);
    assert.ok(r.report.frames.lost_from_guest + r.report.frames.lost_to_guest > 0, 'frames were lost');
    assert.ok((r.report.retransmissions.guest ?? 0) + r.report.retransmissions.peer > 0, 'and retransmitted');
  });
}

for (const backend of ['xen', 'l4'] as const) {
  test(`device pre-virtualization on ${backend}: two runs give the same JSON`, () => {
    const a = run('receive', 128 * KiB, { backend }).report, b = run('receive', 128 * KiB, { backend }).report;
    assert.ok(a.verified, a.stop);
    assert.is(JSON.stringify(a), JSON.stringify(b));
  });
}

test('without batching every frame is its own notification, and costs more', () => {
  const batched = run('send', BYTES).report, single = run('send', BYTES, { wedge: nobatch }).report;
  assert.ok(single.verified, single.stop);
  const w = single.backend!.wedge!, wb = batched.backend!.wedge!;
  assert.ok(w['netif notifications']! >= w['device frames sent']!, 'a notification per frame (and any for receive buffers)');
  assert.ok(wb['netif notifications']! < wb['device frames sent']!, 'batched: fewer notifications than frames');
  assert.ok(single.cpu.busy_cycles > batched.cpu.busy_cycles, `${single.cpu.busy_cycles} <= ${batched.cpu.busy_cycles}`);
});

test('profile feedback: device moves with room become calls, the rest still fault, fewer faults in all', () => {
  const plain = run('send', BYTES).report, fb = run('send', BYTES, { elf: feedback });
  assertTransferVerified(fb, 'send', BYTES);
  const w = fb.report.backend!.wedge!, wp = plain.backend!.wedge!;
  assert.ok(w['device sites rewritten']! > 0 && w['device sites left to faults']! > 0, JSON.stringify(w));
  assert.ok(w['device site calls']! > 0);
  // Every register access is either a site call or a fault; the plain image has no sites.
  assert.is(w['device site calls']! + w['device register faults']!, w['device register reads']! + w['device register writes']!);
  assert.is(wp['device sites rewritten'], 0);
  assert.ok(w['device register faults']! < wp['device register faults']!);
  assert.ok(fb.report.cpu.busy_cycles < plain.cpu.busy_cycles, 'a call costs less than a fault');
});

test('the same afterburnt image under the direct-access wedge on the Xen model: verified, the NIC its own', () => {
  const r = run('receive', 128 * KiB, { wedge: direct });
  assertTransferVerified(r, 'receive', 128 * KiB);
  const b = r.report.backend!;
  assert.is(b.xen!.netif, undefined, 'no split device');
  assert.is(b.wedge!['physical irqs bound'], 1);
});

test.run();
