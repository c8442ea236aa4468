// A point-to-point full-duplex Ethernet link on the cycle clock. Each direction has its own
// transmitter: a frame occupies it for preamble+SFD (8 bytes), the frame padded to the 64-byte
// minimum including its 4-byte FCS, and the 12-byte inter-frame gap. The frame reaches the far
// end when its last FCS bit has crossed the link (latency later). Frames here carry no FCS: it is
// counted in the timing, and stations neither add nor check it (the NIC may append one to an RX
// buffer). Fault injection (loss, duplication, reordering) draws from a seeded PRNG per direction.
import { Prng } from './prng.ts';
import type { LinkPort } from './seams.ts';
import { TimeBase } from './seams.ts';

export const PREAMBLE_BYTES = 8;
export const FCS_BYTES = 4;
export const IFG_BYTES = 12;
export const MIN_FRAME_BYTES = 64; // including FCS

export interface WireFaults {
  seed: number;
  /** Probability that a frame is lost (still occupies the transmitter). */
  loss?: number;
  /** Probability that a frame is delivered twice. */
  duplicate?: number;
  /** Probability that a frame is held back by reorderDelayNs, letting later frames overtake it. */
  reorder?: number;
  reorderDelayNs?: number;
}

export interface WireOptions {
  bitsPerSecond?: number; // default 1e9
  latencyNs?: number;     // one-way propagation, default 1000
  faults?: WireFaults;
  /** Sees every frame as it starts onto the wire (both directions), with its start time in ns. */
  tap?: (startNs: number, frame: Uint8Array, nowNs: number) => void;
}

export interface DirectionStats {
  frames: number;
  bytes: number;
  lost: number;
  duplicated: number;
  reordered: number;
}

/** Bytes a frame of `len` bytes (header onwards, no FCS) occupies on the wire, IFG included. */
export function wireBytes(len: number): number {
  return PREAMBLE_BYTES + Math.max(len + FCS_BYTES, MIN_FRAME_BYTES) + IFG_BYTES;
}

class End implements LinkPort {
  busyUntilNs = 0;
  onReceive: (frame: Uint8Array) => void = () => {};
  readonly stats: DirectionStats = { frames: 0, bytes: 0, lost: 0, duplicated: 0, reordered: 0 };
  constructor(private readonly wire: Wire, readonly side: 0 | 1, readonly prng: Prng | undefined) {}
  send(frame: Uint8Array): void {
    this.wire.transmit(this, frame);
  }
  freeAtNs(): number {
    return Math.max(this.busyUntilNs, this.wire.time.nowNs());
  }
}

export class Wire {
  readonly ends: [End, End];
  private readonly nsPerByte: number;
  private readonly latencyNs: number;
  private readonly faults: WireFaults | undefined;

  constructor(readonly time: TimeBase, private readonly opts: WireOptions = {}) {
    const bps = opts.bitsPerSecond ?? 1e9;
    this.nsPerByte = 8e9 / bps;
    this.latencyNs = opts.latencyNs ?? 1000;
    this.faults = opts.faults;
    const f = this.faults;
    this.ends = [
      new End(this, 0, f ? new Prng(f.seed ^ 0x5a5a0000) : undefined),
      new End(this, 1, f ? new Prng(f.seed ^ 0x0000a5a5) : undefined),
    ];
  }

  port(side: 0 | 1): LinkPort {
    return this.ends[side];
  }

  stats(side: 0 | 1): DirectionStats {
    return this.ends[side].stats;
  }

  /** Time the transmitter is busy with a frame of len bytes, IFG included. */
  serializationNs(len: number): number {
    return wireBytes(len) * this.nsPerByte;
  }

  transmit(from: End, frame: Uint8Array): void {
    const now = this.time.nowNs();
    const start = Math.max(now, from.busyUntilNs);
    from.busyUntilNs = start + this.serializationNs(frame.length);
    from.stats.frames++;
    from.stats.bytes += frame.length;
    this.opts.tap?.(start, frame, now);
    const to = this.ends[from.side ^ 1]!;
    let arrive = start + (wireBytes(frame.length) - IFG_BYTES) * this.nsPerByte + this.latencyNs;
    const f = this.faults;
    const rng = from.prng;
    if (f && rng) {
      // Draw all three every frame so one fault's rate does not shift the others' sequence.
      const lose = rng.next() < (f.loss ?? 0);
      const dup = rng.next() < (f.duplicate ?? 0);
      const late = rng.next() < (f.reorder ?? 0);
      if (lose) {
        from.stats.lost++;
        return;
      }
      if (late) {
        from.stats.reordered++;
        arrive += f.reorderDelayNs ?? 3 * this.serializationNs(1514);
      }
      if (dup) {
        from.stats.duplicated++;
        const again = arrive + this.serializationNs(frame.length);
        this.time.atNs(again, () => to.onReceive(frame.slice()));
      }
    }
    this.time.atNs(arrive, () => to.onReceive(frame));
  }
}
