// The 8254 driven through its ports on a cycle clock at 2.8 GHz: counts, latches, read-back,
// modes 0, 2, 3 and 4 and channel 0's interrupts, checked against the datasheet's semantics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Clock } from '../../emulator/clock.ts';
import { Pit8254 } from '../../emulator/devices/pit.ts';

const HZ = 2_800_000_000;
/** The cycle at which `ticks` periods of the 1.193182 MHz input have elapsed. */
const cyclesFor = (ticks: number) => Math.ceil((ticks * HZ) / 1193182);

function setup() {
  const time = { cycles: 0 };
  const clock = new Clock(time, HZ);
  const irqs: number[] = [];
  const pit = new Pit8254(clock, () => irqs.push(time.cycles));
  const out = (port: number, v: number) => pit.ioWrite(port, 1, v);
  const inb = (port: number) => pit.ioRead(port, 1);
  /** Advances guest time to `cycles`, firing due events on the way like the machine does. */
  const runTo = (cycles: number) => {
    for (;;) {
      const next = clock.nextEventAt();
      if (next > cycles) break;
      time.cycles = next;
      clock.runDue();
    }
    time.cycles = cycles;
  };
  /** Checks that the first interrupt comes at input clock `ticks`, not one clock before. */
  const firstIrqAt = (ticks: number) => {
    runTo(cyclesFor(ticks - 1));
    assert.is(irqs.length, 0, `no interrupt by clock ${ticks - 1}`);
    runTo(cyclesFor(ticks));
    assert.is(irqs.length, 1, `the interrupt at clock ${ticks}`);
  };
  return { time, clock, pit, irqs, out, inb, runTo, firstIrqAt };
}

test('lobyte/hibyte count: reads back as it counts down one per input clock', () => {
  const { out, inb, runTo } = setup();
  out(0x43, 0x34); // channel 0, lobyte/hibyte, mode 2
  out(0x40, 0x10); out(0x40, 0x27); // 10000
  runTo(cyclesFor(2500));
  const lo = inb(0x40), hi = inb(0x40);
  assert.is(lo | (hi << 8), 7500);
});

test('lobyte-only and hibyte-only access modes', () => {
  const { out, inb, runTo } = setup();
  out(0x43, 0xa0); // channel 2, MSB only, mode 0
  out(0x42, 0x40); // count 0x4000
  runTo(cyclesFor(0x100));
  assert.is(inb(0x42), 0x3f, 'MSB of 0x3f00');
  out(0x43, 0x50); // channel 1, LSB only, mode 0
  out(0x41, 0xc8); // 200
  const base = cyclesFor(0x100);
  runTo(base + cyclesFor(50));
  const c = inb(0x41);
  assert.is(c, 150);
});

test('counter latch freezes the count until both bytes are read', () => {
  const { out, inb, runTo } = setup();
  out(0x43, 0x34); out(0x40, 0x00); out(0x40, 0x10); // 4096, mode 2
  runTo(cyclesFor(96));
  out(0x43, 0x00); // latch channel 0
  runTo(cyclesFor(1000));
  assert.is(inb(0x40) | (inb(0x40) << 8), 4000, 'value at latch time');
  assert.is(inb(0x40) | (inb(0x40) << 8), 3096, 'live value once the latch is read');
});

test('mode 2 on channel 0: IRQ 0 every N input clocks, on the cycle clock', () => {
  const { out, runTo, irqs } = setup();
  out(0x43, 0x34); out(0x40, 0x9c); out(0x40, 0x2e); // 11932: ~100 Hz
  runTo(cyclesFor(11932 * 10)); // ~0.1 s of guest time
  assert.is(irqs.length, 10);
  irqs.forEach((at, i) => assert.is(at, cyclesFor(11932 * (i + 1))));
});

test('mode 3 square wave: IRQ every N clocks, count steps by two', () => {
  const { out, inb, runTo, irqs } = setup();
  out(0x43, 0x36); out(0x40, 0xe8); out(0x40, 0x03); // 1000, mode 3
  runTo(cyclesFor(100));
  assert.is(inb(0x40) | (inb(0x40) << 8), 800);
  runTo(cyclesFor(5000));
  assert.is(irqs.length, 5);
});

test('mode 0: one interrupt at terminal count, OUT low until then (read-back status)', () => {
  const { out, inb, runTo, irqs, firstIrqAt } = setup();
  out(0x43, 0x30); out(0x40, 0x64); out(0x40, 0x00); // 100, mode 0
  out(0x43, 0xe2); // read-back status of channel 0
  assert.is(inb(0x40) & 0x80, 0, 'OUT low while counting');
  firstIrqAt(100);
  out(0x43, 0xe2);
  assert.is(inb(0x40), 0x80 | 0x30 | 0x00, 'OUT high, lobyte/hibyte, mode 0, binary');
  runTo(cyclesFor(200000));
  assert.is(irqs.length, 1, 'mode 0 does not repeat');
});

test('mode 4: OUT pulses low one clock at terminal count; interrupt on the rising edge after it', () => {
  const { out, firstIrqAt } = setup();
  out(0x43, 0x38); out(0x40, 50); out(0x40, 0);
  firstIrqAt(51);
});

test('read-back command latches count and status of the selected channels', () => {
  const { out, inb, runTo } = setup();
  out(0x43, 0xb4); out(0x42, 0x00); out(0x42, 0x02); // channel 2, mode 2, 512
  out(0x61, 0x01); // gate 2 high starts it
  runTo(cyclesFor(12));
  out(0x43, 0xc8); // read-back: count and status, channel 2
  runTo(cyclesFor(100));
  assert.is(inb(0x42), 0x80 | 0x30 | 0x04, 'status first: OUT high, lo/hi, mode 2');
  assert.is(inb(0x42) | (inb(0x42) << 8), 500, 'then the count latched at the command');
});

test('a control word stops channel 0: no more interrupts until a count is loaded', () => {
  const { out, runTo, irqs } = setup();
  out(0x43, 0x34); out(0x40, 0x00); out(0x40, 0x01); // 256
  runTo(cyclesFor(256 * 3));
  assert.is(irqs.length, 3);
  out(0x43, 0x34);
  runTo(cyclesFor(256 * 10));
  assert.is(irqs.length, 3);
});

test('a count of 0 means 65536', () => {
  const { out, firstIrqAt } = setup();
  out(0x43, 0x34); out(0x40, 0); out(0x40, 0);
  firstIrqAt(65536);
});

test('port 0x61: gate 2 and OUT 2, as a calibration loop polls them', () => {
  const { out, inb, runTo } = setup();
  out(0x61, 0x00);
  out(0x43, 0xb0); out(0x42, 0xff); out(0x42, 0xff); // channel 2, mode 0, 65535
  out(0x61, 0x01);
  assert.is(inb(0x61) & 0x21, 0x01, 'gate set, OUT2 low while counting');
  runTo(cyclesFor(65535));
  assert.is(inb(0x61) & 0x20, 0x20, 'OUT2 high at terminal count');
});

test('BCD counting reads back in BCD', () => {
  const { out, inb, runTo } = setup();
  out(0x43, 0x31); out(0x40, 0x00); out(0x40, 0x10); // BCD 1000, mode 0
  runTo(cyclesFor(1));
  assert.is(inb(0x40) | (inb(0x40) << 8), 0x0999);
});

test.run();
