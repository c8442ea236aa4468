// Interrupt and exception delivery through the IDT: 32- and 16-bit interrupt and trap gates, the
// gate DPL check for software interrupts, the stack switch from the TSS for a transfer to an inner
// ring, error codes, and the double-fault rules (a second fault while delivering the first).
import type { Cpu } from './cpu.ts';
import { CpuFault, GP, NP, TS, SS as SS_VEC, DF as DF_VEC, Unimplemented } from './fault.ts';
import { ESP, IF, TF, NT, RF, VM } from './flags.ts';
import { CS, SS, AR_CODE, AR_EXPDOWN, AR_P, AR_S, AR_WRITABLE, descBase, descLimit, descDpl } from './segments.ts';

/** How an event reached the CPU: raised by an instruction, int n/int3/into, or the INTR pin. */
export type TrapKind = 'exception' | 'software' | 'external';

/**
 * Delivers vector through the IDT. returnEip is the EIP pushed (the faulting instruction for faults,
 * the next one for traps and interrupts). A fault raised while delivering is thrown to the caller,
 * with the CPU's state restored so the caller can apply the double-fault rules.
 */
export function deliver(cpu: Cpu, vector: number, kind: TrapKind, errorCode: number, hasError: boolean, returnEip: number): void {
  const ext = kind === 'external' || kind === 'exception' ? 1 : 0;
  const idtErr = vector * 8 + 2 + (kind === 'software' ? 0 : ext);
  if (vector * 8 + 7 > cpu.idtLimit) throw new CpuFault(GP, idtErr, true);
  const gateAddr = (cpu.idtBase + vector * 8) | 0;
  const lo = cpu.sysRd32(gateAddr), hi = cpu.sysRd32((gateAddr + 4) | 0);
  const type = (hi >> 8) & 0x1f;
  const gateDpl = (hi >> 13) & 3;
  if (type === 0x05) throw new Unimplemented(`task gate in IDT vector ${vector} is not modelled`);
  if (type !== 0x0e && type !== 0x0f && type !== 0x06 && type !== 0x07) throw new CpuFault(GP, idtErr, true);
  if (kind === 'software' && gateDpl < cpu.cpl) throw new CpuFault(GP, idtErr, true);
  if (!(hi & 0x8000)) throw new CpuFault(NP, idtErr, true);
  const gate32 = (type & 8) !== 0;
  const trapGate = (type & 1) !== 0;
  const sel = lo >>> 16;
  const offset = gate32 ? ((lo & 0xffff) | (hi & 0xffff0000)) : lo & 0xffff;
  if (!(sel & 0xfffc)) throw new CpuFault(GP, ext, true);
  cpu.readDescriptor(sel);
  const csLo = cpu.dLo, csHi = cpu.dHi, csAddr = cpu.dAddr;
  const dpl = descDpl(csHi);
  if (!(csHi & AR_S) || !(csHi & AR_CODE) || dpl > cpu.cpl) throw new CpuFault(GP, (sel & 0xfffc) | ext, true);
  if (!(csHi & AR_P)) throw new CpuFault(NP, (sel & 0xfffc) | ext, true);
  if ((offset >>> 0) > descLimit(csLo, csHi)) throw new CpuFault(GP, ext, true);

  const flags = cpu.getEflags();
  const oldCs = cpu.sel[CS]!;
  const size = gate32 ? 4 : 2;
  const conforming = (csHi & AR_EXPDOWN) !== 0;
  const snapshot = cpu.saveStackState();
  try {
    if (!conforming && dpl < cpu.cpl) {
      // Inner ring: new SS:ESP from the TSS.
      if ((cpu.trAr & 0x1f00) !== 0x0b00 && (cpu.trAr & 0x1f00) !== 0x0900) {
        throw new Unimplemented('interrupt to an inner ring without a 32-bit TSS loaded is not modelled');
      }
      cpu.readTssStack(dpl);
      const newEsp = cpu.dLo, newSs = cpu.dHi & 0xffff;
      if (!(newSs & 0xfffc)) throw new CpuFault(TS, ext, true);
      if ((newSs & 3) !== dpl) throw new CpuFault(TS, (newSs & 0xfffc) | ext, true);
      cpu.readDescriptor(newSs, TS);
      const ssHi = cpu.dHi;
      if (descDpl(ssHi) !== dpl || !(ssHi & AR_S) || (ssHi & AR_CODE) || !(ssHi & AR_WRITABLE)) {
        throw new CpuFault(TS, (newSs & 0xfffc) | ext, true);
      }
      if (!(ssHi & AR_P)) throw new CpuFault(SS_VEC, (newSs & 0xfffc) | ext, true);
      cpu.markAccessed();
      const oldSs = cpu.sel[SS]!, oldEsp = cpu.r[ESP]!;
      cpu.setSegCache(SS, newSs, descBase(cpu.dLo, ssHi), descLimit(cpu.dLo, ssHi), ssHi & 0xf0ff00, true);
      cpu.r[ESP] = newEsp;
      cpu.setCpl(dpl); // the pushes below are supervisor accesses
      cpu.push(size, oldSs);
      cpu.push(size, oldEsp);
      cpu.cycles += kind === 'software' ? cpu.costs.int_n_cross_ring : 0;
    } else if (conforming || dpl === cpu.cpl) {
      cpu.cycles += kind === 'software' ? cpu.costs.int_n_same_ring : 0;
    } else {
      throw new CpuFault(GP, (sel & 0xfffc) | ext, true);
    }
    cpu.push(size, flags);
    cpu.push(size, oldCs);
    cpu.push(size, returnEip);
    if (hasError) cpu.push(size, errorCode);
  } catch (e) {
    cpu.restoreStackState(snapshot);
    throw e;
  }
  cpu.dLo = csLo; cpu.dHi = csHi; cpu.dAddr = csAddr;
  cpu.loadCsFromDesc((sel & 0xfffc) | (conforming ? cpu.cpl : dpl));
  cpu.flags &= ~(TF | NT | RF | VM);
  if (!trapGate) cpu.flags &= ~IF;
  cpu.eip = offset | 0;
  cpu.nextEip = offset | 0;
}

/** Exception classes for the double-fault rules. */
function contributory(v: number): boolean {
  return v === 0 || (v >= 10 && v <= 13);
}
/** True if a fault `second` raised while delivering `first` becomes a double fault. */
export function isDoubleFault(first: number, second: number): boolean {
  if (first === 14) return second === 14 || contributory(second);
  return contributory(first) && contributory(second);
}
export { DF_VEC };
