// The 8259A pair driven through its ports, checked against the datasheet's semantics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PicPair } from '../../emulator/devices/pic.ts';

const out = (pic: PicPair, port: number, v: number) => pic.ioWrite(port, 1, v);
const inb = (pic: PicPair, port: number) => pic.ioRead(port, 1);

/** The initialization a PC kernel does: master at vector 0x20, slave at 0x28, cascade on IR2. */
function setup(icw4 = 0x01): PicPair {
  const pic = new PicPair();
  out(pic, 0x20, 0x11); out(pic, 0x21, 0x20); out(pic, 0x21, 0x04); out(pic, 0x21, icw4);
  out(pic, 0xa0, 0x11); out(pic, 0xa1, 0x28); out(pic, 0xa1, 0x02); out(pic, 0xa1, icw4);
  return pic;
}

const readIrr = (pic: PicPair, cmd: number) => { out(pic, cmd, 0x0a); return inb(pic, cmd); };
const readIsr = (pic: PicPair, cmd: number) => { out(pic, cmd, 0x0b); return inb(pic, cmd); };

test('ICW1-4 sets vector bases; ICW1 clears the mask', () => {
  const pic = new PicPair();
  out(pic, 0x21, 0xff);
  assert.is(inb(pic, 0x21), 0xff);
  out(pic, 0x20, 0x11);
  assert.is(inb(pic, 0x21), 0x00, 'ICW1 clears IMR');
  out(pic, 0x21, 0x30); out(pic, 0x21, 0x04); out(pic, 0x21, 0x01);
  pic.pulseIrq(5);
  assert.ok(pic.pending());
  assert.is(pic.acknowledge(), 0x35);
});

test('ICW2 ignores the low three bits of the vector base', () => {
  const pic = new PicPair();
  out(pic, 0x20, 0x13); out(pic, 0x21, 0x47); out(pic, 0x21, 0x01); // single, IC4
  pic.pulseIrq(1);
  assert.is(pic.acknowledge(), 0x41);
});

test('INTA sets ISR and clears IRR; non-specific EOI clears the highest ISR bit', () => {
  const pic = setup();
  pic.pulseIrq(3);
  assert.is(readIrr(pic, 0x20), 0x08);
  assert.is(pic.acknowledge(), 0x23);
  assert.is(readIrr(pic, 0x20), 0x00);
  assert.is(readIsr(pic, 0x20), 0x08);
  assert.not.ok(pic.pending());
  out(pic, 0x20, 0x20);
  assert.is(readIsr(pic, 0x20), 0x00);
});

test('fully nested priorities: a higher request interrupts a lower one in service, not the reverse', () => {
  const pic = setup();
  pic.pulseIrq(3);
  pic.pulseIrq(1);
  assert.is(pic.acknowledge(), 0x21, 'IRQ1 outranks IRQ3');
  assert.ok(!pic.pending(), 'IRQ3 waits while IRQ1 is in service');
  pic.pulseIrq(0);
  assert.ok(pic.pending(), 'IRQ0 outranks the in-service IRQ1');
  assert.is(pic.acknowledge(), 0x20);
  assert.is(readIsr(pic, 0x20), 0x03);
  out(pic, 0x20, 0x20); // clears IRQ0 (highest in service)
  assert.is(readIsr(pic, 0x20), 0x02);
  assert.not.ok(pic.pending());
  out(pic, 0x20, 0x20);
  assert.ok(pic.pending());
  assert.is(pic.acknowledge(), 0x23);
});

test('OCW1 masks a request without losing it', () => {
  const pic = setup();
  out(pic, 0x21, 0x10);
  pic.pulseIrq(4);
  assert.not.ok(pic.pending());
  assert.is(readIrr(pic, 0x20), 0x10);
  out(pic, 0x21, 0x00);
  assert.ok(pic.pending());
  assert.is(pic.acknowledge(), 0x24);
});

test('edge-triggered: a line held high requests once; a new rising edge requests again', () => {
  const pic = setup();
  pic.setIrq(4, true);
  assert.is(pic.acknowledge(), 0x24);
  out(pic, 0x20, 0x20);
  assert.not.ok(pic.pending(), 'no new edge while the line stays high');
  pic.setIrq(4, false);
  pic.setIrq(4, true);
  assert.ok(pic.pending());
});

test('level-triggered through the ELCR: IRR follows the line', () => {
  const pic = setup();
  out(pic, 0x4d1, 0x08); // IRQ 11 level
  assert.is(inb(pic, 0x4d1), 0x08);
  pic.setIrq(11, true);
  assert.is(pic.acknowledge(), 0x2b);
  out(pic, 0xa0, 0x20); out(pic, 0x20, 0x20);
  assert.ok(pic.pending(), 'still high, so requested again after EOI');
  pic.setIrq(11, false);
  // The slave drops its request; the master's edge-latched IR2 still asks, and the INTA finds
  // nothing on the slave: the slave's spurious vector (IR7), with no ISR bit set.
  assert.is(pic.acknowledge(), 0x2f);
  assert.is(readIsr(pic, 0xa0), 0);
  out(pic, 0x4d0, 0xff);
  assert.is(inb(pic, 0x4d0), 0xf8, 'IRQ 0-2 cannot be level-triggered');
});

