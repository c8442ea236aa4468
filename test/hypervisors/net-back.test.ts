// The split network device's back half (emulator/hypervisors/net-back.ts) on its own, with the
// rings laid out by hand as guests/wedge/device/netif.h says: transmit requests become frames on
// the wire (fragments joined, short frames padded to 60 bytes) and are answered before kick
// returns; arriving frames for the guest land in its receive buffers with their FCS (computed
// here independently: CRC-32 of IEEE 802.3), in batches at most one per holdoff; frames for
// another station are not taken; the backlog's limit drops and counts; the event indices decide
// when the guest is told; a request outside guest memory stops the domain. Costs are charged
// as given.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NetBack, BACKLOG_FRAMES, HOLDOFF_NS, type NetbackCosts } from '../../emulator/hypervisors/net-back.ts';
import { SimClock } from '../../emulator/net/sim-clock.ts';
import { TimeBase, type LinkPort } from '../../emulator/net/seams.ts';

const MHZ = 2800;
const TX = 0x1000, RX = 0x2000, HDR = 64, SLOT = 16, RING = 128;
const MAC = Uint8Array.from([0x02, 0, 0, 0, 0, 0x20]);
const COSTS: NetbackCosts = { kick: 6000, activation: 9000, perFrame: 2000, busCyclesPerKib: 1024, ops: { kick: 'k', activation: 'a', tx: 't', rx: 'r' } };

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function setup() {
  const ram = new Uint8Array(1 << 20);
  const dv = new DataView(ram.buffer);
  const clock = new SimClock();
  const time = new TimeBase(clock, MHZ);
  const sent: Uint8Array[] = [];
  const port: LinkPort = { send: (f) => sent.push(f), freeAtNs: () => time.nowNs(), onReceive: () => {} };
  const charged: Record<string, number> = {};
  let events = 0;
  const crashes: string[] = [];
  const nb = new NetBack({
    ram, domainEnd: 1 << 20, time,
    charge: (n, op) => { charged[op] = (charged[op] ?? 0) + n; },
    notifyGuest: () => { events++; },
    dmaWritten: () => {},
    crash: (m) => crashes.push(m),
  }, COSTS, port, MAC, TX, RX);
  const slot = (ring: number, i: number) => ring + HDR + (i % RING) * SLOT;
  const request = (ring: number, i: number, addr: number, size: number, id: number, flags = 0) => {
    const s = slot(ring, i);
    dv.setUint32(s, addr, true); dv.setUint16(s + 4, size, true); dv.setUint16(s + 6, id, true); dv.setUint32(s + 8, flags, true); dv.setUint32(s + 12, 0, true);
  };
  return { ram, dv, clock, time, sent, port, charged, nb, crashes, request, slot, events: () => events };
}

test('transmit: fragments joined, short frames padded, every request answered before kick returns, costs charged', () => {
  const s = setup();
  for (let i = 0; i < 100; i++) s.ram[0x10000 + i] = i;
  s.request(TX, 0, 0x10000, 20, 7, 1);            // the frame goes on in the next request
  s.request(TX, 1, 0x10014, 80, 7);
  s.request(TX, 2, 0x10000, 30, 8);               // short: padded
  s.dv.setUint32(TX, 3, true);                     // req_prod
  s.nb.kick();
  assert.is(s.sent.length, 2);
  assert.equal(Array.from(s.sent[0]!), Array.from({ length: 100 }, (_, i) => i));
  assert.is(s.sent[1]!.length, 60);
  assert.equal(Array.from(s.sent[1]!.subarray(0, 30)), Array.from({ length: 30 }, (_, i) => i));
  assert.ok(s.sent[1]!.subarray(30).every((b) => b === 0));
  assert.is(s.dv.getUint32(TX + 8, true), 3, 'rsp_prod: three responses');
  assert.equal([0, 1, 2].map((i) => s.dv.getUint16(s.slot(TX, i) + 6, true)), [7, 7, 8]);
  assert.equal([0, 1, 2].map((i) => s.dv.getInt32(s.slot(TX, i) + 8, true)), [0, 0, 0]);
  assert.is(s.dv.getUint32(TX + 4, true), 4, 'req_event: told at the next request');
  // One kick, per frame its work plus the copy at 1024 cycles per KiB (1 per byte here).
  assert.equal(s.charged, { k: 6000, t: 2000 + 100 + 2000 + 30 });
  assert.is(s.nb.stats.tx_frames, 2);
});

