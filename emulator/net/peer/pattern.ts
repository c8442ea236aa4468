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

// Hot path: the stream's bytes come from one period of it, built on first use, so a fill is a
// copy and a check a native compare of slices (Buffer.compare), and only a mismatch is searched
// byte by byte.
let period: Uint8Array | undefined;

/** Bytes [0, PATTERN_PERIOD) of the stream. */
function periodBytes(): Uint8Array {
  if (period === undefined) {
    const p = new Uint8Array(PATTERN_PERIOD);
    const view = new DataView(p.buffer);
    for (let k = 0; k < PATTERN_PERIOD / 4; k++) view.setUint32(4 * k, patternWord(k), true);
    period = p;
  }
  return period;
}

/** Writes stream bytes [streamOff, streamOff+len) into dst at dstOff. */
export function fillPattern(dst: Uint8Array, dstOff: number, streamOff: number, len: number): void {
  const p = periodBytes();
  let at = streamOff % PATTERN_PERIOD;
  for (let i = 0; i < len;) {
    const n = Math.min(len - i, PATTERN_PERIOD - at);
    dst.set(p.subarray(at, at + n), dstOff + i);
    i += n;
    at = 0;
  }
}

/** The index in [0, len) of the first byte that differs from the pattern, or -1. */
export function checkPattern(src: Uint8Array, srcOff: number, streamOff: number, len: number): number {
  const p = periodBytes();
  let at = streamOff % PATTERN_PERIOD;
  for (let i = 0; i < len;) {
    const n = Math.min(len - i, PATTERN_PERIOD - at);
    if (Buffer.compare(src.subarray(srcOff + i, srcOff + i + n), p.subarray(at, at + n)) !== 0) {
      for (let j = 0; j < n; j++) if (src[srcOff + i + j] !== p[at + j]) return i + j;
    }
    i += n;
    at = 0;
  }
  return -1;
}
