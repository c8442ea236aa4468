// The CPU's counters. Everything here is a plain, JSON-serialisable object whose keys are
// created up front in a fixed order, so two runs of the same guest serialise byte-identically.
// Sensitive instructions are counted per CPL ([ring0, ring1, ring2, ring3]); the tables later
// read names such as "write_ds" or "read_fs" straight from here.
import { WIDE_COUNT } from '../clock.ts';

/** Names of the counted sensitive instructions, in output order. */
export const SENSITIVE = [
  'cli', 'sti', 'pushf', 'popf', 'iret', 'hlt',
  'in', 'out', 'ins', 'outs',
  'lgdt', 'lidt', 'lldt', 'ltr', 'sgdt', 'sidt', 'sldt', 'str',
  'mov_to_cr0', 'mov_to_cr2', 'mov_to_cr3', 'mov_to_cr4',
  'mov_from_cr0', 'mov_from_cr2', 'mov_from_cr3', 'mov_from_cr4',
  'mov_to_dr', 'mov_from_dr',
  'write_cs', 'write_ss', 'write_ds', 'write_es', 'write_fs', 'write_gs',
  'read_cs', 'read_ss', 'read_ds', 'read_es', 'read_fs', 'read_gs',
  'invlpg', 'invd', 'wbinvd', 'clts', 'lmsw', 'smsw',
  'int', 'int3', 'into', 'cpuid', 'rdtsc', 'rdmsr', 'wrmsr',
  'lar', 'lsl', 'verr', 'verw', 'arpl',
  'far_jmp', 'far_call', 'far_ret',
] as const;
export type SensitiveName = (typeof SENSITIVE)[number];

export interface CpuStats {
  /** Instructions retired (completed without a fault). */
  instructions: number;
  /** Exceptions raised, by vector (decimal string keys, ascending). */
  exceptions: Record<string, number>;
  /** Hardware interrupts delivered, by vector. */
  interrupts: Record<string, number>;
  /** Software interrupts (int n, int3, into) executed, by vector. */
  softwareInterrupts: Record<string, number>;
  /** Linear-to-physical translations served by the TLB / requiring a page walk (paging on). */
  tlbHits: number;
  tlbMisses: number;
  /** Whole-TLB flushes (CR3/CR0/CR4 writes) and single-page invalidations (invlpg). */
  tlbFlushes: number;
  tlbInvlpg: number;
  /** Instructions decoded (a decode-cache miss) and decoded-code invalidations by writes. */
  decodes: number;
  codeInvalidations: number;
  /** Sensitive instructions executed, by name, each [cpl0, cpl1, cpl2, cpl3]. */
  sensitive: Record<SensitiveName, [number, number, number, number]>;
}

export function newCpuStats(): CpuStats {
  const sensitive = {} as Record<SensitiveName, [number, number, number, number]>;
  for (const name of SENSITIVE) sensitive[name] = [0, 0, 0, 0];
  // The counts start as doubles (clock.ts WIDE_COUNT), then are set to 0: a long run passes 2^31
  // instructions and TLB hits, and a field V8 gave a small-integer representation would then
  // change it, throwing away every function compiled against this object's shape (every block
  // function: they count TLB hits), which then run unoptimized and are compiled again.
  const stats: CpuStats = {
    instructions: WIDE_COUNT, exceptions: {}, interrupts: {}, softwareInterrupts: {},
    tlbHits: WIDE_COUNT, tlbMisses: WIDE_COUNT, tlbFlushes: WIDE_COUNT, tlbInvlpg: WIDE_COUNT,
    decodes: WIDE_COUNT, codeInvalidations: WIDE_COUNT,
    sensitive,
  };
  stats.instructions = stats.tlbHits = stats.tlbMisses = stats.tlbFlushes = stats.tlbInvlpg = 0;
  stats.decodes = stats.codeInvalidations = 0;
  return stats;
}

/** Adds one to a by-vector record (integer-like keys keep ascending order in JSON). */
export function countVector(rec: Record<string, number>, vector: number): void {
  rec[vector] = (rec[vector] ?? 0) + 1;
}