test('receive: frames for the guest land with their FCS, one driver run per holdoff; others are not taken; the guest told as it asked', () => {
  const s = setup();
  for (let i = 0; i < 4; i++) s.request(RX, i, 0x20000 + i * 2048, 2048, i);
  s.dv.setUint32(RX, 4, true);
  s.dv.setUint32(RX + 12, 1, true);                // rsp_event: tell at the first response
  const f = (dst: number[], n: number) => Uint8Array.from({ length: n }, (_, i) => (i < 6 ? dst[i]! : (i * 5) & 0xff));
  const mine = f([...MAC], 100), bcast = f([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 70), other = f([2, 0, 0, 0, 0, 0x99], 80);
  s.port.onReceive(mine);
  s.port.onReceive(other);
  s.port.onReceive(bcast);
  s.clock.run();
  assert.is(s.nb.stats.rx_activations, 1, 'both taken in one run');
  assert.is(s.dv.getUint32(RX + 8, true), 2, 'two responses');
  assert.is(s.dv.getUint16(s.slot(RX, 0) + 4, true), 104);
  assert.equal(Array.from(s.ram.subarray(0x20000, 0x20000 + 100)), Array.from(mine));
  assert.is(new DataView(s.ram.buffer).getUint32(0x20000 + 100, true), crc32(mine), 'FCS after the frame');
  assert.equal(Array.from(s.ram.subarray(0x20800, 0x20800 + 70)), Array.from(bcast));
  assert.is(s.events(), 1);
  // A frame 10 us later waits for the holdoff (100 us after the first run) before the next run.
  const t0 = s.time.nowNs();
  s.clock.schedule(s.time.cyclesAt(t0 + 10_000), 'frame', () => s.port.onReceive(mine));
  s.clock.run();
  assert.is(s.nb.stats.rx_activations, 2);
  assert.ok(s.time.nowNs() >= t0 + HOLDOFF_NS - 1, `${s.time.nowNs() - t0} ns`);
  assert.is(s.events(), 1, 'the guest did not move rsp_event on: not told again');
  assert.equal(s.charged.a, 2 * 9000);
});

test('receive without buffers: the backlog waits (the guest asked to tell at its next buffer), then drops and counts past its limit', () => {
  const s = setup();
  const f = Uint8Array.from({ length: 64 }, (_, i) => (i < 6 ? MAC[i]! : i));
  for (let i = 0; i < BACKLOG_FRAMES + 5; i++) s.port.onReceive(f);
  s.clock.run();
  assert.is(s.nb.stats.rx_dropped, 5);
  assert.is(s.dv.getUint32(RX + 16, true), 5, 'dropped: the guest sees the count');
  assert.is(s.dv.getUint32(RX + 4, true), 1, 'req_event: a buffer is awaited');
  s.request(RX, 0, 0x20000, 2048, 0);
  s.dv.setUint32(RX, 1, true);
  s.nb.kick();
  assert.is(s.nb.stats.rx_frames, 1, 'the kick took the new buffer');
});

test('a request outside guest memory stops the domain', () => {
  const s = setup();
  s.request(TX, 0, (1 << 20) - 10, 64, 0);
  s.dv.setUint32(TX, 1, true);
  s.nb.kick();
  assert.is(s.crashes.length, 1);
  assert.match(s.crashes[0]!, 'outside the domain');
  assert.is(s.sent.length, 0);
});

test.run();
