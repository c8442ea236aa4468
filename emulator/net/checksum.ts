// The Internet checksum (RFC 1071) and the IPv4/TCP/UDP checksums built on it. Shared by the
// peer's stack and by the NIC's checksum offload. Hot path: plain loops over byte pairs.

/** One's-complement sum of bytes [off, off+len) as 16-bit big-endian words, folded to 16 bits. */
export function sum16(buf: Uint8Array, off: number, len: number, initial = 0): number {
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
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
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
