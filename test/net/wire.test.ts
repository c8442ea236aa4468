// The wire: serialization delay from the Ethernet definition, full duplex, latency, and
// fault injection that repeats exactly for a seed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TimeBase } from '../../emulator/net/seams.ts';
import { SimClock } from '../../emulator/net/sim-clock.ts';
import { Wire } from '../../emulator/net/wire.ts';
import type { WireFaults } from '../../emulator/net/wire.ts';

const MHZ = 2800;

function setup(latencyNs = 0, faults?: WireFaults) {
  const clock = new SimClock();
  const time = new TimeBase(clock, MHZ);
  const wire = new Wire(time, { latencyNs, faults });
  return { clock, time, wire };
}

test('a maximum frame (1518 bytes with FCS) occupies a 1 Gb/s transmitter 12,304 ns', () => {
  // Definition: preamble+SFD 8 bytes, frame 1518 bytes including its 4-byte FCS, IFG 12 bytes;
  // 8 bits per byte at 10^9 bits per second.
  const expected = ((8 + 1518 + 12) * 8 * 1e9) / 1e9;
  assert.is(expected, 12304);
  const { wire } = setup();
  assert.is(wire.serializationNs(1514), expected, 'frames are handed over without their FCS');
  // A short frame is padded to 64 bytes with FCS.
  assert.is(wire.serializationNs(42), ((8 + 64 + 12) * 8 * 1e9) / 1e9);
});

test('back-to-back frames arrive one serialization time apart, after latency', () => {
  const { clock, time, wire } = setup(5000);
  const seen: number[] = [];
  wire.port(1).onReceive = () => seen.push(time.nowNs());
  for (let i = 0; i < 3; i++) wire.port(0).send(new Uint8Array(1514));
  assert.is(wire.port(0).freeAtNs(), 3 * 12304, 'the transmitter is booked for three frames');
  clock.run();
  // The last bit of the FCS lands (8 + 1518) bytes after the start, plus latency.
  assert.equal(seen, [0, 1, 2].map((i) => i * 12304 + (8 + 1518) * 8 + 5000));
});

test('full duplex: the two directions do not wait for each other', () => {
  const { clock, time, wire } = setup(0);
  const at: [number, number][] = [];
  wire.port(0).onReceive = () => at.push([0, time.nowNs()]);
  wire.port(1).onReceive = () => at.push([1, time.nowNs()]);
  wire.port(0).send(new Uint8Array(1514));
  wire.port(1).send(new Uint8Array(1514));
  clock.run();
  assert.equal(at.map((x) => x[1]), [(8 + 1518) * 8, (8 + 1518) * 8]);
});

function runFaults(faults: WireFaults, n = 20000): { order: number[]; stats: ReturnType<Wire['stats']> } {
  const { clock, wire } = setup(1000, faults);
  const order: number[] = [];
  wire.port(1).onReceive = (f) => order.push(f[0]! | (f[1]! << 8));
  for (let i = 0; i < n; i++) wire.port(0).send(Uint8Array.of(i & 0xff, i >> 8, 0, 0));
  clock.run();
  return { order, stats: wire.stats(0) };
}

test('loss, duplication and reordering follow the seed exactly, at about the asked rates', () => {
  const f = { seed: 42, loss: 0.05, duplicate: 0.03, reorder: 0.04 };
  const a = runFaults(f);
  const b = runFaults(f);
  assert.equal(a.order, b.order, 'same seed, same deliveries');
  const c = runFaults({ ...f, seed: 43 });
  assert.not.equal(a.order, c.order, 'another seed, other deliveries');
  const n = 20000;
  const s = a.stats;
  assert.ok(Math.abs(s.lost / n - 0.05) < 0.01, `loss rate ${s.lost / n}`);
  assert.ok(Math.abs(s.duplicated / n - 0.03) < 0.01, `dup rate ${s.duplicated / n}`);
  assert.ok(Math.abs(s.reordered / n - 0.04) < 0.01, `reorder rate ${s.reordered / n}`);
  // Deliveries account for every frame: sent - lost + duplicated (lost frames are not duplicated).
  assert.is(a.order.length, n - s.lost + s.duplicated);
  const inversions = a.order.filter((v, i) => i > 0 && v < a.order[i - 1]!).length;
  assert.ok(inversions > 0, 'some frames overtaken');
  const seen = new Set(a.order);
  assert.is(seen.size, n - s.lost);
});

test('a lossless wire delivers everything in order', () => {
  const r = runFaults({ seed: 1 }, 1000);
  assert.equal(r.order, Array.from({ length: 1000 }, (_, i) => i));
});

test.run();
