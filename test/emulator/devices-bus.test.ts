// The bus, the cycle clock's event queue and the debug-exit port.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Clock, mulDivCeil, mulDivFloor } from '../../emulator/clock.ts';
import { MachineBus } from '../../emulator/bus.ts';
import { DebugExit } from '../../emulator/devices/debug-exit.ts';
import { Uart16550 } from '../../emulator/devices/uart.ts';

function setup() {
  const time = { cycles: 0 };
  const clock = new Clock(time, 2_800_000_000);
  const bus = new MachineBus(1 << 20, clock, { port_io: 2400, mmio_read: 2000, mmio_write: 150 });
  return { time, clock, bus };
}

test('unclaimed ports read all-ones at every width, ignore writes, and cost port_io each', () => {
  const { bus, time } = setup();
  assert.is(bus.ioRead(0x80, 1), 0xff);
  assert.is(bus.ioRead(0x80, 2), 0xffff);
  assert.is(bus.ioRead(0x80, 4), 0xffffffff);
  bus.ioWrite(0x80, 1, 0);
  assert.is(time.cycles, 4 * 2400);
  assert.is(bus.portAccesses, 4);
});

test('unclaimed MMIO reads all-ones and charges the profile figures', () => {
  const { bus, time } = setup();
  assert.is(bus.mmioRead(0xfee00000, 4), 0xffffffff);
  bus.mmioWrite(0xfee00000, 4, 1);
  assert.is(time.cycles, 2150);
});

test('a wide access to a byte-wide device is split into byte accesses', () => {
  const { bus } = setup();
  const sent: number[] = [];
  bus.registerPorts(0x3f8, 8, new Uart16550(0x3f8, (b) => sent.push(b), () => {}));
  bus.ioWrite(0x3fb, 2, 0x0383); // LCR = 0x83 (DLAB), MCR = 0x03
  assert.is(bus.ioRead(0x3fb, 1), 0x83);
  assert.is(bus.ioRead(0x3fc, 1), 0x03);
  assert.is(bus.ioRead(0x3ff, 2) & 0xff, 0x00, 'scratch, then an unclaimed port');
  assert.is(bus.ioRead(0x3ff, 2) >> 8, 0xff);
});

test('overlapping port claims are refused', () => {
  const { bus } = setup();
  bus.registerPorts(0xf4, 4, new DebugExit(() => {}));
  assert.throws(() => bus.registerPorts(0xf6, 1, new DebugExit(() => {})), /already claimed/);
});

test('debug-exit: a write of v reports v; QEMU would exit with (v << 1) | 1', () => {
  const { bus } = setup();
  const seen: number[] = [];
  bus.registerPorts(0xf4, 4, new DebugExit((v) => seen.push(v)), [1, 2, 4]);
  bus.ioWrite(0xf4, 1, 3);
  assert.equal(seen, [3]);
  assert.is(DebugExit.qemuStatus(0), 1);
  assert.is(DebugExit.qemuStatus(3), 7);
});

test('events fire in time order, same-time events in scheduling order; cancelled ones never', () => {
  const { clock, time } = setup();
  const fired: string[] = [];
  clock.schedule(300, 'c', () => fired.push('c'));
  clock.schedule(100, 'a', () => fired.push('a'));
  const gone = clock.schedule(200, 'x', () => fired.push('x'));
  clock.schedule(300, 'd', () => fired.push('d'));
  clock.schedule(100, 'b', () => fired.push('b'));
  clock.cancel(gone);
  assert.is(clock.nextEventAt(), 100);
  time.cycles = 250;
  clock.runDue();
  assert.equal(fired, ['a', 'b']);
  time.cycles = 300;
  clock.runDue();
  assert.equal(fired, ['a', 'b', 'c', 'd']);
  assert.is(clock.nextEventAt(), Infinity);
});

test('an event scheduled earlier than all others tells a running CPU to stop sooner', () => {
  const { clock } = setup();
  let told = 0;
  clock.onEarlierEvent = () => told++;
  clock.schedule(1000, 'a', () => {});
  clock.schedule(2000, 'b', () => {});
  clock.schedule(500, 'c', () => {});
  assert.is(told, 2);
});

test('idle time: hlt skips to the next event and counts the gap as idle', () => {
  const { clock, time } = setup();
  time.cycles = 100;
  clock.idleUntil(1000);
  assert.is(time.cycles, 1000);
  assert.is(clock.idleCycles, 900);
  assert.is(clock.busyCycles(), 100);
});

test('cycle/tick conversion is exact beyond 2^53 intermediate products', () => {
  const cases = [0, 1, 2_799_999_999, 2_800_000_000, 123_456_789_012_345, 2 ** 52 - 1];
  for (const c of cases) {
    const want = (BigInt(c) * 1193182n) / 2_800_000_000n;
    assert.is(BigInt(mulDivFloor(c, 1193182, 2_800_000_000)), want, `floor at ${c}`);
  }
  for (const t of [0, 1, 1193181, 1193182, 987_654_321_123]) {
    const num = BigInt(t) * 2_800_000_000n;
    const want = (num + 1193181n) / 1193182n;
    assert.is(BigInt(mulDivCeil(t, 2_800_000_000, 1193182)), want, `ceil at ${t}`);
  }
});

test.run();
