// The machine's cycle clock and event queue. Guest time is counted in CPU cycles only (never the
// host clock): the CPU advances it as it executes, device accesses add their cost from the
// profile, and devices schedule callbacks at future cycles. `hlt` jumps the clock to the next
// event; those skipped cycles are counted as idle, everything else as busy.

/** Whatever owns the running cycle count: the CPU in a machine, a plain object in device tests. */
export interface TimeSource {
  cycles: number;
}

/**
 * What a device needs of the clock: the current cycle, and a callback at a later one (events at
 * the same cycle run in the order scheduled; the name is for reading the queue). The machine's
 * Clock provides it; the network's tests run on net/sim-clock.ts.
 */
export interface Scheduler {
  now(): number;
  schedule(at: number, name: string, fire: () => void): unknown;
}

/** A scheduled callback; keep it to cancel. */
export interface ClockEvent {
  readonly at: number;
  readonly seq: number;
  readonly name: string;
  cancelled: boolean;
  fire: () => void;
}

/**
 * The first value of a field that counts cycles (or nanoseconds). V8 gives an object's field the
 * representation of the first value stored in it: a small integer (31 bits) until a count passes
 * 2^31, about 0.77 s of guest time in cycles, and then every function compiled against the
 * object's shape is thrown away and compiled again (every compiled block included, in the middle
 * of a run). A field that starts as a non-integer is a double from the start; the constructor
 * then sets its real first value.
 */
export const WIDE_COUNT = 0.5;

/** Frequency of the 8254's input clock in Hz (the PC's 14.31818 MHz crystal divided by 12). */
export const PIT_HZ = 1193182;

export class Clock implements Scheduler {
  /** Cycles skipped while the CPU was halted. */
  idleCycles = WIDE_COUNT;
  /** Called when an event is scheduled earlier than any other: a running CPU must stop sooner. */
  onEarlierEvent: (() => void) | null = null;
  /**
   * The pending events as a binary heap ordered by (at, seq), with each event's `at` beside it in
   * `keys`: a comparison reads a packed array of doubles instead of two events spread over the
   * heap (the queue holds about a hundred events during a transfer, and a pop compares two
   * children per level). (at, seq) is a total order, so the events fire in the same order as
   * from any other priority queue.
   */
  private heap: ClockEvent[] = [];
  private keys = new Float64Array(64);
  private seq = 0;

  /** `hz` is the CPU clock the cycles count (cpu_mhz x 10^6). */
  constructor(readonly source: TimeSource, readonly hz: number) {
    if (!Number.isSafeInteger(hz) || hz <= 0) throw new Error(`clock: CPU frequency must be a positive whole number of Hz, got ${hz}`);
    this.idleCycles = 0;
  }

  /** The current cycle. */
  now(): number {
    return this.source.cycles;
  }

  /** Adds the cost of a device access (port I/O, MMIO) to the running cycle count. */
  charge(cycles: number): void {
    this.source.cycles += cycles;
  }

  /** Busy cycles: everything the CPU spent executing, including device access costs. */
  busyCycles(): number {
    return this.source.cycles - this.idleCycles;
  }

  /**
   * Schedules `fire` at cycle `at` (not before now). Events due at the same cycle fire in the
   * order they were scheduled, so the run is deterministic.
   */
  schedule(at: number, name: string, fire: () => void): ClockEvent {
    const when = Math.max(Math.ceil(at), this.source.cycles);
    const ev: ClockEvent = { at: when, seq: this.seq++, name, cancelled: false, fire };
    const wasFirst = this.nextEventAt();
    this.push(ev);
    if (when < wasFirst && this.onEarlierEvent) this.onEarlierEvent();
    return ev;
  }

  /** Cancels an event; cancelling one that already fired or was cancelled does nothing. */
  cancel(ev: ClockEvent | null): void {
    if (ev) ev.cancelled = true;
  }

