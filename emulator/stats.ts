// The machine-level statistics of a run, assembled from the CPU's counters, the clock and the
// devices into one JSON-ready object. Keys are built in a fixed order and every figure is a guest
// quantity (no host time), so the same run serialises to the same bytes.
import type { Machine, MachineStop } from './machine.ts';

export interface MachineStats {
  profile: string;
  cpu_mhz: number;
  mem_bytes: number;
  stop: { kind: MachineStop['kind']; detail: string; exit_value: number | null };
  instructions: number;
  cycles: { total: number; busy: number; idle: number };
  /** Exceptions by vector (decimal keys). */
  exceptions: Record<string, number>;
  /** Hardware interrupts by IRQ line (decimal keys), counted at the PIC's INTA cycle. */
  interrupts: Record<string, number>;
  /** Hardware interrupts by vector as the CPU took them. */
  interrupt_vectors: Record<string, number>;
  software_interrupts: Record<string, number>;
  spurious_interrupts: number;
  tlb: { hits: number; misses: number; flushes: number; invlpg: number };
  decode: { decodes: number; code_invalidations: number };
  /** Sensitive instructions executed, by name (every name the CPU counts, fixed order), as [cpl0, cpl1, cpl2, cpl3]. */
  sensitive: Record<string, [number, number, number, number]>;
  devices: { port_accesses: number; mmio_accesses: number; serial_bytes: number; pit_irq0_edges: number };
  /** The back-end's own figures (world boot --stats adds them; see emulator/hypervisors/hypervisor.ts). */
  backend?: import('./hypervisors/hypervisor.ts').BackendStats;
}

export function machineStats(m: Machine, stop: MachineStop): MachineStats {
  const s = m.cpu.stats;
  const interrupts: Record<string, number> = {};
  m.pic.delivered.forEach((n, irq) => {
    if (n > 0) interrupts[irq] = n;
  });
  const sensitive: Record<string, [number, number, number, number]> = {};
  for (const [name, counts] of Object.entries(s.sensitive)) sensitive[name] = [...counts];
  const detail = stop.kind === 'exit' ? `guest wrote ${stop.value} to the debug-exit port` : stop.detail;
  return {
    profile: m.profile.name,
    cpu_mhz: m.profile.cpuMhz,
    mem_bytes: m.bus.ram.length,
    stop: { kind: stop.kind, detail, exit_value: stop.kind === 'exit' ? stop.value : null },
    instructions: s.instructions,
    cycles: { total: m.cpu.cycles, busy: m.clock.busyCycles(), idle: m.clock.idleCycles },
    exceptions: sortedKeys(s.exceptions),
    interrupts,
    interrupt_vectors: sortedKeys(s.interrupts),
    software_interrupts: sortedKeys(s.softwareInterrupts),
    spurious_interrupts: m.pic.spurious,
    tlb: { hits: s.tlbHits, misses: s.tlbMisses, flushes: s.tlbFlushes, invlpg: s.tlbInvlpg },
    decode: { decodes: s.decodes, code_invalidations: s.codeInvalidations },
    sensitive,
    devices: {
      port_accesses: m.bus.portAccesses,
      mmio_accesses: m.bus.mmioAccesses,
      serial_bytes: m.uart.transmitted,
      pit_irq0_edges: m.pit.irq0Edges,
    },
  };
}

/** A copy with numeric keys ascending, whatever order they were counted in. */
function sortedKeys(rec: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(rec).sort((a, b) => Number(a) - Number(b))) out[k] = rec[k]!;
  return out;
}

/** The statistics as the --stats file holds them: indented JSON with number arrays on one line. */
export function formatStats(stats: MachineStats): string {
  return JSON.stringify(stats, null, 2).replace(/\[\s+([\d,\s]+?)\s+\]/g, (_, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`) + '\n';
}
