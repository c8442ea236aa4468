// What a string instruction costs, as the profile's sources mean it: a rep prefix pays its
// set-up (rep_movs_setup) once per instruction, however many chunks the emulator runs it in and
// however often an interrupt or fault suspends it; rep movs and rep stos then pay per byte moved at
// the rate the memory bus sustains (bus_cycles_per_kib), a copy crossing the bus twice (read and
// write back), a fill once; the other string instructions pay rep_per_element per element.
// Kept apart from the CPU's execution so fast paths charge exactly what the interpreter does.
import type { CostTable } from '../types.ts';

/** Bytes that cross the memory bus per byte a rep movs (2: read and write back) or rep stos (1) moves. */
export const BUS_BYTES_PER_BYTE = { movs: 2, stos: 1 } as const;

/** Cycles to start a rep-prefixed instruction (charged once per instruction, not per resume). */
export function repSetupCycles(c: CostTable): number {
  return c.rep_movs_setup;
}

/**
 * Cycles for the bytes a bulk rep (movs or stos) has moved so far, counted from the instruction's
 * start: charging `bulkCycles(c, kind, after) - bulkCycles(c, kind, before)` for each piece of work
 * makes the whole instruction cost exactly bulkCycles(c, kind, total), whatever the pieces.
 */
export function bulkCycles(c: CostTable, kind: keyof typeof BUS_BYTES_PER_BYTE, bytes: number): number {
  return Math.floor((bytes * BUS_BYTES_PER_BYTE[kind] * c.bus_cycles_per_kib) / 1024);
}

/** Cycles per element of a rep cmps/lods/scas/ins/outs (not bus-bound bulk moves). */
export function repElementCycles(c: CostTable): number {
  return c.rep_per_element;
}
