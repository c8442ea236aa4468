// The peer's TCP end to end: two netperf peers over the wire, one sending and one receiving,
// with the data pattern checked at every byte; lossless, lossy, reordered and duplicated.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Host } from '../../emulator/net/peer/host.ts';
import { parseIp, readU32 } from '../../emulator/net/peer/ipv4.ts';
import { NetperfPeer } from '../../emulator/net/peer/netperf.ts';
import { runPair } from '../../emulator/net/peer/pair.ts';
import { patternByte } from '../../emulator/net/peer/pattern.ts';
import { TimeBase } from '../../emulator/net/seams.ts';
import { SimClock } from '../../emulator/net/sim-clock.ts';
import { Wire } from '../../emulator/net/wire.ts';
import type { WireFaults } from '../../emulator/net/wire.ts';

const MiB = 1 << 20;

test('8 MiB lossless: every byte verified, line rate, one ACK per two segments, no retransmission', () => {
  const r = runPair({ transferBytes: 8 * MiB });
  assert.ok(r.receiver.verified, 'receiver verified the pattern');
  assert.ok(r.sender.verified, 'sender saw everything acknowledged');
  assert.is(r.receiver.bytes, 8 * MiB);
  assert.is(r.sender.tcp.retransmits, 0);
  // Line rate for 1460-byte segments: payload / (preamble 8 + Ethernet 14 + IP 20 + TCP 20
  // + 1460 + FCS 4 + IFG 12) of 125e6 bytes/s, in netperf's 2^20-byte megabytes.
  const lineRate = (125e6 * 1460) / (8 + 14 + 20 + 20 + 1460 + 4 + 12) / MiB;
  const got = r.sender.mibPerSec; // timed from the sender's establishment to the close
  assert.ok(got <= lineRate && got > lineRate * 0.995, `throughput ${got} vs line rate ${lineRate}`);
  const ackRatio = r.receiver.tcp.segsOut / r.sender.tcp.dataSegsOut;
  assert.ok(ackRatio > 0.49 && ackRatio < 0.51, `ACKs per data segment ${ackRatio}`);
});

function lossy(faults: WireFaults) {
  const r = runPair({ transferBytes: 8 * MiB, faults, limitNs: 600e9 });
  assert.ok(r.receiver.verified, `receiver verified (first bad offset ${r.receiver.firstBadOffset}, bytes ${r.receiver.bytes})`);
  assert.ok(r.sender.verified, 'sender verified');
  assert.is(r.receiver.firstBadOffset, -1);
  return r;
}

test('8 MiB with 1% loss completes; fast retransmit and timeouts repair it', () => {
  const r = lossy({ seed: 7, loss: 0.01 });
  assert.ok(r.wire.stats(0).lost > 20, 'data frames were lost');
  assert.ok(r.sender.tcp.fastRetransmits > 0, 'fast retransmit used');
  assert.ok(r.sender.tcp.retransmits >= r.wire.stats(0).lost, 'every lost data segment resent');
});

test('8 MiB with 2% reordering and 1% duplication completes, every byte verified', () => {
  const r = lossy({ seed: 11, reorder: 0.02, duplicate: 0.01, reorderDelayNs: 60000 });
  assert.ok(r.receiver.tcp.outOfOrderIn > 0, 'segments arrived out of order');
  assert.ok(r.receiver.tcp.duplicateIn > 0, 'duplicates arrived');
});

test('sequence numbers wrap past 2^32 mid-transfer, with loss', () => {
  const r = runPair({ transferBytes: 2 * MiB, faults: { seed: 21, loss: 0.01 }, tcp: { iss: 0xffff0000 } });
  assert.ok(r.receiver.verified && r.sender.verified);
  assert.ok(r.sender.tcp.retransmits > 0);
});

test('all faults at once, both directions', () => {
  lossy({ seed: 5, loss: 0.01, reorder: 0.01, duplicate: 0.01 });
});

function rig(latencyNs: number, faults?: WireFaults, tapped?: { at: number; f: Uint8Array }[]) {
  const clock = new SimClock();
  const time = new TimeBase(clock, 2800);
  const wire = new Wire(time, { latencyNs, faults, tap: tapped ? (at, f) => tapped.push({ at, f }) : undefined });
  const a = new Host({ time, port: wire.port(0), mac: Uint8Array.of(2, 0, 0, 0, 0, 1), ip: parseIp('10.0.0.1') });
  const b = new Host({ time, port: wire.port(1), mac: Uint8Array.of(2, 0, 0, 0, 0, 2), ip: parseIp('10.0.0.2') });
  return { clock, time, wire, a, b };
}

