// One TCP connection (RFC 793/9293 state machine) with the behaviour a 2005 Linux peer shows on
// a bulk transfer: MSS and window-scale options, cumulative ACKs, delayed ACK every second
// full segment (or after a timer), an honestly advertised receive window, out-of-order
// reassembly, retransmission timeout with RFC 6298 estimation and exponential backoff, NewReno
// fast retransmit / fast recovery on three duplicate ACKs (RFC 5681, 6582), Nagle, zero-window
// probing. No SACK, no timestamps, no urgent data.
//
// Sequence numbers are kept as offsets from the initial sequence number (SYN = 0, data byte k =
// 1 + k, FIN = 1 + length) in plain numbers, so streams past 4 GiB need no modular arithmetic;
// only the wire fields wrap. Payload bytes never sit in a send buffer: the application supplies
// them on demand through `source` (netperf's data is a pattern), which keeps the peer fast.
import type { TimeBase } from '../seams.ts';
import { WIDE_COUNT } from '../../clock.ts';

export const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;

export type TcpState = 'CLOSED' | 'LISTEN' | 'SYN_SENT' | 'SYN_RCVD' | 'ESTABLISHED' | 'FIN_WAIT_1'
  | 'FIN_WAIT_2' | 'CLOSE_WAIT' | 'CLOSING' | 'LAST_ACK' | 'TIME_WAIT';

export interface TcpConfig {
  mss: number;             // the MSS we announce and the most we send
  sndbuf: number;          // bytes the application may have written but not yet had acknowledged
  rcvbuf: number;          // receive buffer: the most we advertise
  windowScaling: boolean;  // offer RFC 7323 window scaling
  iss: number;             // initial send sequence number (deterministic, chosen by the host)
  initialRtoNs: number;
  minRtoNs: number;
  maxRtoNs: number;
  delayedAckNs: number;
  ackEvery: number;        // full-sized segments per delayed ACK
}

export const defaultTcpConfig: TcpConfig = {
  mss: 1460,
  sndbuf: 262144,
  rcvbuf: 262144,
  windowScaling: true,
  iss: 0x10000000,
  initialRtoNs: 1e9,
  minRtoNs: 200e6,
  maxRtoNs: 60e9,
  delayedAckNs: 40e6,
  ackEvery: 2,
};

/** The header fields segments in and out share (mss and wscale: the SYN options). */
export interface TcpHeader {
  seq: number;
  ack: number;
  flags: number;
  window: number;
  mss?: number;
  wscale?: number;
}

/** A segment as the host hands it in: fields decoded, payload as a view into the frame. */
export interface TcpIn extends TcpHeader {
  buf: Uint8Array;
  dataOff: number;
  dataLen: number;
}

/** A segment the connection asks the host to send; payload bytes come from readPayload. */
export interface TcpOut extends TcpHeader {
  /** Stream offset (data byte index) and length of the payload, 0 for none. */
  streamOff: number;
  dataLen: number;
}

export interface TcpApp {
  /** Writes stream bytes [streamOff, streamOff+len) to dst at dstOff (sender side). */
  source?(streamOff: number, dst: Uint8Array, dstOff: number, len: number): void;
  /** Send buffer space grew. */
  onWritable?(): void;
  /** In-order bytes for the application (receiver side). */
  onData?(streamOff: number, buf: Uint8Array, off: number, len: number): void;
  onEstablished?(): void;
  /** The peer sent FIN: no more data will come. */
  onPeerFin?(): void;
  /** The connection reached TIME_WAIT or CLOSED. */
  onClosed?(reset: boolean): void;
}

export interface TcpStats {
  segsOut: number;
  segsIn: number;
  dataSegsOut: number;
  bytesOut: number;
  retransmits: number;
  timeouts: number;
  fastRetransmits: number;
  dupAcksIn: number;
  outOfOrderIn: number;
  duplicateIn: number;
  windowProbes: number;
  zeroWindowsOut: number;
}

