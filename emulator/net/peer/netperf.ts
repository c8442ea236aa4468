// The peer's side of a netperf TCP_STREAM run. As the sender (the guest receives) it writes
// messageBytes at a time into the socket until transferBytes are written, then closes; as the
// receiver (the guest sends) it reads everything and closes when the sender does. Every byte of
// the stream is the pattern of pattern.ts; the receiver checks each byte at its offset.
//
// The measured interval runs from the connection's establishment to its close (our FIN and the
// other side's both done), as netperf times a -l -BYTES run from the first send to the close.
// Throughput is in netperf's -f M unit: 2^20 bytes per second.
import type { TimeBase } from '../seams.ts';
import type { Host } from './host.ts';
import { checkPattern, fillPattern } from './pattern.ts';
import type { TcpConfig, TcpConnection, TcpStats } from './tcp.ts';

export type NetperfRole = 'send' | 'receive';

export interface NetperfOptions {
  /** 'send': the peer sends and the guest receives; 'receive': the guest sends. */
  role: NetperfRole;
  transferBytes: number;
  /** Size of each send (netperf -m); the receiver consumes data as it arrives. */
  messageBytes?: number;
  /** 'active': the peer connects to remoteIp:remotePort; 'passive': it listens on localPort. */
  open: 'active' | 'passive';
  remoteIp: number;
  remotePort: number;
  localPort: number;
  tcp?: Partial<TcpConfig>;
  /** Called as the measured interval starts (connection established) and ends (closed). */
  onStart?: () => void;
  onEnd?: () => void;
}

export interface NetperfResult {
  role: NetperfRole;
  transferBytes: number;
  /** Bytes acknowledged (sender) or received in order (receiver). */
  bytes: number;
  /** Receiver: every byte matched the pattern and exactly transferBytes arrived. Sender: all acked. */
  verified: boolean;
  /** Stream offset of the first byte that did not match the pattern, or -1. */
  firstBadOffset: number;
  startNs: number;
  endNs: number;
  elapsedNs: number;
  /** 2^20 bytes per second of virtual time. */
  mibPerSec: number;
  reset: boolean;
  tcp: TcpStats;
}

export class NetperfPeer {
  private conn: TcpConnection | undefined;
  private written = 0;
  private received = 0;
  private firstBad = -1;
  private startNs = -1;
  private endNs = -1;
  private reset = false;
  private closed = false;
  private readonly messageBytes: number;

  constructor(private readonly host: Host, private readonly time: TimeBase, private readonly opts: NetperfOptions) {
    if (!(opts.transferBytes > 0) || !Number.isInteger(opts.transferBytes)) {
      throw new Error(`netperf: transferBytes must be a positive integer, got ${opts.transferBytes}`);
    }
    this.messageBytes = opts.messageBytes ?? 32768;
    if (!(this.messageBytes > 0)) throw new Error(`netperf: messageBytes must be positive, got ${this.messageBytes}`);
  }

  start(): void {
    if (this.opts.open === 'active') {
      this.wire(this.host.connect(this.opts.remoteIp, this.opts.remotePort, this.opts.localPort, this.opts.tcp));
    } else {
      this.host.listen(this.opts.localPort, (c) => {
        if (!this.conn) this.wire(c);
      }, this.opts.tcp);
    }
  }

  get done(): boolean {
    return this.closed;
  }

  private wire(c: TcpConnection): void {
    this.conn = c;
    c.app = {
      onEstablished: () => {
        this.startNs = this.time.nowNs();
        this.opts.onStart?.();
        if (this.opts.role === 'send') this.pump();
      },
      onWritable: () => this.pump(),
      source: (off, dst, dstOff, len) => fillPattern(dst, dstOff, off, len),
      onData: (off, buf, start, len) => this.take(off, buf, start, len),
      onPeerFin: () => {
        if (this.opts.role === 'receive') c.close();
      },
      onClosed: (reset) => {
        this.reset = reset;
        this.closed = true;
        this.endNs = this.time.nowNs();
        this.opts.onEnd?.();
      },
    };
  }

  /** Writes whole messages while the socket buffer has room, then closes after the last. */
  private pump(): void {
    const c = this.conn!;
    const total = this.opts.transferBytes;
    while (this.written < total) {
      const m = Math.min(this.messageBytes, total - this.written);
      if (c.sendSpace() < m) return;
      this.written += c.write(m);
    }
    c.close();
  }

  private take(off: number, buf: Uint8Array, start: number, len: number): void {
    if (this.firstBad < 0) {
      const inRange = Math.max(0, Math.min(len, this.opts.transferBytes - off));
      const bad = checkPattern(buf, start, off, inRange);
      if (bad >= 0) this.firstBad = off + bad;
      else if (inRange < len) this.firstBad = this.opts.transferBytes; // more than was sent
    }
    this.received = off + len;
  }

  result(): NetperfResult {
    const c = this.conn;
    const send = this.opts.role === 'send';
    const bytes = send ? (c?.bytesAcked ?? 0) : this.received;
    const end = this.endNs >= 0 ? this.endNs : this.time.nowNs();
    const elapsed = this.startNs >= 0 ? end - this.startNs : 0;
    return {
      role: this.opts.role,
      transferBytes: this.opts.transferBytes,
      bytes,
      verified: this.closed && !this.reset && bytes === this.opts.transferBytes && this.firstBad < 0,
      firstBadOffset: this.firstBad,
      startNs: this.startNs,
      endNs: end,
      elapsedNs: elapsed,
      mibPerSec: elapsed > 0 ? bytes / 2 ** 20 / (elapsed / 1e9) : 0,
      reset: this.reset,
      tcp: c ? { ...c.stats } : emptyStats(),
    };
  }
}

function emptyStats(): TcpStats {
  return { segsOut: 0, segsIn: 0, dataSegsOut: 0, bytesOut: 0, retransmits: 0, timeouts: 0, fastRetransmits: 0, dupAcksIn: 0, outOfOrderIn: 0, duplicateIn: 0, windowProbes: 0, zeroWindowsOut: 0 };
}
