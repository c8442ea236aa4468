// Window-exact counters: every counter the machine, the CPU, the back-end and the wedge keep,
// read at both edges of a measurement window (a netperf transfer), and their differences. The
// counters themselves count from boot; a window's figures are only ever the difference of two
// snapshots, so boot, connection set-up and what follows the window cancel out. The cycle
// breakdown (cpu/cycle-ledger.ts) is checked here to sum exactly to the window's cycles.
import type { Machine } from './machine.ts';
import type { BackendStats } from './hypervisors/hypervisor.ts';
import { breakdownDelta, breakdownSum, type CycleBreakdown } from './cpu/cycle-ledger.ts';
import { SENSITIVE } from './cpu/stats.ts';

/** Everything counted, at one instant. */
export interface CounterSnapshot {
  cycles: CycleBreakdown;
  exceptions: Record<string, number>;
  interruptVectors: Record<string, number>;
  softwareInterrupts: Record<string, number>;
  tlb: { hits: number; misses: number; flushes: number; invlpg: number };
  sensitive: Record<string, number[]>;
  devices: { port_accesses: number; mmio_accesses: number };
  /** The back-end's statistics (hypercalls, L4 messages, the wedge's counters), absent on hardware. */
  backend: BackendStats | null;
}

/** The counters' differences over a window (JSON-ready; zero differences left out of the records). */
export interface WindowCounters {
  /** Where the window's cycles went; the categories sum to `cycles.total`, the window's cycles. */
  cycles: CycleBreakdown;
  /** Exceptions the CPU raised, by vector (14: page faults), whoever handled them. */
  exceptions: Record<string, number>;
  page_faults: number;
  /** Hardware interrupts the CPU took, by vector. */
  interrupt_vectors: Record<string, number>;
  software_interrupts: Record<string, number>;
  tlb: { hits: number; misses: number; flushes: number; invlpg: number };
  /** Sensitive instructions executed, by name, as [ring0, ring1, ring2, ring3]. */
  sensitive: Record<string, number[]>;
  /** Port and MMIO accesses; with a NIC, the times its interrupt line was raised (its interrupt requests). */
  devices: { port_accesses: number; mmio_accesses: number; nic_interrupt_requests?: number };
  /**
   * The back-end's counters over the window: Xen's hypercalls and its other counts, L4's system
   * calls and messages, the wedge's counters (32-bit, differences taken modulo 2^32).
   */
  backend?: Record<string, unknown>;
}

export function snapshotCounters(machine: Machine, backend: { stats(): BackendStats } | null): CounterSnapshot {
  const s = machine.cpu.stats;
  const sensitive: Record<string, number[]> = {};
  for (const name of SENSITIVE) sensitive[name] = [...s.sensitive[name]];
  return {
    cycles: machine.cpu.ledger.breakdown(),
    exceptions: { ...s.exceptions },
    interruptVectors: { ...s.interrupts },
    softwareInterrupts: { ...s.softwareInterrupts },
    tlb: { hits: s.tlbHits, misses: s.tlbMisses, flushes: s.tlbFlushes, invlpg: s.tlbInvlpg },
    sensitive,
    devices: { port_accesses: machine.bus.portAccesses, mmio_accesses: machine.bus.mmioAccesses },
    backend: backend ? structuredClone(backend.stats()) : null,
  };
}

function recordDelta(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(b).sort((x, y) => Number(x) - Number(y) || (x < y ? -1 : x > y ? 1 : 0))) {
    const d = b[k]! - (a[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/** Back-end fields that are not counters (names, ratios, lists, messages). */
const NOT_COUNTERS = new Set(['backend', 'mode', 'sensitive_per_interrupt', 'holes', 'crash', 'wedge_error']);

/** b - a over a tree of counters: numbers subtract, objects recurse, anything else is left out. */
function treeDelta(a: unknown, b: unknown, wrap32: boolean): unknown {
  if (typeof b === 'number') {
    const d = b - (typeof a === 'number' ? a : 0);
    return wrap32 ? d >>> 0 : d;
  }
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return undefined;
  const ao = (typeof a === 'object' && a !== null ? a : {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(b as Record<string, unknown>)) {
    if (NOT_COUNTERS.has(k)) continue;
    const d = treeDelta(ao[k], v, wrap32 || k === 'wedge');
    if (d === undefined || d === 0) continue;
    if (typeof d === 'object' && Object.keys(d as object).length === 0) continue;
    out[k] = d;
  }
  return out;
}

/** The window from snapshot a to snapshot b; throws if the cycle breakdown does not sum to the window's cycles. */
export function windowCounters(a: CounterSnapshot, b: CounterSnapshot): WindowCounters {
  const cycles = breakdownDelta(a.cycles, b.cycles);
  const sum = breakdownSum(cycles);
  if (sum !== cycles.total) {
    throw new Error(`internal error: the window's cycle breakdown sums to ${sum}, but ${cycles.total} cycles passed: ${JSON.stringify(cycles)}`);
  }
  const sensitive: Record<string, number[]> = {};
  for (const name of SENSITIVE) {
    const d = b.sensitive[name]!.map((n, i) => n - a.sensitive[name]![i]!);
    if (d.some((n) => n !== 0)) sensitive[name] = d;
  }
  const exceptions = recordDelta(a.exceptions, b.exceptions);
  const out: WindowCounters = {
    cycles,
    exceptions,
    page_faults: exceptions['14'] ?? 0,
    interrupt_vectors: recordDelta(a.interruptVectors, b.interruptVectors),
    software_interrupts: recordDelta(a.softwareInterrupts, b.softwareInterrupts),
    tlb: { hits: b.tlb.hits - a.tlb.hits, misses: b.tlb.misses - a.tlb.misses, flushes: b.tlb.flushes - a.tlb.flushes, invlpg: b.tlb.invlpg - a.tlb.invlpg },
    sensitive,
    devices: { port_accesses: b.devices.port_accesses - a.devices.port_accesses, mmio_accesses: b.devices.mmio_accesses - a.devices.mmio_accesses },
  };
  if (b.backend) out.backend = treeDelta(a.backend, b.backend, false) as Record<string, unknown>;
  return out;
}