/** A one-shot timer on the clock that can be moved freely but keeps at most one live event. */
class LazyTimer {
  // Times in ns pass 2^31 after 2.1 s of guest time: doubles from the start (clock.ts WIDE_COUNT).
  private at = WIDE_COUNT;
  private scheduled = WIDE_COUNT;
  constructor(private readonly time: TimeBase, private readonly fire: () => void) {
    this.at = -1;
    this.scheduled = -1;
  }
  set(atNs: number): void {
    this.at = Math.ceil(atNs);
    if (this.scheduled < 0 || this.scheduled > this.at) this.arm(this.at);
  }
  clear(): void {
    this.at = -1;
  }
  get armed(): boolean {
    return this.at >= 0;
  }
  private arm(t: number): void {
    this.scheduled = t;
    this.time.atNs(t, () => {
      if (this.scheduled !== t) return; // superseded by an earlier arm
      this.scheduled = -1;
      if (this.at < 0) return;
      if (this.time.nowNs() >= this.at) {
        this.at = -1;
        this.fire();
      } else {
        this.arm(this.at);
      }
    });
  }
}

interface OooSegment { off: number; data: Uint8Array; fin: boolean }

export class TcpConnection {
  state: TcpState = 'CLOSED';
  readonly stats: TcpStats = {
    segsOut: 0, segsIn: 0, dataSegsOut: 0, bytesOut: 0, retransmits: 0, timeouts: 0,
    fastRetransmits: 0, dupAcksIn: 0, outOfOrderIn: 0, duplicateIn: 0, windowProbes: 0, zeroWindowsOut: 0,
  };
  /**
   * 'auto': the application takes data as it arrives (netperf's receiver, whose CPU is not
   * modelled). 'manual': delivered bytes occupy the receive buffer until consume() is called.
   */
  readMode: 'auto' | 'manual' = 'auto';
  app: TcpApp = {};

  // Send side, in sequence offsets from iss.
  private sndUna = 0;
  private sndNxt = 0;
  private sndMax = 0;
  private sndWnd = 0;
  private maxSndWnd = 0;
  private sndWl1 = -1;
  private sndWl2 = 0;
  private sndScale = 0;
  private written = 0;         // data bytes the application has written
  private finQueued = false;
  private finOff = -1;
  private effMss: number;
  cwnd = 0;
  ssthresh = 0x7fffffff;
  private dupAcks = 0;
  private inRecovery = false;
  private recover = 0;
  // RTT estimation (RFC 6298), one timed segment at a time (Karn).
  private srtt = -1;
  private rttvar = 0;
  private rto: number;
  private timing = false;
  private rttEnd = 0;
  /** A time in ns: a double from the start (clock.ts WIDE_COUNT), set in the constructor. */
  private rttStart = WIDE_COUNT;
  private persistShift = 0;

  // Receive side, in sequence offsets from irs.
  private irs = 0;
  private rcvNxt = 0;
  private rcvScale = 0;
  private rcvAdvEdge = 0;
  private ooo: OooSegment[] = [];
  private oooBytes = 0;
  private unread = 0;
  private unackedSegs = 0;
  private ackNow = false;
  private closedReported = false;

  private readonly rtoTimer: LazyTimer;
  private readonly delackTimer: LazyTimer;
  private readonly persistTimer: LazyTimer;

  constructor(
    private readonly time: TimeBase,
    readonly cfg: TcpConfig,
    private readonly out: (seg: TcpOut) => void,
  ) {
    this.effMss = cfg.mss;
    this.rttStart = 0;
    this.rto = cfg.initialRtoNs;
    this.rtoTimer = new LazyTimer(time, () => this.onRto());
    this.delackTimer = new LazyTimer(time, () => this.onDelack());
    this.persistTimer = new LazyTimer(time, () => this.onPersist());
  }

  /** The wire value of our window-scale option: the least shift that fits rcvbuf in 16 bits. */
  private ourWscale(): number {
    let s = 0;
    while (s < 14 && this.cfg.rcvbuf >> s > 0xffff) s++;
    return s;
  }

  // ---- application interface ----------------------------------------------------------------

  connect(): void {
    this.state = 'SYN_SENT';
    this.sendSyn(false);
  }

  listen(): void {
    this.state = 'LISTEN';
  }

