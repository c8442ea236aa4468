// One run of the matrix: a netperf transfer of a guest on a back-end, reduced to the figures the
// results file keeps. It runs in a worker process (harness/worker.ts), one emulator per process,
// and returns only guest quantities, so any -j and any shard give the same figures.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { BackendName } from '../emulator/hypervisors/hypervisor.ts';
import { runNetperf, type NetperfReport } from './workloads/netperf.ts';
import { machineStats, type MachineStats } from '../emulator/stats.ts';
import type { NetperfFigures } from './results.ts';
import { parseSystemMap } from '../emulator/hypervisors/system-map.ts';
import type { ElfSymbol } from '../emulator/hypervisors/elf.ts';
import { holeOutcome } from './hole-outcome.ts';

export interface MeasureSpec {
  configuration: string;
  workload: string;
  backend: string;
  /** The guest kernel ELF (an installed artifact of the cache). */
  guest: string;
  /** The wedge ELF loaded with an afterburnt guest on a hypervisor back-end. */
  wedge?: string;
  /** The initramfs loaded beside a Linux bzImage guest (an installed artifact of the cache). */
  initrd?: string;
  /** The guest's System.map (a bzImage has no symbols): names hole sites under trap-and-emulate. */
  symbols?: string;
  direction: 'send' | 'receive';
  transferBytes: number;
  messageBytes: number;
  profile: string;
  /** Also run a reference transfer of this many bytes and record the difference (the expansion run). */
  referenceBytes?: number;
}

/**
 * failure: the run went wrong (the bench writes no results). notRun: the run ended in an outcome
 * of its configuration that the tables show instead of figures (hole-outcome.ts).
 */
export interface Measurement { figures: NetperfFigures; failure: string | null; notRun: string | null }

function nonZero(rec: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(rec)) if (v > 0) out[k] = v;
  return out;
}

function sensitiveOf(stats: MachineStats): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [name, rings] of Object.entries(stats.sensitive)) if (rings.some((n) => n > 0)) out[name] = [...rings];
  return out;
}

function run(spec: MeasureSpec, elf: Uint8Array, bytes: number, symbols?: ElfSymbol[]): { report: NetperfReport; stats: MachineStats; serial: string } {
  const { report, machine, stop, serial } = runNetperf({
    elf, kernelName: 'kernel.elf', direction: spec.direction, bytes, messageBytes: spec.messageBytes, profile: spec.profile,
    backend: spec.backend as BackendName,
    ...(spec.wedge ? { wedge: readFileSync(spec.wedge), wedgeName: basename(spec.wedge) } : {}),
    ...(spec.initrd ? { initrd: readFileSync(spec.initrd) } : {}),
    ...(symbols ? { symbols } : {}),
  });
  return { report, stats: machineStats(machine, stop), serial };
}

/**
 * What the guest asked of the hypervisor: Xen's hypercalls by name; under L4 the system calls
 * by name and the messages the kernel carried by kind (`ipc pagefault`, `ipc interrupt`, ...).
 */
function hypervisorCalls(report: NetperfReport): Record<string, number> {
  const b = report.backend;
  if (b?.xen) return b.xen.hypercalls;
  if (b?.l4) {
    const out: Record<string, number> = { ...b.l4.system_calls };
    for (const [kind, n] of Object.entries(b.l4.messages)) out[`ipc ${kind}`] = n;
    return out;
  }
  return {};
}

/** a - b for each key of a, zero differences left out. */
function minus(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(a)) if (v - (b[k] ?? 0) !== 0) out[k] = v - (b[k] ?? 0);
  return out;
}

export function measure(spec: MeasureSpec): Measurement {
  if (spec.backend !== 'hardware' && spec.backend !== 'xen' && spec.backend !== 'l4') throw new Error(`back-end '${spec.backend}' has no runner (harness/backends.ts)`);
  const elf = readFileSync(spec.guest);
  const symbols = spec.symbols ? parseSystemMap(readFileSync(spec.symbols, 'latin1'), spec.symbols) : undefined;
  const { report, stats, serial } = run(spec, elf, spec.transferBytes, symbols);
  const notRun = report.verified ? null
    : holeOutcome({ stop: report.stop, mode: report.backend?.mode, holes: report.backend?.trap_and_emulate?.holes ?? [], serial }, symbols);
  const sensitive = sensitiveOf(stats);
  let expansion: NetperfFigures['expansion'];
  let refFailure: string | null = null;
  if (spec.referenceBytes !== undefined) {
    const ref = run(spec, elf, spec.referenceBytes, symbols);
    if (!ref.report.verified) refFailure = `the reference transfer of ${spec.referenceBytes} bytes did not complete: ${ref.report.stop}`;
    const refSensitive = sensitiveOf(ref.stats);
    const diff: Record<string, number[]> = {};
    for (const [name, rings] of Object.entries(sensitive)) {
      const d = rings.map((n, i) => n - (refSensitive[name]?.[i] ?? 0));
      if (d.some((n) => n !== 0)) diff[name] = d;
    }
    expansion = {
      reference_bytes: spec.referenceBytes,
      sensitive: diff,
      interrupts: minus(stats.interrupts, ref.stats.interrupts),
      instructions: stats.instructions - ref.stats.instructions,
    };
  }
  const figures: NetperfFigures = {
    throughput_mib_s: report.throughput.value,
    cpu_percent: Math.round(report.cpu.utilization * 100 * 100) / 100,
    busy_cycles: report.cpu.busy_cycles,
    window_cycles: report.cpu.window_cycles,
    window_instructions: report.cpu.instructions,
    window_ns: report.window_ns,
    bytes: report.bytes,
    verified: report.verified,
    retransmissions: report.retransmissions,
    frames: { from_guest: report.frames.from_guest, to_guest: report.frames.to_guest },
    interrupts: report.interrupts,
    ...(report.window ? { window: report.window } : {}),
    run: {
      instructions: stats.instructions,
      cycles: stats.cycles,
      interrupts: stats.interrupts,
      sensitive,
      software_interrupts: nonZero(stats.software_interrupts),
      exceptions: nonZero(stats.exceptions),
      hypercalls: nonZero(hypervisorCalls(report)),
    },
    ...(expansion ? { expansion } : {}),
  };
  const failure = refFailure ?? (report.verified || notRun ? null : `the transfer did not complete: ${report.stop}${report.nic_errors.length ? `; NIC: ${report.nic_errors.join('; ')}` : ''}`);
  return { figures, failure, notRun };
}
