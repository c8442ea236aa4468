// IPC (ABI.md §3.2, §5, §6): send and receive phases, blocking and waking, timeouts on the machine
// clock, message transfer between UTCBs, map items, and the messages the kernel sends for a
// thread (page faults, exceptions, interrupts). The kernel (l4.ts) owns the threads, the CPU and
// the scheduler; this file decides who gets which message when.
import { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI } from '../../cpu/flags.ts';
import type { L4Kernel } from './l4.ts';
import type { Thread } from './thread.ts';
import { L4Stop } from './space.ts';
import { decodeFpage } from './sigma0.ts';
import {
  NILTHREAD, ANYTHREAD, SIGMA0, NETSERVER, UTCB_MR, UTCB_BR, UTCB_ERROR, MR_COUNT, KERNEL_AREA, PAGE, R, W, X,
  ERR_TIMEOUT, ERR_NOPARTNER, ERR_CANCELLED, ERR_OVERFLOW, ipcError, tag, tagU, tagT, tnum,
  LABEL_INTERRUPT, EXC_WORDS, USER_EFLAGS, hex,
} from './layout.ts';

export type MessageKind = 'pagefault' | 'exception' | 'interrupt' | 'sigma0' | 'startup' | 'other';

export class Ipc {
  /** Order in which blocked senders queued, so receivers take them first come, first served. */
  private sendSeq = 0;
  private readonly queuedAt = new Map<Thread, number>();

  constructor(private readonly k: L4Kernel) {}

  // ---- the system call -------------------------------------------------------------------------

  syscall(t: Thread): void {
    const r = this.k.gpr(t);
    const to = r[EBX]! >>> 0, from = r[ECX]! >>> 0, timeout = r[EDX]! >>> 0;
    if (to === SIGMA0) {
      if (from !== SIGMA0) throw new L4Stop(`thread ${hex(t.tid)} sent to σ0 without receiving its reply (σ0 is only called)`);
      this.k.sigma0Call(t);
      return;
    }
    if (to === NETSERVER) {
      if (from !== NETSERVER) throw new L4Stop(`thread ${hex(t.tid)} sent to the network server without receiving its reply (it is only called)`);
      this.k.netServerCall(t);
      return;
    }
    if (to !== NILTHREAD) {
      const isCall = from === to;
      const res = this.send(t, to, from === NILTHREAD || isCall);
      if (res === 'blocked') { t.thenFrom = from; t.thenTimeout = timeout; return; }
      if (res !== 0) { this.finish(t, NILTHREAD, res); return; }
    }
    if (from !== NILTHREAD) this.receive(t, from, timeout);
    else this.finish(t, NILTHREAD, 0);
  }

  /** A send phase: 0 when delivered, 'blocked' when the sender waits, else the error code. */
  private send(t: Thread, to: number, mayBlock: boolean): number | 'blocked' {
    const n = tnum(to);
    if (n < 16 && to === ((n << 14) | 1)) {
      this.k.ackIrq(n, t);
      return 0;
    }
    const dest = this.k.thread(to);
    if (!dest) return ipcError(ERR_NOPARTNER, false);
    const mr0 = this.k.utcbRead(t, UTCB_MR);
    const u = tagU(mr0), ty = tagT(mr0);
    if (u + ty >= MR_COUNT || (ty & 1)) return ipcError(ERR_OVERFLOW, false);
    for (let i = 0; i < ty; i += 2) {
      if ((this.k.utcbRead(t, UTCB_MR + (u + 1 + i) * 4) & 0xe) !== 0x8) return ipcError(ERR_OVERFLOW, false);
    }
    if (dest.state === 'receiving' && this.accepts(dest, t.tid)) {
      this.transfer(t, dest);
      return 0;
    }
    if (!mayBlock) return ipcError(ERR_TIMEOUT, false);
    t.state = 'sending';
    t.partner = to;
    this.queuedAt.set(t, ++this.sendSeq);
    return 'blocked';
  }

  private accepts(dest: Thread, sender: number): boolean {
    return dest.partner === ANYTHREAD || dest.partner === sender;
  }

  /** A receive phase for `t` (which is not blocked yet). */
  receive(t: Thread, from: number, timeout: number): void {
    const k = this.k;
    if (from !== ANYTHREAD) {
      const n = tnum(from);
      const isIrq = n < 16 && from === ((n << 14) | 1);
      if (!isIrq && from !== NETSERVER && !k.thread(from)) { this.finish(t, NILTHREAD, ipcError(ERR_NOPARTNER, true)); return; }
    }
    const line = k.pendingIrqFor(t, from);
    if (line >= 0) { this.deliverInterrupt(line, t); return; }
    if (k.netEventFor(t, from)) return;
    const sender = this.waitingSender(t, from);
    if (sender) {
      t.state = 'receiving'; t.partner = from;
      this.transfer(sender, t);
      this.afterSend(sender);
      return;
    }
    const due = timeout === ANYTHREAD ? Infinity : k.timeoutCycles(timeout);
    if (due <= k.cpu.cycles) { this.finish(t, NILTHREAD, ipcError(ERR_TIMEOUT, true)); return; }
    t.state = 'receiving';
    t.partner = from;
    if (due !== Infinity) {
      t.timeout = k.machine.clock.schedule(due, 'l4: ipc timeout', () => {
        t.timeout = null;
        if (t.state !== 'receiving' || t.fault) return;
        this.finish(t, NILTHREAD, ipcError(ERR_TIMEOUT, true));
        k.afterEvent();
      });
    }
  }

