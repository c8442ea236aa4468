// The back half of a split network device, for a guest whose wedge emulates the DP83820 itself
// (guests/wedge/device/dp83820.c): on the Xen model the driver domain's side (netback,
// xen/ABI.md section 11), on the L4 model the network server thread (l4/ABI.md section 13).
// It owns the machine's NIC: on connect the real DP83820 is unplugged from the wire and this
// back half takes its end, forwarding what a bridge would (the guest's station address,
// broadcast, multicast). Two shared rings (guests/wedge/device/netif.h has the layout): the guest's
// transmit requests name its buffers by guest physical address (standing for grant references,
// which the model does not have) and are copied out and put on the wire when the guest notifies;
// receive requests are buffers the back half copies arriving frames into, FCS appended.
//
// When the back half runs, and what it costs (the hypervisor gives the figures, each from the
// profile: NetbackCosts):
// - a notification from the guest (Xen's event_channel_op send, an IPC on L4): what getting it
//   to run costs, then per frame its own work plus the copy at the memory bus's rate
//   (`bus_cycles_per_kib`, the figure the CPU's own copies pay);
// - frames from the wire: its NIC's interrupt reaching it, and the same per frame. That NIC
//   holds its interrupt off for HOLDOFF_NS after each (as the guest's own driver sets its
//   DP83820, IHR = 1), so arrivals are handled in batches; it holds BACKLOG_FRAMES frames (its
//   receive ring) waiting for the guest's buffers, and drops beyond (counted, and told to the
//   guest in the ring's `dropped` word, the NIC's missed-frame counter).
// The back half charges its cycles as the hypervisor's own work (the hypervisor categories of
// the cycle ledger), since the driver's CPU time is the machine's.
import type { LinkPort } from '../net/seams.ts';
import { TimeBase } from '../net/seams.ts';
import { ethernetFcs } from '../net/checksum.ts';
import { frameBuffer } from '../net/frame-buffer.ts';
import { rxChecksumStatus, txChecksumOffload } from '../devices/dp83820.ts';

/** Slots per ring, slot size, header size (netif.h). */
const RING = 128, SLOT = 16, HDR = 64;
const REQ_PROD = 0, REQ_EVENT = 4, RSP_PROD = 8, RSP_EVENT = 12, DROPPED = 16;
const NETIF_MORE = 1;
/** The driver domain's NIC interrupt holdoff: 100 us, the guest driver's own IHR setting. */
export const HOLDOFF_NS = 100_000;
/** Frames the driver domain's NIC holds for the guest: its receive ring (Linux ns83820's 64 descriptors). */
export const BACKLOG_FRAMES = 64;

/** What each operation costs, and the cycle ledger's names for them (the hypervisor's). */
export interface NetbackCosts {
  /** A guest notification: getting the back half to run and back (Xen: two domain switches). */
  kick: number;
  /** A run for arriving frames: its NIC's interrupt reaching it, and the switches. */
  activation: number;
  perFrame: number;
  busCyclesPerKib: number;
  ops: { kick: string; activation: string; tx: string; rx: string };
}

export interface NetbackStats {
  /** Guest notifications (event_channel_op send on the device's channel). */
  kicks: number;
  /** Driver-domain runs for arriving frames (its NIC interrupts). */
  rx_activations: number;
  tx_frames: number;
  tx_bytes: number;
  rx_frames: number;
  rx_bytes: number;
  /** Frames for the guest dropped: no guest buffer and the driver domain's ring full. */
  rx_dropped: number;
  /** Events sent to the guest (responses it asked to hear about). */
  events_to_guest: number;
  /** Cycles the back half charged. */
  cycles: number;
}

/** What the back half needs from the Xen model. */
export interface NetbackHost {
  ram: Uint8Array;
  /** First machine address that is not the domain's. */
  domainEnd: number;
  time: TimeBase;
  charge(n: number, op: string): void;
  /** Marks the guest's end of the device's event channel pending. */
  notifyGuest(): void;
  /** A device wrote guest memory: decoded code there is stale and its lines cache-cold. */
  dmaWritten(addr: number, len: number): void;
  /** Stops the domain (a request naming memory that is not the guest's). */
  crash(message: string): void;
}