  /** Bytes the application may write now. */
  sendSpace(): number {
    if (this.finQueued) return 0;
    return Math.max(0, this.cfg.sndbuf - (this.written - Math.max(0, this.sndUna - 1)));
  }

  /** The application writes n bytes (content from app.source); returns how many were taken. */
  write(n: number): number {
    const take = Math.min(n, this.sendSpace());
    this.written += take;
    if (take > 0) this.trySend();
    return take;
  }

  /** No more data: FIN follows the last byte written. */
  close(): void {
    if (this.finQueued) return;
    this.finQueued = true;
    this.finOff = 1 + this.written;
    if (this.state === 'ESTABLISHED' || this.state === 'SYN_RCVD') this.state = 'FIN_WAIT_1';
    else if (this.state === 'CLOSE_WAIT') this.state = 'LAST_ACK';
    this.trySend();
  }

  /** Data bytes acknowledged by the peer. */
  get bytesAcked(): number {
    return Math.max(0, Math.min(this.sndUna - 1, this.written));
  }

  get rtoNs(): number {
    return this.rto;
  }

  // ---- output -------------------------------------------------------------------------------

  /** Where the right edge of the window could be now: free buffer space past rcvNxt. */
  private possibleEdge(): number {
    return this.rcvNxt + Math.max(0, this.cfg.rcvbuf - this.oooBytes - this.unread);
  }

  /**
   * The window field. The right edge never moves left (RFC 9293), and moves right only by at
   * least min(rcvbuf / 2, MSS) at a time (receiver silly-window avoidance, RFC 1122).
   */
  private windowField(syn: boolean): number {
    const want = this.possibleEdge();
    const step = Math.min(this.cfg.rcvbuf / 2, this.effMss);
    const edge = want - this.rcvAdvEdge >= step ? want : Math.max(this.rcvAdvEdge, this.rcvNxt);
    const scale = syn ? 0 : this.rcvScale;
    const field = Math.min((edge - this.rcvNxt) >> scale, 0xffff);
    this.rcvAdvEdge = Math.max(this.rcvAdvEdge, this.rcvNxt + (field << scale));
    if (field === 0 && !syn) this.stats.zeroWindowsOut++;
    return field;
  }

  /** Manual read mode: the application has taken n bytes; a much larger window is announced. */
  consume(n: number): void {
    this.unread = Math.max(0, this.unread - n);
    if (this.state === 'CLOSED' || this.state === 'LISTEN' || this.state === 'SYN_SENT') return;
    const step = Math.min(this.cfg.rcvbuf / 2, 2 * this.effMss);
    if (this.possibleEdge() - this.rcvAdvEdge >= step) this.sendAck();
  }

  /** Bytes delivered but not yet consumed (manual read mode). */
  get unreadBytes(): number {
    return this.unread;
  }

  private emit(off: number, dataLen: number, flags: number, opts?: { mss: number; wscale?: number }): void {
    const syn = (flags & SYN) !== 0;
    const seg: TcpOut = {
      seq: (this.cfg.iss + off) >>> 0,
      ack: flags & ACK ? (this.irs + this.rcvNxt) >>> 0 : 0,
      flags,
      window: this.windowField(syn),
      streamOff: off - 1,
      dataLen,
    };
    if (opts) {
      seg.mss = opts.mss;
      if (opts.wscale !== undefined) seg.wscale = opts.wscale;
    }
    if (flags & ACK) {
      this.unackedSegs = 0;
      this.ackNow = false;
      this.delackTimer.clear();
    }
    this.stats.segsOut++;
    if (dataLen > 0) {
      this.stats.dataSegsOut++;
      this.stats.bytesOut += dataLen;
    }
    this.out(seg);
  }

  /** Fills a payload for the host. */
  readPayload(streamOff: number, dst: Uint8Array, dstOff: number, len: number): void {
    this.app.source?.(streamOff, dst, dstOff, len);
  }

