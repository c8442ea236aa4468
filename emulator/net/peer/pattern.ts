// The data pattern carried by netperf transfers, checked end to end. Byte i of a stream is byte
// (i mod 4) of the little-endian 32-bit word  k * 0x9E3779B1  with k = floor(i / 4) mod 2^32:
// cheap to compute in TypeScript and in guest C, and a lost, duplicated or reordered segment
// changes the bytes found at an offset.

export function patternWord(k: number): number {
  return Math.imul(k >>> 0, 0x9e3779b1) >>> 0;
}

export function patternByte(i: number): number {
  return (patternWord(Math.floor(i / 4)) >>> ((i % 4) * 8)) & 0xff;
}

/** Writes stream bytes [streamOff, streamOff+len) into dst at dstOff. */
export function fillPattern(dst: Uint8Array, dstOff: number, streamOff: number, len: number): void {
  let i = 0;
  let k = Math.floor(streamOff / 4);
  let shift = (streamOff % 4) * 8;
  let w = patternWord(k);
  while (i < len) {
    dst[dstOff + i++] = (w >>> shift) & 0xff;
    shift += 8;
    if (shift === 32) {
      shift = 0;
      w = patternWord(++k);
    }
  }
}

/** The index in [0, len) of the first byte that differs from the pattern, or -1. */
export function checkPattern(src: Uint8Array, srcOff: number, streamOff: number, len: number): number {
  let i = 0;
  let k = Math.floor(streamOff / 4);
  let shift = (streamOff % 4) * 8;
  let w = patternWord(k);
  while (i < len) {
    if (src[srcOff + i] !== ((w >>> shift) & 0xff)) return i;
    i++;
    shift += 8;
    if (shift === 32) {
      shift = 0;
      w = patternWord(++k);
    }
  }
  return -1;
}