test('cascade: a slave IRQ arrives through master IR2 with the slave vector', () => {
  const pic = setup();
  pic.pulseIrq(10);
  assert.is(readIrr(pic, 0x20), 0x04, 'master sees IR2');
  assert.is(pic.acknowledge(), 0x2a);
  assert.is(readIsr(pic, 0x20), 0x04);
  assert.is(readIsr(pic, 0xa0), 0x04);
  assert.is(pic.delivered[10], 1);
  out(pic, 0xa0, 0x20);
  out(pic, 0x20, 0x20);
  assert.is(readIsr(pic, 0x20), 0);
  assert.is(readIsr(pic, 0xa0), 0);
});

test('masking IR2 on the master masks the whole slave', () => {
  const pic = setup();
  out(pic, 0x21, 0x04);
  pic.pulseIrq(14);
  assert.not.ok(pic.pending());
  out(pic, 0x21, 0x00);
  assert.is(pic.acknowledge(), 0x2e);
});

test('specific EOI clears the named level only', () => {
  const pic = setup();
  pic.pulseIrq(5);
  pic.acknowledge();
  pic.pulseIrq(1);
  pic.acknowledge();
  assert.is(readIsr(pic, 0x20), 0x22);
  out(pic, 0x20, 0x65); // specific EOI for IR5
  assert.is(readIsr(pic, 0x20), 0x02);
});

test('auto-EOI leaves ISR clear after INTA', () => {
  const pic = setup(0x03);
  pic.pulseIrq(6);
  assert.is(pic.acknowledge(), 0x26);
  assert.is(readIsr(pic, 0x20), 0);
  pic.pulseIrq(7);
  assert.ok(pic.pending(), 'nothing in service blocks the next request');
});

test('spurious INTA returns the IR7 vector and sets no ISR bit', () => {
  const pic = setup();
  assert.is(pic.acknowledge(), 0x27);
  assert.is(readIsr(pic, 0x20), 0);
  assert.is(pic.spurious, 1);
});

test('set priority (OCW2 0xc0|n) makes n the lowest level', () => {
  const pic = setup();
  out(pic, 0x20, 0xc4); // IR4 lowest, so IR5 highest
  pic.pulseIrq(0);
  pic.pulseIrq(5);
  assert.is(pic.acknowledge(), 0x25);
});

test('rotate on non-specific EOI moves the served level to the bottom', () => {
  const pic = setup();
  pic.pulseIrq(0);
  pic.acknowledge();
  out(pic, 0x20, 0xa0); // rotate on non-specific EOI: IR0 becomes lowest
  pic.pulseIrq(0);
  pic.pulseIrq(3);
  assert.is(pic.acknowledge(), 0x23);
});

test('poll command: the next command-port read returns 0x80|level and acknowledges it', () => {
  const pic = setup();
  pic.pulseIrq(6);
  out(pic, 0x20, 0x0c);
  assert.is(inb(pic, 0x20), 0x86);
  assert.is(readIsr(pic, 0x20), 0x40);
  out(pic, 0x20, 0x20);
  out(pic, 0x20, 0x0c);
  assert.is(inb(pic, 0x20), 0x00, 'no request: bit 7 clear');
});

test('special mask mode lets lower levels through while a masked level is in service', () => {
  const pic = setup();
  pic.pulseIrq(1);
  pic.acknowledge();
  pic.pulseIrq(4);
  assert.not.ok(pic.pending());
  out(pic, 0x21, 0x02); // mask the in-service IR1
  out(pic, 0x20, 0x68); // set special mask mode
  assert.ok(pic.pending());
  assert.is(pic.acknowledge(), 0x24);
  out(pic, 0x20, 0x48); // reset special mask mode
});

test('special fully nested mode lets a higher slave request through while a slave level is served', () => {
  const nested = setup(0x11);
  nested.pulseIrq(12);
  assert.is(nested.acknowledge(), 0x2c);
  nested.pulseIrq(9);
  assert.ok(nested.pending(), 'SFNM: IR2 in service does not block the cascade');
  assert.is(nested.acknowledge(), 0x29);
  const plain = setup();
  plain.pulseIrq(12);
  plain.acknowledge();
  plain.pulseIrq(9);
  assert.not.ok(plain.pending(), 'without SFNM the master blocks its own in-service IR2');
});

test('onChange reports INTR changes to the CPU side', () => {
  const pic = setup();
  let calls = 0;
  pic.onChange = () => calls++;
  pic.pulseIrq(3);
  assert.ok(calls > 0);
});

test.run();