  private sendSyn(ack: boolean): void {
    const opts: { mss: number; wscale?: number } = { mss: this.cfg.mss };
    // A SYN-ACK offers scaling only if the SYN did.
    if (this.cfg.windowScaling && (!ack || this.sndScaleOffered)) opts.wscale = this.ourWscale();
    this.emit(0, 0, SYN | (ack ? ACK : 0), opts);
    this.sndNxt = 1;
    this.sndMax = Math.max(this.sndMax, 1);
    this.rtoTimer.set(this.time.nowNs() + this.rto);
  }
  private sndScaleOffered = false;

  private sendAck(): void {
    this.emit(this.sndNxt, 0, ACK);
  }

  /** Sends what the windows, Nagle and the send buffer allow. */
  private trySend(): void {
    const st = this.state;
    if (st === 'CLOSED' || st === 'LISTEN' || st === 'SYN_SENT' || st === 'SYN_RCVD' || st === 'TIME_WAIT') {
      if (this.ackNow && st !== 'CLOSED' && st !== 'LISTEN') this.sendAck();
      return;
    }
    const dataEnd = 1 + this.written;
    for (;;) {
      const wnd = Math.min(this.sndWnd, this.cwnd);
      const winEnd = this.sndUna + wnd;
      const avail = Math.max(0, dataEnd - this.sndNxt);
      let len = Math.min(this.effMss, avail, Math.max(0, winEnd - this.sndNxt));
      if (len > 0 && len < this.effMss) {
        const allWeHave = this.sndNxt + len === dataEnd;
        const idle = this.sndNxt === this.sndUna;
        const halfWindow = this.maxSndWnd > 0 && len >= this.maxSndWnd / 2;
        if (!((allWeHave && (idle || this.finQueued)) || halfWindow)) len = 0;
      }
      const withFin = this.finQueued && this.sndNxt + len === this.finOff;
      if (len === 0 && !(withFin && avail === 0)) break;
      this.sendData(this.sndNxt, len, withFin);
    }
    if (this.ackNow) this.sendAck();
    // Data waits but nothing is in flight and the window holds it back: probe later.
    const waiting = this.sndNxt < dataEnd || (this.finQueued && this.sndNxt <= this.finOff);
    if (waiting && this.sndUna === this.sndMax && !this.rtoTimer.armed) {
      if (!this.persistTimer.armed) this.persistTimer.set(this.time.nowNs() + this.persistDelay());
    } else {
      this.persistShift = 0;
      this.persistTimer.clear();
    }
  }

  private persistDelay(): number {
    return Math.min(this.rto * 2 ** this.persistShift, this.cfg.maxRtoNs);
  }

  /** Sends [off, off+len) (and FIN after it) as one segment and advances sndNxt past it. */
  private sendData(off: number, len: number, fin: boolean): void {
    const end = off + len + (fin ? 1 : 0);
    const retransmit = off < this.sndMax;
    if (retransmit) {
      this.stats.retransmits++;
      this.timing = false; // Karn: no RTT sample from a retransmitted range
    } else if (!this.timing) {
      this.timing = true;
      this.rttStart = this.time.nowNs();
      this.rttEnd = end;
    }
    this.emit(off, len, ACK | (fin ? FIN : 0) | (len > 0 && off + len === 1 + this.written ? PSH : 0));
    this.sndNxt = Math.max(this.sndNxt, end);
    this.sndMax = Math.max(this.sndMax, end);
    if (!this.rtoTimer.armed) this.rtoTimer.set(this.time.nowNs() + this.rto);
  }

  /** Retransmits the first unacknowledged segment (fast retransmit, partial ACK). */
  private retransmitFirst(): void {
    const dataEnd = Math.min(1 + this.written, this.sndMax);
    const len = Math.max(0, Math.min(this.effMss, dataEnd - this.sndUna));
    const fin = this.finQueued && this.sndUna + len === this.finOff && this.sndMax > this.finOff;
    if (len === 0 && !fin) return;
    this.sendData(this.sndUna, len, fin);
  }

  // ---- timers -------------------------------------------------------------------------------

