// ARP for IPv4 over Ethernet (RFC 826): requests, replies, and parsing them.
import { BROADCAST, ETH_HEADER, ETHERTYPE_ARP, newFrame } from './ethernet.ts';
import { readU32, writeU32 } from './ipv4.ts';

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;

export interface ArpPacket {
  op: number;
  senderMac: Uint8Array;
  senderIp: number;
  targetMac: Uint8Array;
  targetIp: number;
}

export function buildArp(op: number, srcMac: Uint8Array, srcIp: number, dstMac: Uint8Array | undefined, dstIp: number): Uint8Array {
  const f = newFrame(op === ARP_REQUEST ? BROADCAST : dstMac!, srcMac, ETHERTYPE_ARP, 28);
  const o = ETH_HEADER;
  f[o + 1] = 1;       // hardware type Ethernet
  f[o + 2] = 0x08;    // protocol type IPv4
  f[o + 4] = 6;
  f[o + 5] = 4;
  f[o + 7] = op;
  f.set(srcMac, o + 8);
  writeU32(f, o + 14, srcIp);
  if (dstMac && op === ARP_REPLY) f.set(dstMac, o + 18);
  writeU32(f, o + 24, dstIp);
  return f;
}

export function parseArp(f: Uint8Array): ArpPacket | undefined {
  const o = ETH_HEADER;
  if (f.length < o + 28) return undefined;
  if (f[o] !== 0 || f[o + 1] !== 1 || f[o + 2] !== 0x08 || f[o + 3] !== 0 || f[o + 4] !== 6 || f[o + 5] !== 4) return undefined;
  return {
    op: (f[o + 6]! << 8) | f[o + 7]!,
    senderMac: f.slice(o + 8, o + 14),
    senderIp: readU32(f, o + 14),
    targetMac: f.slice(o + 18, o + 24),
    targetIp: readU32(f, o + 24),
  };
}
