// Frame buffers taken from shared slabs (emulator/net/frame-buffer.ts): each starts zeroed like a
// buffer of its own, none shares a byte with another still in use, each starts 8-byte aligned in
// its buffer, and a frame larger than a slab allows still gets its own buffer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { frameBuffer } from '../../emulator/net/frame-buffer.ts';

test('frames are zeroed, disjoint and aligned, across many slabs', () => {
  // Sizes from the minimum frame to a full one with an FCS, odd ones included; enough of them to
  // fill several slabs. Each frame is filled with its own tag after the check that it was zero.
  const sizes = [60, 1514, 1518, 61, 997, 1, 4];
  const frames: Uint8Array[] = [];
  for (let n = 0; n < 2000; n++) {
    const len = sizes[n % sizes.length]!;
    const f = frameBuffer(len);
    assert.is(f.length, len);
    assert.is(f.byteOffset % 8, 0, `frame ${n} starts ${f.byteOffset} bytes into its buffer`);
    assert.ok(f.every((b) => b === 0), `frame ${n} of ${len} bytes did not start zeroed`);
    f.fill((n % 255) + 1);
    frames.push(f);
  }
  // No later frame wrote over an earlier one.
  frames.forEach((f, n) => assert.ok(f.every((b) => b === (n % 255) + 1), `frame ${n} was overwritten`));
  assert.ok(new Set(frames.map((f) => f.buffer)).size > 1, 'the frames should span more than one slab');
});

test('a frame too large for a slab gets a buffer of its own', () => {
  const big = frameBuffer(1 << 20);
  assert.is(big.length, 1 << 20);
  assert.is(big.byteOffset, 0);
  assert.is(big.buffer.byteLength, 1 << 20);
  assert.ok(big.every((b) => b === 0));
});

test.run();