  private waitingSender(t: Thread, from: number): Thread | null {
    let best: Thread | null = null, bestSeq = Infinity;
    for (const [s, seq] of this.queuedAt) {
      if (s.state !== 'sending' || s.partner !== t.tid) continue;
      if (from !== ANYTHREAD && s.tid !== from) continue;
      if (seq < bestSeq) { best = s; bestSeq = seq; }
    }
    return best;
  }

  /** A sender whose message was just taken: on to its receive phase, its fault wait, or done. */
  private afterSend(s: Thread): void {
    this.queuedAt.delete(s);
    if (s.fault === 'pagefault' || s.fault === 'exception') {
      s.state = 'receiving';
      s.partner = s.pager;
      return;
    }
    if (s.thenFrom !== NILTHREAD) this.receive(s, s.thenFrom, s.thenTimeout);
    else this.finish(s, NILTHREAD, 0);
  }

  /** Ends `t`'s Ipc: EAX = from, ECX and the UTCB error code = err; `t` becomes ready. */
  finish(t: Thread, from: number, err: number): void {
    const r = this.k.gpr(t);
    r[EAX] = from;
    r[ECX] = err;
    this.k.utcbWrite(t, UTCB_ERROR, err);
    this.queuedAt.delete(t);
    if (t.timeout) { this.k.machine.clock.cancel(t.timeout); t.timeout = null; }
    t.thenFrom = NILTHREAD;
    this.k.makeReady(t);
  }

  // ---- transfer --------------------------------------------------------------------------------

  /** Moves the message of `s` (its UTCB, or its kernel message) to `d`, which is receiving from it. */
  private transfer(s: Thread, d: Thread): void {
    const k = this.k;
    if (s.kernelMsg) {
      const words = s.kernelMsg;
      s.kernelMsg = null;
      for (let i = 0; i < words.length; i++) k.utcbWrite(d, UTCB_MR + i * 4, words[i]!);
      k.count(s.fault === 'pagefault' ? 'pagefault' : 'exception');
      if (s.fault === 'exception') k.charge(k.costs.l4_exception_ipc);
      else k.charge(k.costs.l4_pagefault_ipc);
      this.finish(d, s.tid, 0);
      return;
    }
    const mr0 = k.utcbRead(s, UTCB_MR);
    const u = tagU(mr0), ty = tagT(mr0);
    if (d.fault === 'pagefault') {
      // The reply's transfer is part of l4_pagefault_ipc; only its mappings cost extra.
      this.mapItems(s, d, u, ty, 0x10);
      k.count('other');
      this.resumeFaulted(d);
      return;
    }
    k.chargeTransfer(s, d);
    if (d.fault === 'exception' || d.fault === 'startup') {
      this.setRegisters(s, d, u, d.fault);
      this.mapItems(s, d, u, ty, 0x10);
      k.count(d.fault === 'startup' ? 'startup' : 'other');
      this.resumeFaulted(d);
      return;
    }
    for (let i = 0; i <= u + ty; i++) k.utcbWrite(d, UTCB_MR + i * 4, k.utcbRead(s, UTCB_MR + i * 4));
    this.mapItems(s, d, u, ty, k.utcbRead(d, UTCB_BR));
    k.count('other');
    this.finish(d, s.tid, 0);
  }

  private resumeFaulted(d: Thread): void {
    d.fault = null;
    this.queuedAt.delete(d);
    if (d.timeout) { this.k.machine.clock.cancel(d.timeout); d.timeout = null; }
    this.k.makeReady(d);
  }

  /** An exception reply (u = 12) or a start message (u = 2 or 12) sets `d`'s registers. */
  private setRegisters(s: Thread, d: Thread, u: number, kind: 'exception' | 'startup'): void {
    const k = this.k;
    const mr = (i: number): number => k.utcbRead(s, UTCB_MR + i * 4);
    const r = k.gpr(d);
    if (kind === 'startup' && u === 2) {
      k.startThread(d, mr(1), mr(2));
      return;
    }
    if (u !== EXC_WORDS) {
      throw new L4Stop(`thread ${hex(s.tid)} replied to the ${kind === 'startup' ? 'start-up wait' : 'exception'} of thread ${hex(d.tid)} with u = ${u} (expected ${kind === 'startup' ? '2 or ' : ''}12 words in the exception layout)`);
    }
    if (kind === 'startup') k.startThread(d, mr(1), mr(8));
    k.setEip(d, mr(1));
    k.setEflags(d, mr(2), USER_EFLAGS);
    r[EDI] = mr(5); r[ESI] = mr(6); r[EBP] = mr(7); r[ESP] = mr(8);
    r[EBX] = mr(9); r[EDX] = mr(10); r[ECX] = mr(11); r[EAX] = mr(12);
  }

