// Ethernet II framing for the peer: header layout, addresses, and the 60-byte minimum (the
// wire adds the FCS to its timing; frames here never carry one).
import { frameBuffer } from '../frame-buffer.ts';

export const ETH_HEADER = 14;
export const ETH_MIN_FRAME = 60;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const BROADCAST = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

/** A frame with room for payloadLen bytes after the header, padded to the minimum. */
export function newFrame(dst: Uint8Array, src: Uint8Array, type: number, payloadLen: number): Uint8Array {
  const f = frameBuffer(Math.max(ETH_HEADER + payloadLen, ETH_MIN_FRAME));
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = type >> 8;
  f[13] = type & 0xff;
  return f;
}

export function etherType(f: Uint8Array): number {
  return (f[12]! << 8) | f[13]!;
}

export function macEquals(f: Uint8Array, off: number, mac: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (f[off + i] !== mac[i]) return false;
  return true;
}

export function parseMac(s: string): Uint8Array {
  const parts = s.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new Error(`bad MAC address '${s}': expected six hex pairs like 02:00:00:00:00:01`);
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}