test('SYN retransmission backs off: 1 s, 2 s, 4 s, 8 s', () => {
  const tapped: { at: number; f: Uint8Array }[] = [];
  const r = rig(1000, { seed: 1, loss: 1 }, tapped);
  r.a.addArp(r.b.ip, r.b.mac);
  const conn = r.a.connect(r.b.ip, 5001, 40000);
  r.clock.run(r.time.cyclesAt(20e9));
  const syns = tapped.filter(({ f }) => f[12] === 8 && (f[47]! & 0x02)).map(({ at }) => at / 1e9);
  assert.equal(syns, [0, 1, 3, 7, 15]);
  assert.is(conn.state, 'SYN_SENT');
});

test('the sender never exceeds the window the receiver advertises', () => {
  const tapped: { at: number; f: Uint8Array }[] = [];
  const r = rig(100000, undefined, tapped); // 100 us each way: the window, not the wire, limits
  const tcp = { rcvbuf: 16384, windowScaling: false };
  const rx = new NetperfPeer(r.b, r.time, { role: 'receive', transferBytes: 2 * MiB, open: 'passive', remoteIp: 0, remotePort: 0, localPort: 5001, tcp });
  const tx = new NetperfPeer(r.a, r.time, { role: 'send', transferBytes: 2 * MiB, open: 'active', remoteIp: r.b.ip, remotePort: 5001, localPort: 40000, tcp });
  rx.start();
  tx.start();
  r.clock.run(Infinity, () => tx.done && rx.done);
  assert.ok(rx.result().verified);
  let edge = -1;
  let maxInFlight = 0;
  let lastAck = 0;
  for (const { f } of tapped) {
    if (f[12] !== 8) continue;
    const srcPort = (f[34]! << 8) | f[35]!;
    const seq = readU32(f, 38), ack = readU32(f, 42), flags = f[47]!, win = (f[48]! << 8) | f[49]!;
    const len = ((f[16]! << 8) | f[17]!) - 20 - (f[46]! >> 4) * 4;
    if (srcPort === 5001 && flags & 0x10) {
      lastAck = ack;
      edge = Math.max(edge, (ack + win) >>> 0); // no wrap: the ISS is far from 2^32 here
    } else if (srcPort === 40000 && len > 0) {
      assert.ok(seq + len <= edge, `segment ends at ${seq + len} beyond the advertised edge ${edge}`);
      maxInFlight = Math.max(maxInFlight, seq + len - lastAck);
    }
  }
  assert.ok(maxInFlight > 16384 - 1460 && maxInFlight <= 16384, `in flight up to ${maxInFlight}`);
  const mib = rx.result().mibPerSec;
  assert.ok(mib < 100, `window-limited throughput ${mib}`);
});

test('a slow reader closes the window to zero; probes and window updates reopen it, under loss', () => {
  const tapped: { at: number; f: Uint8Array }[] = [];
  const r = rig(1000, { seed: 9, loss: 0.05 }, tapped);
  const total = MiB / 4;
  let got = 0;
  let bad = -1;
  let closed = false;
  r.b.listen(5001, (c) => {
    c.readMode = 'manual';
    c.app = {
      onData: (off, buf, start, len) => {
        for (let i = 0; i < len && bad < 0; i++) if (buf[start + i] !== patternByte(off + i)) bad = off + i;
        got = off + len;
      },
      onPeerFin: () => c.close(),
      onClosed: () => { closed = true; },
    };
    // The application reads five segments' worth every second: slower than the
    // delayed-ACK timer (so zero windows get announced) and than the RTO (so a lost window update
    // leaves the sender to probe).
    const read = (): void => {
      c.consume(5 * 1460);
      if (!closed) r.time.atNs(r.time.nowNs() + 1e9, read);
    };
    r.time.atNs(1e9, read);
  }, { rcvbuf: 20 * 1460, windowScaling: false }); // a whole number of segments: the window can reach 0
  const tx = new NetperfPeer(r.a, r.time, { role: 'send', transferBytes: total, open: 'active', remoteIp: r.b.ip, remotePort: 5001, localPort: 40000 });
  tx.start();
  r.clock.run(r.time.cyclesAt(300e9), () => tx.done && closed);
  assert.is(got, total);
  assert.is(bad, -1, 'every byte matched the pattern');
  assert.ok(tx.result().verified);
  const zeroWindows = tapped.filter(({ f }) => f[12] === 8 && ((f[34]! << 8) | f[35]!) === 5001 && f[48] === 0 && f[49] === 0 && !(f[47]! & 0x02));
  assert.ok(zeroWindows.length > 10, `zero windows advertised: ${zeroWindows.length}`);
  assert.ok(tx.result().tcp.windowProbes > 0, 'the sender probed the closed window');
  // The reader sets the pace: the buffer's 29,200 bytes go at once, the rest at 7,300 a second.
  const expectS = Math.ceil((total - 20 * 1460) / 7300);
  const tookS = tx.result().elapsedNs / 1e9;
  assert.ok(tookS > expectS - 1 && tookS < expectS + 2, `took ${tookS} s, reader pace says ${expectS} s`);
});

test.run();