  /** Applies the map items of a message; `window` is the receiver's acceptor. */
  private mapItems(s: Thread, d: Thread, u: number, ty: number, window: number): void {
    const k = this.k;
    for (let i = 0; i < ty; i += 2) {
      const w0 = k.utcbRead(s, UTCB_MR + (u + 1 + i) * 4), fp = k.utcbRead(s, UTCB_MR + (u + 2 + i) * 4);
      this.mapFpage(s, fp, (w0 & ~0x3ff) >>> 0, d, window);
    }
  }

  /** One map item: flexpage `fp` of `s`'s space (null: σ0's idempotent space) into `d`'s window. */
  mapFpage(s: Thread | null, fp: number, sendBase: number, d: Thread, window: number): void {
    const k = this.k;
    const f = decodeFpage(fp);
    if (!f) return;
    if ('io' in f) {
      const { port, count, rights } = f.io;
      if (rights === 0) return;
      let granted = 0;
      for (let p = port; p < port + count; p++) {
        if (s && !s.space.hasPort(p)) continue;
        d.space.grantPorts(p, 1);
        granted++;
      }
      if (granted) k.charge(k.costs.l4_map_per_page);
      return;
    }
    const wf = decodeFpage(window);
    if (!wf || !('mem' in wf)) return;
    const { base: fbase, size: fsize, rights } = f.mem;
    if (!(rights & (R | W | X))) return;
    const { base: wbase, size: wsize } = wf.mem;
    let src: number, dst: number, size: number;
    if (fsize <= wsize) {
      src = fbase; size = fsize;
      dst = wbase + ((sendBase % wsize) - ((sendBase % wsize) % fsize));
    } else {
      size = wsize; dst = wbase;
      src = fbase + ((sendBase % fsize) - ((sendBase % fsize) % wsize));
    }
    const writable = (rights & W) !== 0;
    const place = (srcVa: number): number => {
      const v = dst + (srcVa - src);
      if (v + PAGE > KERNEL_AREA) {
        throw new L4Stop(`thread ${s ? hex(s.tid) : 'σ0'}: a map item of ${hex(fp)} would land at ${hex(v)} in the kernel area of thread ${hex(d.tid)}'s space (0xfc000000 up); refused`);
      }
      return v;
    };
    if (!s) {
      for (let a = src; a < src + size; a += PAGE) {
        k.db.map(d.space, place(a), a, writable, null);
        k.charge(k.costs.l4_map_per_page);
      }
      return;
    }
    for (const node of s.space.nodesIn(src, size)) {
      const v = place(node.va);
      if (d.space === s.space && v === node.va) continue;
      k.db.map(d.space, v, node.phys, writable && node.writable, node);
      k.charge(k.costs.l4_map_per_page);
    }
  }

  // ---- messages the kernel sends -----------------------------------------------------------------

  /** `t` faulted: its pager gets the message `words` (MR0..), and `t` waits for the reply. */
  raiseFault(t: Thread, kind: 'pagefault' | 'exception', words: number[]): void {
    const pager = this.k.thread(t.pager);
    if (!pager) throw new L4Stop(`thread ${hex(t.tid)}: pager ${hex(t.pager)} does not exist`);
    t.fault = kind;
    t.kernelMsg = words;
    if (pager.state === 'receiving' && this.accepts(pager, t.tid)) {
      this.transfer(t, pager);
      t.state = 'receiving';
      t.partner = pager.tid;
      return;
    }
    t.state = 'sending';
    t.partner = pager.tid;
    this.queuedAt.set(t, ++this.sendSeq);
  }

  /** Interrupt IPC from line `line`'s thread to `h` (which is receiving from it). */
  deliverInterrupt(line: number, h: Thread): void {
    this.k.utcbWrite(h, UTCB_MR, tag(LABEL_INTERRUPT, 0, 0));
    this.k.count('interrupt');
    this.k.irqDelivered(line);
    this.finish(h, ((line << 14) | 1) >>> 0, 0);
  }

  /** ExchangeRegisters' cancel bits. */
  cancel(t: Thread, control: number): void {
    if ((control & 0x4) && t.state === 'sending' && !t.fault) this.finish(t, NILTHREAD, ipcError(ERR_CANCELLED, false));
    if ((control & 0x8)) {
      if (t.fault === 'pagefault' || t.fault === 'exception') { t.kernelMsg = null; this.resumeFaulted(t); }
      else if (t.state === 'receiving' && t.fault === null) this.finish(t, NILTHREAD, ipcError(ERR_CANCELLED, true));
    }
  }

  /** `gone` was deleted: its partners get error 2, in the phase they were in. */
  partnerGone(gone: Thread, all: Iterable<Thread>): void {
    this.queuedAt.delete(gone);
    for (const t of all) {
      if (t === gone || t.fault) continue;
      if (t.state === 'sending' && t.partner === gone.tid) this.finish(t, NILTHREAD, ipcError(ERR_NOPARTNER, false));
      else if (t.state === 'receiving' && t.partner === gone.tid) this.finish(t, NILTHREAD, ipcError(ERR_NOPARTNER, true));
    }
  }
}
