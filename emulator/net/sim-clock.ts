// A minimal cycle clock with an event queue, for tests and the peer-to-peer bench. The machine
// has its own; this one exists so the network can run without a CPU. Events are ordered by
// (cycle, order scheduled): a binary heap keyed on both keeps runs deterministic.
import type { Scheduler } from '../clock.ts';

interface Ev { at: number; seq: number; fn: () => void }

export class SimClock implements Scheduler {
  private cycle = 0;
  private seq = 0;
  private heap: Ev[] = [];

  now(): number {
    return this.cycle;
  }

  schedule(atCycle: number, _name: string, fn: () => void): void {
    const ev = { at: Math.max(atCycle, this.cycle), seq: this.seq++, fn };
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(ev, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = ev;
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Runs events in order until none is left, stop() returns true, or the clock would pass limit. */
  run(limitCycle = Infinity, stop: () => boolean = () => false): void {
    while (this.heap.length > 0 && !stop()) {
      const ev = this.heap[0]!;
      if (ev.at > limitCycle) {
        this.cycle = limitCycle;
        return;
      }
      this.pop();
      this.cycle = ev.at;
      ev.fn();
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(h[r]!, h[l]!) ? r : l;
      if (!before(h[c]!, last)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}

function before(a: Ev, b: Ev): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