  /** The cycle of the earliest live event, or Infinity when nothing is scheduled. */
  nextEventAt(): number {
    this.dropCancelled();
    return this.heap.length > 0 ? this.keys[0]! : Infinity;
  }

  /** Fires every event due at or before now, earliest first (events may schedule more). Returns how many fired. */
  runDue(): number {
    let fired = 0;
    for (;;) {
      this.dropCancelled();
      if (this.heap.length === 0 || this.keys[0]! > this.source.cycles) return fired;
      const top = this.heap[0]!;
      this.pop();
      top.cancelled = true;
      top.fire();
      fired++;
    }
  }

  /** Jumps the clock forward to `at` while the CPU is halted; the skipped cycles count as idle. */
  idleUntil(at: number): void {
    const skip = at - this.source.cycles;
    if (skip <= 0) return;
    this.source.cycles = at;
    this.idleCycles += skip;
  }

  /** Converts a cycle count to whole ticks of a clock of `hz`, rounding down, exactly for any safe count. */
  cyclesToTicks(cycles: number, hz: number): number {
    return mulDivFloor(cycles, hz, this.hz);
  }

  /** The number of cycles that `ticks` periods of a clock of `hz` take, rounding up. */
  ticksToCycles(ticks: number, hz: number): number {
    return mulDivCeil(ticks, this.hz, hz);
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
  }

  /** Adds ev, moving the hole up from the end while its parent comes after ev. */
  private push(ev: ClockEvent): void {
    const h = this.heap;
    let i = h.length;
    if (i === this.keys.length) {
      const grown = new Float64Array(i * 2);
      grown.set(this.keys);
      this.keys = grown;
    }
    const k = this.keys, at = ev.at;
    h.push(ev);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pAt = k[p]!;
      if (pAt < at || (pAt === at && h[p]!.seq < ev.seq)) break;
      h[i] = h[p]!;
      k[i] = pAt;
      i = p;
    }
    h[i] = ev;
    k[i] = at;
  }

  /** Removes the first event: the last one fills the hole at the root, moving down past earlier children. */
  private pop(): void {
    const h = this.heap, k = this.keys;
    const last = h.pop()!;
    const n = h.length;
    if (n === 0) return;
    const at = k[n]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let cAt = k[c]!;
      if (c + 1 < n) {
        const rAt = k[c + 1]!;
        if (rAt < cAt || (rAt === cAt && h[c + 1]!.seq < h[c]!.seq)) { c++; cAt = rAt; }
      }
      if (at < cAt || (at === cAt && last.seq < h[c]!.seq)) break;
      h[i] = h[c]!;
      k[i] = cAt;
      i = c;
    }
    h[i] = last;
    k[i] = at;
  }
}

/**
 * floor(a * b / c) for non-negative integers without losing precision when a * b exceeds 2^53:
 * split a into q * c + r so the partial product r * b stays below c * b (< 2^53 for the clock
 * rates used here), then divide exactly.
 */
export function mulDivFloor(a: number, b: number, c: number): number {
  const [q, r] = split(a, c);
  return q * b + divFloor(r * b, c);
}

/** ceil(a * b / c) for non-negative integers, with the same splitting as mulDivFloor. */
export function mulDivCeil(a: number, b: number, c: number): number {
  const [q, r] = split(a, c);
  const x = r * b;
  const f = divFloor(x, c);
  return q * b + (f * c === x ? f : f + 1);
}

/** Exact floor(x / c) for safe non-negative integers: corrects the float quotient by one either way. */
function divFloor(x: number, c: number): number {
  let f = Math.floor(x / c);
  if (f * c > x) f--;
  else if ((f + 1) * c <= x) f++;
  return f;
}

/** a = q * c + r with 0 <= r < c, exact for safe integers. */
function split(a: number, c: number): [number, number] {
  const q = divFloor(a, c);
  return [q, a - q * c];
}
