// The data pattern: the word-at-a-time fill and check agree with the byte definition at every
// alignment, and the check finds a single changed byte, a swap of two segments and a shift;
// the Internet checksum against RFC 1071's example and a byte-pair sum at every alignment.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkPattern, fillPattern, patternByte, PATTERN_PERIOD } from '../../emulator/net/peer/pattern.ts';
import { sum16 } from '../../emulator/net/checksum.ts';

test('fill matches the definition (byte i%4 of the LE word ((i/4) mod 2^16) * 0x9E3779B1) at any alignment', () => {
  for (const start of [0, 1, 2, 3, 4097, (1 << 18) - 21, 2 ** 32 + 5]) {
    for (const dstOff of [0, 1, 3]) {
      const buf = new Uint8Array(64);
      fillPattern(buf, dstOff, start, 50);
      for (let i = 0; i < 50; i++) {
        const k = Math.floor((start + i) / 4) % 2 ** 16;
        const word = Number((BigInt(k) * 0x9e3779b1n) % 2n ** 32n);
        assert.is(buf[dstOff + i], (word >>> (((start + i) % 4) * 8)) & 0xff, `start ${start} off ${dstOff} i ${i}`);
        assert.is(patternByte(start + i), buf[dstOff + i]);
      }
      assert.is(checkPattern(buf, dstOff, start, 50), -1);
    }
  }
});

test('check finds a changed byte, swapped segments and a shifted stream', () => {
  const a = new Uint8Array(3000);
  fillPattern(a, 0, 1000, 3000);
  const b = a.slice();
  b[1234] ^= 1;
  assert.is(checkPattern(b, 0, 1000, 3000), 1234);
  const swapped = new Uint8Array(2920);
  swapped.set(a.subarray(1460, 2920), 0);
  swapped.set(a.subarray(0, 1460), 1460);
  assert.is(checkPattern(swapped, 0, 1000, 2920), 0);
  assert.ok(checkPattern(a, 4, 1000, 100) >= 0, 'a stream shifted by a word does not match');
});

test('the stream repeats every PATTERN_PERIOD (256 KiB) bytes and nowhere sooner at a word step', () => {
  assert.is(PATTERN_PERIOD, 256 * 1024);
  const a = new Uint8Array(4096), b = new Uint8Array(4096);
  fillPattern(a, 0, 12345, 4096);
  fillPattern(b, 0, 12345 + PATTERN_PERIOD, 4096);
  assert.equal(a, b);
  assert.ok(checkPattern(a, 0, 12345 + PATTERN_PERIOD / 2, 4096) >= 0);
});

test('fill and check over more than a period agree with the definition byte by byte', () => {
  const len = PATTERN_PERIOD + 5000, start = 3 * PATTERN_PERIOD - 777;
  const a = new Uint8Array(len + 3);
  fillPattern(a, 3, start, len);
  for (let i = 0; i < len; i++) if (a[3 + i] !== patternByte(start + i)) assert.unreachable(`byte ${i}`);
  assert.is(checkPattern(a, 3, start, len), -1);
  for (const bad of [0, 776, 777, len - 1]) {
    const b = a.slice();
    b[3 + bad] ^= 0x80;
    assert.is(checkPattern(b, 3, start, len), bad, `changed byte ${bad}`);
  }
});

test('the Internet checksum matches RFC 1071\'s worked example and handles odd lengths', () => {
  // RFC 1071 section 3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2.
  const b = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
  assert.is(sum16(b, 0, 8), 0xddf2);
  for (let len = 0; len <= 8; len++) {
    let s = 0;
    for (let i = 0; i < len; i += 2) s += (b[i]! << 8) | (i + 1 < len ? b[i + 1]! : 0);
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    assert.is(sum16(b, 0, len), s, `length ${len}`);
    assert.is(sum16(b, 1, Math.max(0, len - 1)) >= 0, true);
  }
});

test('the Internet checksum agrees with the byte-pair definition at every alignment, length and initial sum', () => {
  // A seeded xorshift fills the bytes; every 97th buffer is all 0xff or all 0 (folds to 0xffff or 0).
  let x = 0x2545f491;
  const next = (): number => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
  const backing = new Uint8Array(1600);
  for (let t = 0; t < 600; t++) {
    const fill = t % 97 === 0 ? 0xff : t % 97 === 1 ? 0 : -1;
    for (let i = 0; i < backing.length; i++) backing[i] = fill >= 0 ? fill : next() & 0xff;
    const base = next() % 8, off = next() % 8, len = 60 + (next() % 1500);
    const view = backing.subarray(base, base + off + len);
    const initial = t % 3 === 0 ? 0 : next() % 0x30000;
    let s = initial;
    for (let i = 0; i < len; i += 2) s += (view[off + i]! << 8) | (i + 1 < len ? view[off + i + 1]! : 0);
    while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
    assert.is(sum16(view, off, len, initial), s, `base ${base} off ${off} len ${len} initial ${initial}`);
  }
});

test.run();
