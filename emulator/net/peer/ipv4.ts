// IPv4 for the peer: addresses as 32-bit numbers, a 20-byte header without options, and the
// checks a receiving host makes (version, length, header checksum, no fragments).
import { ipHeaderChecksum, ipHeaderValid } from '../checksum.ts';
import { ETH_HEADER } from './ethernet.ts';

export const IP_HEADER = 20;
export const PROTO_TCP = 6;

export function parseIp(s: string): number {
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new Error(`bad IPv4 address '${s}': expected a dotted quad like 10.0.0.1`);
  }
  return parts.reduce((a, p) => a * 256 + Number(p), 0) >>> 0;
}

export function formatIp(a: number): string {
  return [a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff].join('.');
}

export function readU32(f: Uint8Array, off: number): number {
  return ((f[off]! << 24) | (f[off + 1]! << 16) | (f[off + 2]! << 8) | f[off + 3]!) >>> 0;
}

export function writeU32(f: Uint8Array, off: number, v: number): void {
  f[off] = v >>> 24;
  f[off + 1] = (v >>> 16) & 0xff;
  f[off + 2] = (v >>> 8) & 0xff;
  f[off + 3] = v & 0xff;
}

/** Writes an IPv4 header (DF set, TTL 64) at the start of the frame's payload. */
export function writeIpHeader(f: Uint8Array, totalLen: number, id: number, proto: number, src: number, dst: number): void {
  const o = ETH_HEADER;
  f[o] = 0x45;
  f[o + 1] = 0;
  f[o + 2] = totalLen >> 8;
  f[o + 3] = totalLen & 0xff;
  f[o + 4] = (id >> 8) & 0xff;
  f[o + 5] = id & 0xff;
  f[o + 6] = 0x40; // don't fragment
  f[o + 7] = 0;
  f[o + 8] = 64;
  f[o + 9] = proto;
  f[o + 10] = 0;
  f[o + 11] = 0;
  writeU32(f, o + 12, src);
  writeU32(f, o + 16, dst);
  const c = ipHeaderChecksum(f, o, IP_HEADER);
  f[o + 10] = c >> 8;
  f[o + 11] = c & 0xff;
}

export interface IpPacket {
  src: number;
  dst: number;
  proto: number;
  /** Offset of the transport header in the frame and the transport length. */
  off: number;
  len: number;
}

/** The IPv4 packet in a frame, or undefined if it is malformed, fragmented or fails its checksum. */
export function parseIp4(f: Uint8Array): IpPacket | undefined {
  const o = ETH_HEADER;
  if (f.length < o + IP_HEADER || f[o]! >> 4 !== 4) return undefined;
  const ihl = (f[o]! & 0xf) * 4;
  const total = (f[o + 2]! << 8) | f[o + 3]!;
  if (ihl < IP_HEADER || total < ihl || o + total > f.length) return undefined;
  if (((f[o + 6]! & 0x3f) << 8 | f[o + 7]!) !== 0) return undefined; // fragments: not needed here
  if (!ipHeaderValid(f, o, ihl)) return undefined;
  return { src: readU32(f, o + 12), dst: readU32(f, o + 16), proto: f[o + 9]!, off: o + ihl, len: total - ihl };
}