export class NetBack {
  readonly stats: NetbackStats = {
    kicks: 0, rx_activations: 0, tx_frames: 0, tx_bytes: 0, rx_frames: 0, rx_bytes: 0, rx_dropped: 0, events_to_guest: 0, cycles: 0,
  };
  private readonly dv: DataView;
  private txReqCons = 0;
  private txRspProd = 0;
  private rxReqCons = 0;
  private rxRspProd = 0;
  private readonly backlog: Uint8Array[] = [];
  private activationAt = -1;             // cycle of the scheduled driver-domain run, -1 if none
  private lastRunNs = -Infinity;

  constructor(
    private readonly host: NetbackHost,
    private readonly costs: NetbackCosts,
    private readonly port: LinkPort,
    private readonly mac: Uint8Array,
    private readonly txRing: number,
    private readonly rxRing: number,
  ) {
    this.dv = new DataView(host.ram.buffer, host.ram.byteOffset, host.ram.byteLength);
    this.w32(rxRing + REQ_EVENT, 1);
    this.w32(txRing + REQ_EVENT, 1);
    port.onReceive = (frame) => this.fromWire(frame);
  }

  private r32(a: number): number { return this.dv.getUint32(a, true); }
  private w32(a: number, v: number): void { this.dv.setUint32(a, v >>> 0, true); }

  private charge(n: number, op: string): void {
    if (n === 0) return;
    this.stats.cycles += n;
    this.host.charge(n, op);
  }

  private copyCost(bytes: number): number {
    return Math.round((bytes * this.costs.busCyclesPerKib) / 1024);
  }

  private guestRange(addr: number, len: number): boolean {
    return addr >= 0 && len >= 0 && addr + len <= this.host.domainEnd;
  }

  /** The guest notified its channel: the driver domain runs, takes its transmit requests and new receive buffers. */
  kick(): void {
    this.stats.kicks++;
    this.charge(this.costs.kick, this.costs.ops.kick);
    this.transmit();
    this.deliver();
  }

  private transmit(): void {
    const ring = this.txRing;
    const prod = this.r32(ring + REQ_PROD);
    let frags: { addr: number; size: number; id: number; ext: number }[] = [];
    while (this.txReqCons !== prod) {
      const s = ring + HDR + (this.txReqCons % RING) * SLOT;
      const addr = this.r32(s), size = this.dv.getUint16(s + 4, true), id = this.dv.getUint16(s + 6, true);
      const flags = this.r32(s + 8), ext = this.r32(s + 12);
      this.txReqCons = (this.txReqCons + 1) >>> 0;
      if (!this.guestRange(addr, size)) {
        this.host.crash(`netif: transmit request for ${size} bytes at 0x${addr.toString(16)}, outside the domain's memory`);
        return;
      }
      frags.push({ addr, size, id, ext });
      if (flags & NETIF_MORE) continue;
      const total = frags.reduce((a, f) => a + f.size, 0);
      // The driver domain's NIC pads short frames (its driver sets TXCFG.ATP, as the guest's does).
      const frame = frameBuffer(Math.max(total, 60));
      let off = 0;
      for (const f of frags) {
        frame.set(this.host.ram.subarray(f.addr, f.addr + f.size), off);
        off += f.size;
      }
      if (frags[0]!.ext) txChecksumOffload(frame, frags[0]!.ext);
      this.charge(this.costs.perFrame + this.copyCost(total), this.costs.ops.tx);
      this.stats.tx_frames++;
      this.stats.tx_bytes += total;
      this.port.send(frame);
      for (const f of frags) this.respond(ring, f.id, 0, 0, 0, true);
      frags = [];
    }
    this.w32(ring + REQ_EVENT, this.txReqCons + 1);
    this.push(ring, true);
  }

