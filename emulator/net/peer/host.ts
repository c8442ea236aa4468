// A host on the wire for the peer side: one Ethernet interface with one IPv4 address, ARP
// (answering for itself, resolving others, learning from requests aimed at it), and TCP
// connections demultiplexed by address and ports. Without a `cpu`, each received frame costs a
// fixed processing time, frames are handled one after another, and sending is instant (the wire's
// transmitter queues). With a `cpu` (client-cpu.ts), every frame received or sent takes its time
// on one CPU timeline, so the host's own processing paces what it sends and acknowledges.
// Frames with a bad IP or TCP checksum are dropped and counted.
import { transportChecksum, transportValid } from '../checksum.ts';
import type { LinkPort, TimeBase } from '../seams.ts';
import { ARP_REPLY, ARP_REQUEST, buildArp, parseArp } from './arp.ts';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETH_HEADER, etherType, macEquals, newFrame } from './ethernet.ts';
import { IP_HEADER, PROTO_TCP, parseIp4, readU32, writeIpHeader, writeU32 } from './ipv4.ts';
import { ACK, RST, SYN, TcpConnection, defaultTcpConfig } from './tcp.ts';
import type { TcpConfig, TcpIn, TcpOut } from './tcp.ts';
import { clientFrameNs, type ClientCpu } from './client-cpu.ts';

export interface HostOptions {
  time: TimeBase;
  port: LinkPort;
  mac: Uint8Array;
  ip: number;
  /** Time to handle one received frame, in ns of wire time, when no `cpu` is given. */
  processingNs?: number;
  /** The host's CPU: each frame in and out costs its time on one timeline. */
  cpu?: ClientCpu;
  /** Interval between ARP requests while resolving, in ns. */
  arpRetryNs?: number;
}

export interface HostStats {
  framesIn: number;
  framesOut: number;
  badChecksums: number;
  arpRequestsOut: number;
  rstOut: number;
}

interface Binding { conn: TcpConnection; remoteIp: number; remotePort: number; localPort: number }

export class Host {
  readonly stats: HostStats = { framesIn: 0, framesOut: 0, badChecksums: 0, arpRequestsOut: 0, rstOut: 0 };
  private readonly arp = new Map<number, Uint8Array>();
  private readonly waitingForArp = new Map<number, (() => void)[]>();
  private readonly conns = new Map<string, Binding>();
  private readonly listeners = new Map<number, { cfg: Partial<TcpConfig>; accept: (c: TcpConnection) => void }>();
  private readonly time: TimeBase;
  private readonly port: LinkPort;
  private busyUntilNs = 0;
  private ipId = 0;

  constructor(private readonly opts: HostOptions) {
    this.time = opts.time;
    this.port = opts.port;
    this.port.onReceive = (f) => this.arrive(f);
  }

  get mac(): Uint8Array { return this.opts.mac; }
  get ip(): number { return this.opts.ip; }

  // ---- TCP endpoints ------------------------------------------------------------------------

  /** Opens a connection: ARP for the remote address first, then SYN. */
  connect(remoteIp: number, remotePort: number, localPort: number, cfg: Partial<TcpConfig> = {}): TcpConnection {
    const conn = this.bind(remoteIp, remotePort, localPort, cfg);
    this.resolve(remoteIp, () => conn.connect());
    return conn;
  }

  /** Accepts connections to localPort; accept sees each new connection before its first segment. */
  listen(localPort: number, accept: (c: TcpConnection) => void, cfg: Partial<TcpConfig> = {}): void {
    this.listeners.set(localPort, { cfg, accept });
  }

  private bind(remoteIp: number, remotePort: number, localPort: number, cfg: Partial<TcpConfig>): TcpConnection {
    const full: TcpConfig = { ...defaultTcpConfig, iss: deterministicIss(this.ip, localPort, remoteIp, remotePort), ...cfg };
    const b: Binding = { conn: undefined as unknown as TcpConnection, remoteIp, remotePort, localPort };
    b.conn = new TcpConnection(this.time, full, (seg) => this.sendTcp(b, seg));
    this.conns.set(key(remoteIp, remotePort, localPort), b);
    return b.conn;
  }

  // ---- ARP ----------------------------------------------------------------------------------

  /** Runs then() once the remote MAC is known, asking every arpRetryNs until it is. */
  resolve(ip: number, then: () => void): void {
    if (this.arp.has(ip)) return then();
    const q = this.waitingForArp.get(ip);
    if (q) {
      q.push(then);
      return;
    }
    this.waitingForArp.set(ip, [then]);
    const ask = (): void => {
      if (!this.waitingForArp.has(ip)) return;
      this.stats.arpRequestsOut++;
      this.transmit(buildArp(ARP_REQUEST, this.mac, this.ip, undefined, ip));
      this.time.atNs(this.time.nowNs() + (this.opts.arpRetryNs ?? 1e9), ask);
    };
    ask();
  }

