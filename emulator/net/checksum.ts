// The Internet checksum (RFC 1071) and the IPv4/TCP/UDP checksums built on it. Shared by the
// peer's stack and by the NIC's checksum offload. Hot path: plain loops over byte pairs.

/** One's-complement sum of bytes [off, off+len) as 16-bit big-endian words, folded to 16 bits. */
export function sum16(buf: Uint8Array, off: number, len: number, initial = 0): number {
  if (len >= WORDS_FROM && LITTLE_ENDIAN && ((buf.byteOffset + off) & 1) === 0) return sum16Words(buf, off, len, initial);
  // Two words per iteration; the sum stays far below 2^53 for any frame, so fold once at the end.
  let s = initial;
  let i = off;
  const end4 = off + (len & ~3);
  for (; i < end4; i += 4) s += ((buf[i]! << 8) | buf[i + 1]!) + ((buf[i + 2]! << 8) | buf[i + 3]!);
  if (len & 2) {
    s += (buf[i]! << 8) | buf[i + 1]!;
    i += 2;
  }
  if (len & 1) s += buf[i]! << 8;
  return fold16(s);
}

/** Folds a non-negative sum (below 2^53) to 16 bits: a value in [1, 0xffff] congruent to it mod 0xffff, or 0 for 0. */
function fold16(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

function swap16(x: number): number {
  return ((x & 0xff) << 8) | (x >>> 8);
}

/** Whether a Uint32Array reads memory little-endian (sum16Words relies on it). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
/** Below this many bytes the byte loop is cheaper than making a word view. */
const WORDS_FROM = 64;

/**
 * sum16 over an even start, a 32-bit word per step (frames: a TCP segment starts 34 bytes into
 * its frame). Modulo 0xffff, 2^16 is 1, so a 32-bit word adds its two 16-bit halves, and a
 * little-endian half is the big-endian word byte-swapped, which is the big-endian word times 2^8;
 * so the little-endian sum, with the initial sum byte-swapped into it, is the big-endian sum
 * times 2^8, and a byte swap of the folded result (times 2^8 again: 2^16 is 1) gives it back. A
 * fold keeps zero apart from 0xffff exactly as sum16's own (both are zero only for all-zero
 * input and initial sum).
 */
function sum16Words(buf: Uint8Array, off: number, len: number, initial: number): number {
  let s = swap16(fold16(initial));
  let i = off;
  if (((buf.byteOffset + i) & 3) !== 0) {
    s += buf[i]! | (buf[i + 1]! << 8);
    i += 2;
    len -= 2;
  }
  const n = len >>> 2;
  const words = new Uint32Array(buf.buffer, buf.byteOffset + i, n);
  for (let k = 0; k < n; k++) s += words[k]!;
  i += n << 2;
  if (len & 2) {
    s += buf[i]! | (buf[i + 1]! << 8);
    i += 2;
  }
  if (len & 1) s += buf[i]!;
  return swap16(fold16(s));
}

/** The IPv4 header checksum field value for the header at off (its checksum field must be 0). */
export function ipHeaderChecksum(buf: Uint8Array, off: number, headerLen: number): number {
  return ~sum16(buf, off, headerLen) & 0xffff;
}

/**
 * The checksum field value for a TCP or UDP segment at segOff of segLen bytes inside an IPv4
 * packet whose header starts at ipOff (its checksum field must be 0).
 */
export function transportChecksum(buf: Uint8Array, ipOff: number, segOff: number, segLen: number, proto: number): number {
  let s = sum16(buf, ipOff + 12, 8); // source and destination addresses
  s += proto + segLen;
  s = sum16(buf, segOff, segLen, s);
  return ~s & 0xffff;
}

/** True if the IPv4 header at off checks (its one's-complement sum including the field is 0xffff). */
export function ipHeaderValid(buf: Uint8Array, off: number, headerLen: number): boolean {
  return sum16(buf, off, headerLen) === 0xffff;
}

/** True if the TCP/UDP segment checks, field included. */
export function transportValid(buf: Uint8Array, ipOff: number, segOff: number, segLen: number, proto: number): boolean {
  let s = sum16(buf, ipOff + 12, 8);
  s += proto + segLen;
  return sum16(buf, segOff, segLen, s) === 0xffff;
}

let crcTable: Uint32Array | undefined;

/** The Ethernet FCS (CRC-32, reflected, polynomial 0x04C11DB7) of buf, as the 4 bytes sent last. */
export function ethernetFcs(buf: Uint8Array): Uint8Array {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = crcTable[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  c = ~c >>> 0;
  return Uint8Array.of(c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, c >>> 24);
}