  /** Writes one response at the ring's response producer (not yet published). */
  private respond(ring: number, id: number, size: number, status: number, ext: number, tx: boolean): void {
    const prod = tx ? this.txRspProd : this.rxRspProd;
    const s = ring + HDR + (prod % RING) * SLOT;
    this.w32(s, 0);
    this.dv.setUint16(s + 4, size, true);
    this.dv.setUint16(s + 6, id, true);
    this.dv.setInt32(s + 8, status, true);
    this.w32(s + 12, ext);
    if (tx) this.txRspProd = (prod + 1) >>> 0;
    else this.rxRspProd = (prod + 1) >>> 0;
  }

  /** Publishes the responses; an event to the guest if it asked (its event index was passed). */
  private push(ring: number, tx: boolean): void {
    const old = this.r32(ring + RSP_PROD), prod = tx ? this.txRspProd : this.rxRspProd;
    if (old === prod) return;
    this.w32(ring + RSP_PROD, prod);
    const event = this.r32(ring + RSP_EVENT);
    if (((prod - event) >>> 0) < ((prod - old) >>> 0)) {
      this.stats.events_to_guest++;
      this.host.notifyGuest();
    }
  }

  // ---- receive ------------------------------------------------------------------------------

  private forGuest(f: Uint8Array): boolean {
    if (f.length < 14) return false;
    if (f[0]! & 1) return true;           // broadcast and multicast: the bridge floods them
    const m = this.mac;
    return f[0] === m[0] && f[1] === m[1] && f[2] === m[2] && f[3] === m[3] && f[4] === m[4] && f[5] === m[5];
  }

  private fromWire(frame: Uint8Array): void {
    if (!this.forGuest(frame)) return;
    if (this.backlog.length >= BACKLOG_FRAMES) {
      this.stats.rx_dropped++;
      this.w32(this.rxRing + DROPPED, this.r32(this.rxRing + DROPPED) + 1);
      return;
    }
    this.backlog.push(frame);
    if (this.activationAt >= 0) return;
    const t = this.host.time;
    const atNs = Math.max(t.nowNs(), this.lastRunNs + HOLDOFF_NS);
    const at = Math.max(t.clock.now(), t.cyclesAt(atNs));
    this.activationAt = at;
    t.clock.schedule(at, 'net', () => this.activate());
  }

  /** The driver domain's NIC interrupt: it runs and hands the waiting frames to the guest. */
  private activate(): void {
    this.activationAt = -1;
    this.lastRunNs = this.host.time.nowNs();
    this.stats.rx_activations++;
    this.charge(this.costs.activation, this.costs.ops.activation);
    this.deliver();
  }

  /** Copies waiting frames into the guest's receive buffers while both last. */
  private deliver(): void {
    const ring = this.rxRing;
    const prod = this.r32(ring + REQ_PROD);
    while (this.backlog.length > 0 && this.rxReqCons !== prod) {
      const s = ring + HDR + (this.rxReqCons % RING) * SLOT;
      const addr = this.r32(s), size = this.dv.getUint16(s + 4, true), id = this.dv.getUint16(s + 6, true);
      this.rxReqCons = (this.rxReqCons + 1) >>> 0;
      const frame = this.backlog.shift()!;
      const len = frame.length + 4;
      if (!this.guestRange(addr, size)) {
        this.host.crash(`netif: receive buffer of ${size} bytes at 0x${addr.toString(16)}, outside the domain's memory`);
        return;
      }
      if (len > size) {
        this.respond(ring, id, 0, -1, 0, false);   // does not fit: dropped, the buffer returned
        this.stats.rx_dropped++;
        continue;
      }
      this.host.ram.set(frame, addr);
      this.host.ram.set(ethernetFcs(frame), addr + frame.length);
      this.host.dmaWritten(addr, len);
      this.charge(this.costs.perFrame + this.copyCost(len), this.costs.ops.rx);
      this.stats.rx_frames++;
      this.stats.rx_bytes += frame.length;
      this.respond(ring, id, len, 0, rxChecksumStatus(frame), false);
    }
    // Ask for an event at the next buffer only while frames wait for one.
    this.w32(ring + REQ_EVENT, this.backlog.length > 0 ? this.rxReqCons + 1 : this.rxReqCons + 0x80000000);
    this.push(ring, false);
  }
}