  /** A static ARP entry (as `arp -s` makes): no request is sent for ip. */
  addArp(ip: number, mac: Uint8Array): void {
    this.learn(ip, mac.slice());
  }

  private learn(ip: number, mac: Uint8Array): void {
    this.arp.set(ip, mac);
    const q = this.waitingForArp.get(ip);
    if (!q) return;
    this.waitingForArp.delete(ip);
    for (const f of q) f();
  }

  // ---- frames in ----------------------------------------------------------------------------

  private arrive(f: Uint8Array): void {
    const proc = this.opts.cpu ? clientFrameNs(this.opts.cpu, 'rx', tcpPayload(f)) : this.opts.processingNs ?? 1000;
    if (proc <= 0) return this.handle(f);
    const at = Math.max(this.time.nowNs(), this.busyUntilNs) + proc;
    this.busyUntilNs = at;
    this.time.atNs(at, () => this.handle(f));
  }

  private handle(f: Uint8Array): void {
    this.stats.framesIn++;
    if (f.length < ETH_HEADER) return;
    const unicastToUs = macEquals(f, 0, this.mac);
    const broadcast = f[0] === 0xff && f[1] === 0xff && f[2] === 0xff && f[3] === 0xff && f[4] === 0xff && f[5] === 0xff;
    if (!unicastToUs && !broadcast) return;
    const type = etherType(f);
    if (type === ETHERTYPE_ARP) return this.handleArp(f);
    if (type !== ETHERTYPE_IPV4 || !unicastToUs) return;
    const ip = parseIp4(f);
    if (!ip) {
      this.stats.badChecksums++;
      return;
    }
    if (ip.dst !== this.ip || ip.proto !== PROTO_TCP) return;
    if (ip.len < 20 || !transportValid(f, ETH_HEADER, ip.off, ip.len, PROTO_TCP)) {
      this.stats.badChecksums++;
      return;
    }
    this.handleTcp(f, ip.src, ip.off, ip.len);
  }

  private handleArp(f: Uint8Array): void {
    const a = parseArp(f);
    if (!a || a.targetIp !== this.ip) return;
    this.learn(a.senderIp, a.senderMac);
    if (a.op === ARP_REQUEST) this.transmit(buildArp(ARP_REPLY, this.mac, this.ip, a.senderMac, a.senderIp));
  }

  private handleTcp(f: Uint8Array, src: number, off: number, len: number): void {
    const srcPort = (f[off]! << 8) | f[off + 1]!;
    const dstPort = (f[off + 2]! << 8) | f[off + 3]!;
    const hlen = (f[off + 12]! >> 4) * 4;
    if (hlen < 20 || hlen > len) return;
    const seg: TcpIn = {
      seq: readU32(f, off + 4),
      ack: readU32(f, off + 8),
      flags: f[off + 13]! & 0x3f,
      window: (f[off + 14]! << 8) | f[off + 15]!,
      buf: f,
      dataOff: off + hlen,
      dataLen: len - hlen,
    };
    parseOptions(f, off + 20, off + hlen, seg);
    let b = this.conns.get(key(src, srcPort, dstPort));
    if (!b) {
      const l = this.listeners.get(dstPort);
      if (l && seg.flags & SYN && !(seg.flags & ACK)) {
        const conn = this.bind(src, srcPort, dstPort, l.cfg);
        conn.listen();
        l.accept(conn);
        b = this.conns.get(key(src, srcPort, dstPort))!;
      } else {
        if (!(seg.flags & RST)) this.sendReset(src, srcPort, dstPort, seg);
        return;
      }
    }
    b.conn.input(seg);
  }

  // ---- frames out ---------------------------------------------------------------------------

  private transmit(f: Uint8Array): void {
    this.stats.framesOut++;
    const cpu = this.opts.cpu;
    if (!cpu) return this.port.send(f);
    // The frame leaves once the CPU has built it, after whatever it is busy with.
    const at = Math.max(this.time.nowNs(), this.busyUntilNs) + clientFrameNs(cpu, 'tx', tcpPayload(f));
    this.busyUntilNs = at;
    this.time.atNs(at, () => this.port.send(f));
  }

