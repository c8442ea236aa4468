// The 16550A at 0x3f8 driven through its ports: what a polled console and a Linux-style 8250
// probe and interrupt-driven driver rely on, per the 16550A datasheet.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Uart16550 } from '../../emulator/devices/uart.ts';

function setup() {
  const sent: number[] = [];
  const irq: boolean[] = [];
  const uart = new Uart16550(0x3f8, (b) => sent.push(b), (l) => irq.push(l));
  const out = (off: number, v: number) => uart.ioWrite(0x3f8 + off, 1, v);
  const inb = (off: number) => uart.ioRead(0x3f8 + off, 1);
  return { uart, sent, irq, out, inb };
}

test('polled output: LSR says THR empty; bytes written to THR reach the sink in order', () => {
  const { sent, out, inb } = setup();
  for (const ch of 'hi\n') {
    assert.is(inb(5) & 0x20, 0x20);
    out(0, ch.charCodeAt(0));
  }
  assert.is(Buffer.from(sent).toString(), 'hi\n');
  assert.is(inb(5), 0x60, 'THRE and TEMT, no data ready');
});

test('DLAB switches ports 0 and 1 to the divisor latch', () => {
  const { sent, out, inb } = setup();
  out(3, 0x80);
  out(0, 0x01); out(1, 0x00); // 115200 baud
  assert.is(inb(0), 0x01);
  assert.is(inb(1), 0x00);
  assert.is(sent.length, 0, 'divisor writes are not transmitted');
  out(3, 0x03);
  assert.is(inb(3), 0x03);
  out(1, 0x05);
  assert.is(inb(1), 0x05, 'IER again once DLAB is clear');
});

test('8250 probe: scratch register, IER read-back, FIFO bits in IIR, loopback modem lines', () => {
  const { out, inb } = setup();
  out(7, 0xa5);
  assert.is(inb(7), 0xa5);
  out(1, 0x0f);
  assert.is(inb(1), 0x0f);
  out(1, 0x00);
  out(2, 0x01); // enable FIFOs
  assert.is(inb(2) & 0xc0, 0xc0, 'a 16550A reports working FIFOs');
  out(2, 0x00);
  assert.is(inb(2) & 0xc0, 0x00);
  out(4, 0x1a); // loopback | OUT2 | RTS
  assert.is(inb(6) & 0xf0, 0x90, 'CTS from RTS, DCD from OUT2');
  out(4, 0x1f);
  assert.is(inb(6) & 0xf0, 0xf0);
});

test('loopback: transmitted bytes come back in RBR and never reach the sink', () => {
  const { sent, out, inb } = setup();
  out(4, 0x10);
  out(0, 0x42);
  assert.is(inb(5) & 0x01, 0x01, 'data ready');
  assert.is(inb(0), 0x42);
  assert.is(inb(5) & 0x01, 0x00);
  assert.is(sent.length, 0);
});

test('THR-empty interrupt: raised when enabled, cleared by reading IIR, raised again after a write', () => {
  const { irq, out, inb } = setup();
  out(1, 0x02);
  assert.equal(irq, [true]);
  assert.is(inb(2) & 0x0f, 0x02, 'IIR: THR empty');
  assert.equal(irq, [true, false], 'reading IIR acknowledged it');
  assert.is(inb(2) & 0x0f, 0x01, 'IIR: nothing pending');
  out(0, 0x41);
  assert.equal(irq, [true, false, true]);
  out(1, 0x00);
  assert.equal(irq, [true, false, true, false], 'disabling the source drops the line');
});

test('received data: IIR reports it above THR empty; reading RBR clears it', () => {
  const { uart, irq, out, inb } = setup();
  out(1, 0x03);
  uart.receive(Uint8Array.of(0x61));
  assert.is(inb(2) & 0x0f, 0x04, 'received data has priority over THR empty');
  assert.is(inb(0), 0x61);
  assert.is(inb(2) & 0x0f, 0x02);
  assert.is(irq.at(-1), false);
});

test('receiver overrun sets OE in LSR, cleared by reading LSR', () => {
  const { uart, inb } = setup();
  uart.receive(Uint8Array.of(1, 2)); // no FIFO: one byte holding register
  assert.is(inb(5) & 0x03, 0x03);
  assert.is(inb(5) & 0x02, 0x00);
  assert.is(inb(0), 1);
});

test.run();