  private onRto(): void {
    if (this.state === 'SYN_SENT' || this.state === 'SYN_RCVD') {
      this.stats.timeouts++;
      this.stats.retransmits++;
      this.rto = Math.min(this.rto * 2, this.cfg.maxRtoNs);
      this.sendSyn(this.state === 'SYN_RCVD');
      return;
    }
    if (this.sndUna >= this.sndMax || this.state === 'CLOSED' || this.state === 'TIME_WAIT') return;
    this.stats.timeouts++;
    const flight = this.sndMax - this.sndUna;
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.effMss);
    this.cwnd = this.effMss;
    this.recover = this.sndMax;
    this.inRecovery = false;
    this.dupAcks = 0;
    this.timing = false;
    this.sndNxt = this.sndUna; // go back N: resend from the first unacknowledged byte
    this.rto = Math.min(this.rto * 2, this.cfg.maxRtoNs);
    this.trySend();
    this.rtoTimer.set(this.time.nowNs() + this.rto);
  }

  private onDelack(): void {
    if (this.unackedSegs > 0) this.sendAck();
  }

  /** Zero-window probe: an old sequence number the receiver must answer with its window. */
  private onPersist(): void {
    if (this.state === 'CLOSED' || this.state === 'TIME_WAIT') return;
    this.stats.windowProbes++;
    const dataEnd = 1 + this.written;
    const usable = this.sndUna + this.sndWnd - this.sndNxt;
    if (usable > 0 && this.sndNxt < dataEnd) {
      this.sendData(this.sndNxt, Math.min(usable, this.effMss, dataEnd - this.sndNxt), false);
    } else {
      this.emit(this.sndNxt - 1, 0, ACK);
    }
    this.persistShift++;
    this.persistTimer.set(this.time.nowNs() + this.persistDelay());
  }

  // ---- input --------------------------------------------------------------------------------

  input(seg: TcpIn): void {
    this.stats.segsIn++;
    const f = seg.flags;
    switch (this.state) {
      case 'CLOSED':
        return;
      case 'LISTEN':
        if (!(f & SYN) || f & (ACK | RST)) return;
        this.irs = seg.seq;
        this.rcvNxt = 1;
        this.takeSynOptions(seg);
        this.sndWnd = seg.window; // never scaled on a SYN
        this.maxSndWnd = this.sndWnd;
        this.state = 'SYN_RCVD';
        this.sendSyn(true);
        return;
      case 'SYN_SENT': {
        if (f & RST) return this.closeNow(true);
        if (!(f & SYN) || !(f & ACK) || seg.ack !== ((this.cfg.iss + 1) >>> 0)) return;
        this.irs = seg.seq;
        this.rcvNxt = 1;
        this.takeSynOptions(seg);
        this.sndUna = 1;
        this.sndWnd = seg.window;
        this.maxSndWnd = this.sndWnd;
        this.sndWl1 = 0;
        this.sndWl2 = 1;
        this.rtoTimer.clear();
        this.ackNow = true; // the handshake's ACK, or the first data segment carries it
        this.establish();
        this.trySend();
        return;
      }
    }
    if (f & RST) return this.closeNow(true);
    const segOff = this.rcvNxt + ((seg.seq - ((this.irs + this.rcvNxt) >>> 0)) | 0);
    if (f & SYN) {
      // A retransmitted SYN (ours was answered, our SYN-ACK or ACK lost): answer again.
      if (this.state === 'SYN_RCVD') this.sendSyn(true);
      else this.sendAck();
      return;
    }
    if (f & ACK) this.processAck(seg, segOff);
    if (seg.dataLen > 0 || f & FIN) this.processData(seg, segOff);
    else if (segOff !== this.rcvNxt) this.ackNow = true; // a probe or stale segment: tell our state
    this.trySend();
  }

  private takeSynOptions(seg: TcpIn): void {
    this.effMss = Math.min(this.cfg.mss, seg.mss ?? 536);
    this.sndScaleOffered = seg.wscale !== undefined;
    if (this.cfg.windowScaling && seg.wscale !== undefined) {
      this.sndScale = Math.min(seg.wscale, 14);
      this.rcvScale = this.ourWscale();
    } else {
      this.sndScale = 0;
      this.rcvScale = 0;
    }
    this.cwnd = Math.min(4 * this.effMss, Math.max(2 * this.effMss, 4380)); // RFC 3390
  }

  private establish(): void {
    this.state = this.finQueued ? 'FIN_WAIT_1' : 'ESTABLISHED';
    this.app.onEstablished?.();
  }

  private processAck(seg: TcpIn, segOff: number): void {
    const ackOff = this.sndUna + ((seg.ack - ((this.cfg.iss + this.sndUna) >>> 0)) | 0);
    if (this.state === 'SYN_RCVD') {
      if (ackOff < 1 || ackOff > this.sndMax) return;
      this.sndUna = 1;
      this.sndWl1 = segOff;
      this.sndWl2 = ackOff;
      this.sndWnd = seg.window << this.sndScale;
      this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
      this.rtoTimer.clear();
      this.rto = this.cfg.initialRtoNs;
      this.establish();
    }
    if (ackOff > this.sndMax) {
      this.ackNow = true;
      return;
    }
    const wnd = seg.window << this.sndScale;
    const windowChanged = wnd !== this.sndWnd;
    if (segOff > this.sndWl1 || (segOff === this.sndWl1 && ackOff >= this.sndWl2)) {
      this.sndWnd = wnd;
      this.sndWl1 = segOff;
      this.sndWl2 = ackOff;
      this.maxSndWnd = Math.max(this.maxSndWnd, wnd);
    }
    if (ackOff > this.sndUna) this.newAck(ackOff);
    else if (ackOff === this.sndUna && seg.dataLen === 0 && !(seg.flags & FIN) && !windowChanged && this.sndMax > this.sndUna) {
      this.dupAck();
    }
  }

  private newAck(ackOff: number): void {
    const acked = ackOff - this.sndUna;
    const now = this.time.nowNs();
    if (this.timing && ackOff >= this.rttEnd) {
      this.timing = false;
      this.rttSample(now - this.rttStart);
    } else if (this.srtt >= 0) {
      this.rto = this.rtoFromEstimate(); // undo backoff once new data is acknowledged
    }
    this.sndUna = ackOff;
    if (this.sndNxt < this.sndUna) this.sndNxt = this.sndUna;
    const mss = this.effMss;
    if (this.inRecovery) {
      if (ackOff >= this.recover) {
        this.inRecovery = false;
        this.cwnd = Math.min(this.ssthresh, Math.max(this.sndMax - this.sndUna, 0) + mss);
      } else {
        // Partial ACK: the next hole is lost too.
        this.retransmitFirst();
        this.cwnd = Math.max(this.cwnd - acked + mss, mss);
      }
    } else if (this.cwnd < this.ssthresh) {
      this.cwnd += Math.min(acked, mss);
    } else {
      this.cwnd += Math.max(1, Math.floor((mss * mss) / this.cwnd));
    }
    this.dupAcks = 0;
    if (this.sndUna >= this.sndMax) this.rtoTimer.clear();
    else this.rtoTimer.set(now + this.rto);
    if (this.finQueued && ackOff > this.finOff) this.ourFinAcked();
    if (this.sendSpace() > 0) this.app.onWritable?.();
  }

  private dupAck(): void {
    this.stats.dupAcksIn++;
    this.dupAcks++;
    const mss = this.effMss;
    if (this.dupAcks === 3 && !this.inRecovery && this.sndUna > this.recover - 1) {
      this.stats.fastRetransmits++;
      this.ssthresh = Math.max(Math.floor((this.sndMax - this.sndUna) / 2), 2 * mss);
      this.recover = this.sndMax;
      this.inRecovery = true;
      this.timing = false;
      this.retransmitFirst();
      this.cwnd = this.ssthresh + 3 * mss;
    } else if (this.inRecovery) {
      this.cwnd += mss;
    }
  }

  private rttSample(r: number): void {
    if (this.srtt < 0) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.rto = this.rtoFromEstimate();
  }

  private rtoFromEstimate(): number {
    return Math.min(Math.max(this.srtt + 4 * this.rttvar, this.cfg.minRtoNs), this.cfg.maxRtoNs);
  }

  private ourFinAcked(): void {
    if (this.state === 'FIN_WAIT_1') this.state = 'FIN_WAIT_2';
    else if (this.state === 'CLOSING') this.enterTimeWait();
    else if (this.state === 'LAST_ACK') this.closeNow(false);
  }

  private processData(seg: TcpIn, segOff: number): void {
    let off = segOff;
    let start = seg.dataOff;
    let len = seg.dataLen;
    let fin = (seg.flags & FIN) !== 0;
    if (this.finReceived) {
      this.ackNow = true; // a retransmitted FIN or data after it
      return;
    }
    if (off < this.rcvNxt) {
      if (off + len + (fin ? 1 : 0) <= this.rcvNxt) {
        this.stats.duplicateIn++;
        this.ackNow = true;
        return;
      }
      const cut = Math.min(this.rcvNxt - off, len);
      start += cut;
      len -= cut;
      off += cut;
    }
    const edge = Math.max(this.rcvAdvEdge, this.rcvNxt);
    if (off + len > edge) {
      // Beyond the window we offered: keep what fits.
      len = Math.max(0, edge - off);
      fin = false;
      this.ackNow = true;
      if (len === 0) return;
    }
    if (off === this.rcvNxt) {
      const filling = this.ooo.length > 0;
      this.deliver(seg.buf, start, len);
      // ACK at once when closing a hole or on FIN, else every ackEvery segments or on the timer.
      if (filling || fin || ++this.unackedSegs >= this.cfg.ackEvery) this.ackNow = true;
      else this.delackTimer.set(this.time.nowNs() + this.cfg.delayedAckNs);
      if (fin) this.takeFin();
      this.drainOoo();
      return;
    }
    // Out of order: keep a copy, send a duplicate ACK at once.
    this.stats.outOfOrderIn++;
    this.insertOoo({ off, data: seg.buf.slice(start, start + len), fin });
    this.ackNow = true;
  }

  private finReceived = false;

  private deliver(buf: Uint8Array, start: number, len: number): void {
    if (len <= 0) return;
    this.app.onData?.(this.rcvNxt - 1, buf, start, len);
    this.rcvNxt += len;
    if (this.readMode === 'manual') this.unread += len;
  }

  private takeFin(): void {
    this.rcvNxt += 1;
    this.finReceived = true;
    if (this.state === 'ESTABLISHED') this.state = 'CLOSE_WAIT';
    else if (this.state === 'FIN_WAIT_1') this.state = 'CLOSING';
    else if (this.state === 'FIN_WAIT_2') this.enterTimeWait();
    this.app.onPeerFin?.();
  }

  private insertOoo(s: OooSegment): void {
    const q = this.ooo;
    let i = q.length;
    while (i > 0 && q[i - 1]!.off > s.off) i--;
    const prev = q[i - 1];
    if (prev && prev.off === s.off && prev.data.length >= s.data.length) {
      this.stats.duplicateIn++;
      return;
    }
    q.splice(i, 0, s);
    this.oooBytes += s.data.length;
  }

  private drainOoo(): void {
    const q = this.ooo;
    while (q.length > 0 && q[0]!.off <= this.rcvNxt && !this.finReceived) {
      const s = q.shift()!;
      this.oooBytes -= s.data.length;
      const end = s.off + s.data.length;
      if (end > this.rcvNxt) this.deliver(s.data, this.rcvNxt - s.off, end - this.rcvNxt);
      if (s.fin && end === this.rcvNxt) {
        this.ackNow = true;
        this.takeFin();
      }
    }
    if (this.finReceived) {
      q.length = 0;
      this.oooBytes = 0;
    }
  }

  private enterTimeWait(): void {
    this.state = 'TIME_WAIT';
    this.rtoTimer.clear();
    this.persistTimer.clear();
    this.reportClosed(false);
  }

  private closeNow(reset: boolean): void {
    this.state = 'CLOSED';
    this.rtoTimer.clear();
    this.persistTimer.clear();
    this.delackTimer.clear();
    this.reportClosed(reset);
  }

  private reportClosed(reset: boolean): void {
    if (this.closedReported) return;
    this.closedReported = true;
    this.app.onClosed?.(reset);
  }
}
