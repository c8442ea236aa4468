// The data pattern carried by netperf transfers, checked end to end. Byte i of a stream is byte
// (i mod 4) of the little-endian 32-bit word  k * 0x9E3779B1  with k = floor(i / 4) mod 2^16:
// cheap to compute in TypeScript and in guest C, and a lost, duplicated or reordered segment
// changes the bytes found at an offset. The stream repeats every PATTERN_PERIOD (256 KiB, about
// netperf's ring of send buffers for a 256 KiB socket buffer), so the guest's netperf can fill
// its buffer once and send slices of it, as netperf does, without writing every word per send.

/** Bytes after which the pattern repeats. */
export const PATTERN_PERIOD = 1 << 18;

export function patternWord(k: number): number {
  return Math.imul(k & 0xffff, 0x9e3779b1) >>> 0;
}

export function patternByte(i: number): number {
  return (patternWord(Math.floor(i / 4)) >>> ((i % 4) * 8)) & 0xff;
}

// Hot path: whole words go through a DataView (unaligned, little-endian); the ragged ends by byte.

/** Writes stream bytes [streamOff, streamOff+len) into dst at dstOff. */
export function fillPattern(dst: Uint8Array, dstOff: number, streamOff: number, len: number): void {
  let i = 0;
  while (i < len && (streamOff + i) % 4 !== 0) {
    dst[dstOff + i] = patternByte(streamOff + i);
    i++;
  }
  const view = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  let k = Math.floor((streamOff + i) / 4);
  for (; i + 4 <= len; i += 4) view.setUint32(dstOff + i, patternWord(k++), true);
  for (; i < len; i++) dst[dstOff + i] = patternByte(streamOff + i);
}

/** The index in [0, len) of the first byte that differs from the pattern, or -1. */
export function checkPattern(src: Uint8Array, srcOff: number, streamOff: number, len: number): number {
  let i = 0;
  while (i < len && (streamOff + i) % 4 !== 0) {
    if (src[srcOff + i] !== patternByte(streamOff + i)) return i;
    i++;
  }
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  let k = Math.floor((streamOff + i) / 4);
  for (; i + 4 <= len; i += 4) {
    if (view.getUint32(srcOff + i, true) !== patternWord(k++)) break;
  }
  for (; i < len; i++) if (src[srcOff + i] !== patternByte(streamOff + i)) return i;
  return -1;
}
