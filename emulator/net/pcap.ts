// Writes every frame seen on the wire to a pcap file (LINKTYPE_ETHERNET, nanosecond timestamps
// from the cycle clock). Frames are tapped as they start onto the wire, which is in time order
// per direction but not across the two; the writer holds frames back until the clock has passed
// their timestamp and writes them sorted, so the file is in time order. The file is written
// atomically (src/atomic.ts): a run that dies leaves no half file under FILE.
import { writeSync } from 'node:fs';
import { AtomicFile } from '../../src/atomic.ts';

const MAGIC_NS = 0xa1b23c4d;
const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 65535;

interface Held { ts: number; seq: number; frame: Uint8Array }

export class PcapWriter {
  private readonly file: AtomicFile;
  private readonly fd: number;
  private buf = Buffer.alloc(1 << 20);
  private used = 0;
  private held: Held[] = [];
  private seq = 0;
  private lastTs = 0;
  frames = 0;

  constructor(path: string) {
    this.file = new AtomicFile(path);
    this.fd = this.file.fd;
    const h = Buffer.alloc(24);
    h.writeUInt32LE(MAGIC_NS, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeInt32LE(0, 8);
    h.writeUInt32LE(0, 12);
    h.writeUInt32LE(SNAPLEN, 16);
    h.writeUInt32LE(LINKTYPE_ETHERNET, 20);
    this.put(h);
  }

  /** A tap for Wire: frame starts at startNs; nothing will later be tapped before nowNs. */
  readonly tap = (startNs: number, frame: Uint8Array, nowNs: number): void => {
    this.held.push({ ts: startNs, seq: this.seq++, frame });
    if (this.held.length >= 64) this.flushBefore(nowNs);
  };

  private flushBefore(limitNs: number): void {
    this.held.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
    let n = 0;
    while (n < this.held.length && this.held[n]!.ts <= limitNs) this.record(this.held[n++]!);
    this.held = this.held.slice(n);
  }

  private record(h: Held): void {
    const ts = Math.max(Math.floor(h.ts), this.lastTs);
    this.lastTs = ts;
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(ts / 1e9), 0);
    rec.writeUInt32LE(ts % 1e9, 4);
    const caplen = Math.min(h.frame.length, SNAPLEN);
    rec.writeUInt32LE(caplen, 8);
    rec.writeUInt32LE(h.frame.length, 12);
    this.put(rec);
    this.put(h.frame.subarray(0, caplen));
    this.frames++;
  }

  private put(bytes: Uint8Array): void {
    if (this.used + bytes.length > this.buf.length) this.drain();
    if (bytes.length > this.buf.length) {
      writeSync(this.fd, bytes);
      return;
    }
    this.buf.set(bytes, this.used);
    this.used += bytes.length;
  }

  private drain(): void {
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.used = 0;
  }

  /** Writes what is held, closes and renames the file into place. */
  close(): void {
    this.flushBefore(Infinity);
    this.drain();
    this.file.commit();
  }

  /** Closes and removes the temporary file without touching FILE. */
  abort(): void {
    this.file.discard();
  }
}
