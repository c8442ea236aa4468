// The two ways an instruction stops early. A CpuFault is a guest-visible exception (#GP, #PF...)
// that the run loop delivers through the IDT; Unimplemented is an encoding or feature the
// emulator does not model, which ends the run with a clear message instead of guessing.

export const DE = 0, DB = 1, NMI = 2, BP = 3, OFV = 4, BR = 5, UD = 6, NM = 7, DF = 8;
export const TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17;

/** Vectors whose hardware frame carries an error code (#DF, #TS, #NP, #SS, #GP, #PF, #AC). */
export function hasErrorCode(vector: number): boolean {
  return vector === DF || (vector >= TS && vector <= PF) || vector === AC;
}

/** A guest-visible exception raised while executing an instruction. */
export class CpuFault {
  constructor(readonly vector: number, readonly code: number, readonly hasCode: boolean) {}
}

/** Something the CPU model does not implement; the run ends with this message. */
export class Unimplemented {
  constructor(readonly message: string) {}
}

export function fault(vector: number, code?: number): CpuFault {
  return new CpuFault(vector, code ?? 0, code !== undefined);
}

/** The processor shut down (triple fault); the run ends with this message. */
export class Shutdown {
  constructor(readonly message: string) {}
}