  private sendTcp(b: Binding, seg: TcpOut): void {
    const mac = this.arp.get(b.remoteIp);
    if (!mac) {
      this.resolve(b.remoteIp, () => this.sendTcp(b, seg));
      return;
    }
    const optLen = seg.mss !== undefined ? (seg.wscale !== undefined ? 8 : 4) : 0;
    const tcpLen = 20 + optLen + seg.dataLen;
    const f = newFrame(mac, this.mac, ETHERTYPE_IPV4, IP_HEADER + tcpLen);
    writeIpHeader(f, IP_HEADER + tcpLen, this.ipId++ & 0xffff, PROTO_TCP, this.ip, b.remoteIp);
    const t = ETH_HEADER + IP_HEADER;
    writeTcpHeader(f, t, b.localPort, b.remotePort, seg, optLen);
    if (seg.dataLen > 0) b.conn.readPayload(seg.streamOff, f, t + 20 + optLen, seg.dataLen);
    const c = transportChecksum(f, ETH_HEADER, t, tcpLen, PROTO_TCP);
    f[t + 16] = c >> 8;
    f[t + 17] = c & 0xff;
    this.transmit(f);
  }

  private sendReset(ip: number, remotePort: number, localPort: number, seg: TcpIn): void {
    const mac = this.arp.get(ip);
    if (!mac) return;
    this.stats.rstOut++;
    const synFin = (seg.flags & SYN ? 1 : 0) + (seg.flags & 0x01 ? 1 : 0);
    const out: TcpOut = seg.flags & ACK
      ? { seq: seg.ack, ack: 0, flags: RST, window: 0, streamOff: 0, dataLen: 0 }
      : { seq: 0, ack: (seg.seq + seg.dataLen + synFin) >>> 0, flags: RST | ACK, window: 0, streamOff: 0, dataLen: 0 };
    const f = newFrame(mac, this.mac, ETHERTYPE_IPV4, IP_HEADER + 20);
    writeIpHeader(f, IP_HEADER + 20, this.ipId++ & 0xffff, PROTO_TCP, this.ip, ip);
    const t = ETH_HEADER + IP_HEADER;
    writeTcpHeader(f, t, localPort, remotePort, out, 0);
    const c = transportChecksum(f, ETH_HEADER, t, 20, PROTO_TCP);
    f[t + 16] = c >> 8;
    f[t + 17] = c & 0xff;
    this.transmit(f);
  }
}

/** TCP payload bytes of an Ethernet/IPv4/TCP frame (0 for anything else). */
function tcpPayload(f: Uint8Array): number {
  if (f.length < ETH_HEADER + IP_HEADER + 20 || etherType(f) !== ETHERTYPE_IPV4) return 0;
  const ihl = (f[ETH_HEADER]! & 0x0f) * 4;
  if (f[ETH_HEADER + 9] !== PROTO_TCP) return 0;
  const total = (f[ETH_HEADER + 2]! << 8) | f[ETH_HEADER + 3]!;
  const thl = (f[ETH_HEADER + ihl + 12]! >> 4) * 4;
  return Math.max(0, total - ihl - thl);
}

function key(ip: number, remotePort: number, localPort: number): string {
  return `${ip}:${remotePort}:${localPort}`;
}

/** An initial sequence number from the addresses and ports: deterministic, different per flow. */
export function deterministicIss(localIp: number, localPort: number, remoteIp: number, remotePort: number): number {
  let h = 0x811c9dc5;
  for (const v of [localIp, localPort, remoteIp, remotePort]) h = Math.imul(h ^ (v >>> 0), 0x01000193) >>> 0;
  return h >>> 0;
}

function writeTcpHeader(f: Uint8Array, t: number, srcPort: number, dstPort: number, seg: TcpOut, optLen: number): void {
  f[t] = srcPort >> 8;
  f[t + 1] = srcPort & 0xff;
  f[t + 2] = dstPort >> 8;
  f[t + 3] = dstPort & 0xff;
  writeU32(f, t + 4, seg.seq);
  writeU32(f, t + 8, seg.ack);
  f[t + 12] = ((20 + optLen) / 4) << 4;
  f[t + 13] = seg.flags;
  f[t + 14] = seg.window >> 8;
  f[t + 15] = seg.window & 0xff;
  if (seg.mss !== undefined) {
    f[t + 20] = 2;
    f[t + 21] = 4;
    f[t + 22] = seg.mss >> 8;
    f[t + 23] = seg.mss & 0xff;
    if (seg.wscale !== undefined) {
      f[t + 24] = 1; // NOP
      f[t + 25] = 3;
      f[t + 26] = 3;
      f[t + 27] = seg.wscale;
    }
  }
}

function parseOptions(f: Uint8Array, i: number, end: number, seg: TcpIn): void {
  while (i < end) {
    const kind = f[i]!;
    if (kind === 0) return;
    if (kind === 1) {
      i++;
      continue;
    }
    const len = f[i + 1] ?? 0;
    if (len < 2 || i + len > end) return;
    if (kind === 2 && len === 4) seg.mss = (f[i + 2]! << 8) | f[i + 3]!;
    if (kind === 3 && len === 3) seg.wscale = f[i + 2]!;
    i += len;
  }
}
