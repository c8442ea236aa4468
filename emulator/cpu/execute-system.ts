// System and sensitive instructions: port I/O, cli/sti/hlt, software interrupts, segment register
// moves and loads, descriptor-table registers, control and debug registers, TLB and cache control,
// cpuid/rdtsc/msr, lar/lsl/verr/verw/arpl. Each counts itself in stats.sensitive by CPL before its
// privilege check, so faulting attempts (the interesting ones under a hypervisor) are counted too.
import type { Cpu } from './cpu.ts';
import type { Insn } from './decode.ts';
import { CpuFault, GP, UD, NM, NP, Unimplemented, DB, BP, OFV } from './fault.ts';
import { EAX, ECX, EDX, EBX, IF, ZF, TF } from './flags.ts';
import { ES, CS, SS, DS, FS, GS, SEG_NAMES, AR_CODE, AR_EXPDOWN, AR_S, AR_P, AR_WRITABLE, descBase, descLimit, descDpl } from './segments.ts';
import { CR0_PE, CR0_PG, CR0_WP, CR0_TS, CR0_MP, CR0_EM, CR4_TSD, CR4_PSE, CR4_PGE, CR4_DE } from './mmu.ts';
import type { SensitiveName } from './stats.ts';
import { MSR_TSC } from './msrs.ts';

function requireCpl0(cpu: Cpu): void {
  if (cpu.cpl !== 0) throw new CpuFault(GP, 0, true);
}

// ---- port I/O -----------------------------------------------------------------------------------
/** The port an in/out names: DX (EC-EF) or its 8-bit immediate (E4-E7). The size is i.os (1 for the byte forms). */
export function ioPort(cpu: Cpu, i: Insn): number {
  return i.op & 8 ? cpu.r[EDX]! & 0xffff : i.imm & 0xff;
}
/** in AL/eAX, Ib|DX (E4/E5/EC/ED) */
export function inOp(cpu: Cpu, i: Insn): void {
  cpu.sens('in');
  const port = ioPort(cpu, i);
  cpu.ioCheck(port, i.os);
  cpu.setReg(i.os, EAX, cpu.portIn(port, i.os));
}
/** out Ib|DX, AL/eAX (E6/E7/EE/EF) */
export function outOp(cpu: Cpu, i: Insn): void {
  cpu.sens('out');
  const port = ioPort(cpu, i);
  cpu.ioCheck(port, i.os);
  cpu.portOut(port, i.os, cpu.getReg(i.os, EAX));
}

// ---- interrupt flag, halt, software interrupts -------------------------------------------------
export function cli(cpu: Cpu): void {
  cpu.sens('cli');
  if (cpu.cpl > ((cpu.flags >> 12) & 3)) throw new CpuFault(GP, 0, true);
  cpu.flags &= ~IF;
}
export function sti(cpu: Cpu): void {
  cpu.sens('sti');
  if (cpu.cpl > ((cpu.flags >> 12) & 3)) throw new CpuFault(GP, 0, true);
  if (!(cpu.flags & IF)) {
    cpu.flags |= IF;
    cpu.interruptShadow(); // interrupts are recognised only after the next instruction
  }
}
export function hlt(cpu: Cpu): void {
  cpu.sens('hlt');
  requireCpl0(cpu);
  cpu.halt();
}
/** int n (CD) */
export function intN(cpu: Cpu, i: Insn): void {
  cpu.sens('int');
  cpu.softwareInterrupt(i.imm & 0xff, true);
}
export function int3(cpu: Cpu): void {
  cpu.sens('int3');
  cpu.softwareInterrupt(BP, true);
}
export function into(cpu: Cpu): void {
  cpu.sens('into');
  if (cpu.getOF()) cpu.softwareInterrupt(OFV, true);
}
/** int1 / icebp (F1): a #DB trap without the gate DPL check. */
export function int1(cpu: Cpu): void {
  cpu.softwareInterrupt(DB, false);
}

// ---- segment registers --------------------------------------------------------------------------
const WRITE_NAMES: SensitiveName[] = ['write_es', 'write_cs', 'write_ss', 'write_ds', 'write_fs', 'write_gs'];
const READ_NAMES: SensitiveName[] = ['read_es', 'read_cs', 'read_ss', 'read_ds', 'read_fs', 'read_gs'];

/** mov Ew,Sw (8C): a register destination gets the selector zero-extended with a 32-bit operand. */
export function movFromSreg(cpu: Cpu, i: Insn): void {
  if (i.reg > 5) throw new CpuFault(UD, 0, false);
  cpu.sens(READ_NAMES[i.reg]!);
  cpu.cycles += cpu.costs.mov_from_sreg;
  const v = cpu.sel[i.reg]!;
  if (i.mod === 3) cpu.setReg(i.os, i.rm, v); else cpu.wr16(cpu.eaW(i, 2), v);
}
/** mov Sw,Ew (8E) */
export function movToSreg(cpu: Cpu, i: Insn): void {
  if (i.reg > 5 || i.reg === CS) throw new CpuFault(UD, 0, false);
  cpu.sens(WRITE_NAMES[i.reg]!);
  cpu.cycles += cpu.costs.mov_to_sreg;
  const v = i.mod === 3 ? cpu.r[i.rm]! & 0xffff : cpu.rd16(cpu.eaR(i, 2));
  cpu.loadSeg(i.reg, v);
  if (i.reg === SS) cpu.interruptShadow();
}
const PUSH_SEG: Record<number, number> = { 0x06: ES, 0x0e: CS, 0x16: SS, 0x1e: DS, 0x1a0: FS, 0x1a8: GS };
const POP_SEG: Record<number, number> = { 0x07: ES, 0x17: SS, 0x1f: DS, 0x1a1: FS, 0x1a9: GS };
export function pushSreg(cpu: Cpu, i: Insn): void {
  const seg = PUSH_SEG[i.op]!;
  cpu.sens(READ_NAMES[seg]!);
  cpu.cycles += cpu.costs.mov_from_sreg;
  // A 32-bit push of a segment register writes only the low word (P6 and later), leaving the rest.
  if (i.os === 4) {
    cpu.probeStackWrite(-4, 4);
    cpu.addSp(-4);
    cpu.wr16(cpu.linW(SS, cpu.stack32 ? cpu.r[4]! : cpu.r[4]! & 0xffff, 2), cpu.sel[seg]!);
  } else cpu.push16(cpu.sel[seg]!);
}
export function popSreg(cpu: Cpu, i: Insn): void {
  const seg = POP_SEG[i.op]!;
  cpu.sens(WRITE_NAMES[seg]!);
  cpu.cycles += cpu.costs.mov_to_sreg;
  const v = cpu.peek(0, i.os) & 0xffff;
  cpu.loadSeg(seg, v);
  cpu.addSp(i.os);
  if (seg === SS) cpu.interruptShadow();
}
/** les/lds/lss/lfs/lgs Gv,Mp (C4, C5, 0F B2, 0F B4, 0F B5) */
export function loadFarPointer(cpu: Cpu, i: Insn): void {
  if (i.mod === 3) throw new CpuFault(UD, 0, false);
  const seg = i.op === 0xc4 ? ES : i.op === 0xc5 ? DS : i.op === 0x1b2 ? SS : i.op === 0x1b4 ? FS : GS;
  cpu.sens(WRITE_NAMES[seg]!);
  cpu.cycles += cpu.costs.mov_to_sreg;
  const off = cpu.ea(i), size = i.os;
  const v = cpu.rd(cpu.linR(i.seg, off, size), size);
  const sel = cpu.rd16(cpu.linR(i.seg, (off + size) | 0, 2));
  cpu.loadSeg(seg, sel);
  cpu.setReg(size, i.reg, v);
}

// ---- descriptor-table registers (0F 00, 0F 01) --------------------------------------------------
export function group6(cpu: Cpu, i: Insn): void {
  switch (i.reg) {
    case 0: case 1: { // sldt, str
      cpu.sens(i.reg === 0 ? 'sldt' : 'str');
      const v = i.reg === 0 ? cpu.ldtSel : cpu.trSel;
      if (i.mod === 3) cpu.setReg(i.os, i.rm, v); else cpu.wr16(cpu.eaW(i, 2), v);
      return;
    }
    case 2: { // lldt
      cpu.sens('lldt');
      requireCpl0(cpu);
      cpu.cycles += cpu.costs.descriptor_table_load;
      const sel = i.mod === 3 ? cpu.r[i.rm]! & 0xffff : cpu.rd16(cpu.eaR(i, 2));
      if (!(sel & 0xfffc)) { cpu.ldtSel = 0; cpu.ldtBase = 0; cpu.ldtLimit = 0; return; }
      if (sel & 4) throw new CpuFault(GP, sel & 0xfffc, true);
      cpu.readDescriptor(sel);
      if ((cpu.dHi & 0x1f00) !== 0x0200) throw new CpuFault(GP, sel & 0xfffc, true);
      if (!(cpu.dHi & AR_P)) throw new CpuFault(NP, sel & 0xfffc, true);
      cpu.ldtSel = sel; cpu.ldtBase = descBase(cpu.dLo, cpu.dHi) | 0; cpu.ldtLimit = descLimit(cpu.dLo, cpu.dHi);
      return;
    }
    case 3: { // ltr
      cpu.sens('ltr');
      requireCpl0(cpu);
      cpu.cycles += cpu.costs.descriptor_table_load;
      const sel = i.mod === 3 ? cpu.r[i.rm]! & 0xffff : cpu.rd16(cpu.eaR(i, 2));
      if (!(sel & 0xfffc) || (sel & 4)) throw new CpuFault(GP, sel & 0xfffc, true);
      cpu.readDescriptor(sel);
      const type = (cpu.dHi >> 8) & 0x1f;
      if (type !== 0x09 && type !== 0x01) throw new CpuFault(GP, sel & 0xfffc, true);
      if (!(cpu.dHi & AR_P)) throw new CpuFault(NP, sel & 0xfffc, true);
      cpu.dHi |= 0x200; // busy
      cpu.sysWr32((cpu.dAddr + 4) | 0, cpu.dHi);
      cpu.trSel = sel; cpu.trBase = descBase(cpu.dLo, cpu.dHi) | 0; cpu.trLimit = descLimit(cpu.dLo, cpu.dHi);
      cpu.trAr = cpu.dHi & 0xf0ff00;
      return;
    }
    case 4: case 5: { // verr, verw
      cpu.sens(i.reg === 4 ? 'verr' : 'verw');
      const sel = i.mod === 3 ? cpu.r[i.rm]! & 0xffff : cpu.rd16(cpu.eaR(i, 2));
      let ok = false;
      if (sel & 0xfffc && probeDescriptor(cpu, sel)) {
        const hi = cpu.dHi, dpl = descDpl(hi);
        const conforming = (hi & AR_CODE) && (hi & AR_EXPDOWN);
        if ((hi & AR_S) && (conforming || (dpl >= cpu.cpl && dpl >= (sel & 3)))) {
          ok = i.reg === 4 ? !(hi & AR_CODE) || (hi & AR_WRITABLE) !== 0 : !(hi & AR_CODE) && (hi & AR_WRITABLE) !== 0;
        }
      }
      cpu.setFlagBits(ZF, ok ? ZF : 0);
      return;
    }
    default: throw new CpuFault(UD, 0, false);
  }
}
/** Reads a descriptor without faulting on a bad selector (lar/lsl/verr/verw); false if out of the table. */
function probeDescriptor(cpu: Cpu, sel: number): boolean {
  const limit = sel & 4 ? (cpu.ldtSel & 0xfffc ? cpu.ldtLimit : -1) : cpu.gdtLimit;
  if ((sel & 0xfff8) + 7 > limit) return false;
  cpu.readDescriptor(sel);
  return true;
}

export function group7(cpu: Cpu, i: Insn): void {
  if (i.mod === 3 && i.reg !== 4 && i.reg !== 6) throw new CpuFault(UD, 0, false);
  switch (i.reg) {
    case 0: case 1: { // sgdt, sidt
      cpu.sens(i.reg === 0 ? 'sgdt' : 'sidt');
      const off = cpu.ea(i);
      const base = i.reg === 0 ? cpu.gdtBase : cpu.idtBase, limit = i.reg === 0 ? cpu.gdtLimit : cpu.idtLimit;
      const lin = cpu.linW(i.seg, off, 6);
      cpu.rdW(lin, 2); cpu.rdW((lin + 2) | 0, 4);
      cpu.wr16(lin, limit);
      cpu.wr32((lin + 2) | 0, i.os === 2 ? base & 0xffffff : base);
      return;
    }
    case 2: case 3: { // lgdt, lidt
      cpu.sens(i.reg === 2 ? 'lgdt' : 'lidt');
      requireCpl0(cpu);
      cpu.cycles += cpu.costs.descriptor_table_load;
      const off = cpu.ea(i);
      const limit = cpu.rd16(cpu.linR(i.seg, off, 6));
      let base = cpu.rd32(cpu.linR(i.seg, (off + 2) | 0, 4));
      if (i.os === 2) base &= 0xffffff;
      if (i.reg === 2) { cpu.gdtBase = base; cpu.gdtLimit = limit; } else { cpu.idtBase = base; cpu.idtLimit = limit; }
      return;
    }
    case 4: { // smsw
      cpu.sens('smsw');
      if (i.mod === 3) cpu.setReg(i.os, i.rm, i.os === 4 ? cpu.cr0 : cpu.cr0 & 0xffff);
      else cpu.wr16(cpu.eaW(i, 2), cpu.cr0 & 0xffff);
      return;
    }
    case 6: { // lmsw: only PE, MP, EM, TS; PE cannot be cleared
      cpu.sens('lmsw');
      requireCpl0(cpu);
      const v = i.mod === 3 ? cpu.r[i.rm]! : cpu.rd16(cpu.eaR(i, 2));
      cpu.writeCr0((cpu.cr0 & ~0xe) | (v & 0xf) | (cpu.cr0 & 1));
      return;
    }
    case 7: { // invlpg
      cpu.sens('invlpg');
      requireCpl0(cpu);
      cpu.cycles += cpu.costs.invlpg;
      const off = cpu.ea(i);
      const lin = (cpu.segBase[i.seg]! + off) | 0;
      cpu.invalidatePage(lin);
      cpu.stats.tlbInvlpg++;
      cpu.fetchInvalidate();
      return;
    }
    default: throw new CpuFault(UD, 0, false);
  }
}

/** lar/lsl Gv,Ew (0F 02/03): ZF=1 and the access rights or limit when the descriptor is visible. */
export function larLsl(cpu: Cpu, i: Insn): void {
  const lsl = i.op === 0x103;
  cpu.sens(lsl ? 'lsl' : 'lar');
  const sel = i.mod === 3 ? cpu.r[i.rm]! & 0xffff : cpu.rd16(cpu.eaR(i, 2));
  let ok = false;
  if (sel & 0xfffc && probeDescriptor(cpu, sel)) {
    const hi = cpu.dHi, dpl = descDpl(hi);
    const type = (hi >> 8) & 0x1f;
    const conforming = (hi & AR_CODE) && (hi & AR_EXPDOWN) && (hi & AR_S);
    let validType: boolean;
    if (hi & AR_S) validType = true;
    else validType = lsl ? [1, 2, 3, 9, 11].includes(type & 0xf) : [1, 2, 3, 4, 5, 9, 11, 12].includes(type & 0xf);
    if (validType && (conforming || (dpl >= cpu.cpl && dpl >= (sel & 3)))) ok = true;
  }
  if (ok) {
    const v = lsl ? descLimit(cpu.dLo, cpu.dHi) : cpu.dHi & 0x00f0ff00;
    cpu.setReg(i.os, i.reg, v);
  }
  cpu.setFlagBits(ZF, ok ? ZF : 0);
}
/** arpl Ew,Gw (63) */
export function arpl(cpu: Cpu, i: Insn): void {
  cpu.sens('arpl');
  let lin = 0, d: number;
  if (i.mod === 3) d = cpu.r[i.rm]! & 0xffff;
  else { lin = cpu.eaW(i, 2); d = cpu.rdW(lin, 2); }
  const s = cpu.r[i.reg]! & 3;
  if ((d & 3) < s) {
    d = (d & ~3) | s;
    if (i.mod === 3) cpu.setReg(2, i.rm, d); else cpu.wr16(lin, d);
    cpu.setFlagBits(ZF, ZF);
  } else cpu.setFlagBits(ZF, 0);
}

// ---- control and debug registers -----------------------------------------------------------------
/** mov r32,CRn (0F 20) and mov CRn,r32 (0F 22); the ModRM mod field is ignored. */
export function movCr(cpu: Cpu, i: Insn): void {
  const n = i.reg, toCr = i.op === 0x122;
  if (n === 1 || n > 4) throw new CpuFault(UD, 0, false);
  cpu.sens(((toCr ? 'mov_to_cr' : 'mov_from_cr') + n) as SensitiveName);
  requireCpl0(cpu);
  if (!toCr) {
    cpu.cycles += cpu.costs.mov_cr_other;
    cpu.r[i.rm] = n === 0 ? cpu.cr0 : n === 2 ? cpu.cr2 : n === 3 ? cpu.cr3 : cpu.cr4;
    return;
  }
  const v = cpu.r[i.rm]!;
  switch (n) {
    case 0: cpu.cycles += cpu.costs.mov_cr_other; cpu.writeCr0(v); break;
    case 2: cpu.cycles += cpu.costs.mov_cr_other; cpu.cr2 = v; break;
    case 3:
      cpu.cycles += cpu.costs.mov_cr3;
      cpu.cr3 = v & ~0xfe7;
      cpu.flushTlbAll(cpu.keepGlobalPages);
      break;
    default: {
      cpu.cycles += cpu.costs.mov_cr_other;
      if (v & ~(CR4_TSD | CR4_DE | CR4_PSE | CR4_PGE)) throw new CpuFault(GP, 0, true);
      if ((v ^ cpu.cr4) & (CR4_PSE | CR4_PGE)) cpu.flushTlbAll();
      cpu.cr4 = v;
    }
  }
}
/** mov r32,DRn / mov DRn,r32 (0F 21/23): stored, breakpoints are not modelled. */
export function movDr(cpu: Cpu, i: Insn): void {
  const toDr = i.op === 0x123;
  cpu.sens(toDr ? 'mov_to_dr' : 'mov_from_dr');
  requireCpl0(cpu);
  let n = i.reg;
  if (n === 4 || n === 5) {
    if (cpu.cr4 & CR4_DE) throw new CpuFault(UD, 0, false);
    n += 2;
  }
  if (toDr) cpu.dr[n] = cpu.r[i.rm]!;
  else cpu.r[i.rm] = n === 6 ? cpu.dr[6]! | 0xffff0ff0 : n === 7 ? cpu.dr[7]! | 0x400 : cpu.dr[n]!;
}
export function clts(cpu: Cpu): void {
  cpu.sens('clts');
  requireCpl0(cpu);
  cpu.cr0 &= ~CR0_TS;
}
export function invd(cpu: Cpu, i: Insn): void {
  cpu.sens(i.op === 0x108 ? 'invd' : 'wbinvd');
  requireCpl0(cpu);
  cpu.cycles += cpu.costs.wbinvd;
}

// ---- identification, time, MSRs ----------------------------------------------------------------
/** cpuid: a Pentium 4 (family 15) without FPU, MMX or SSE; PSE, TSC, MSR, CX8, PGE and CMOV. */
export function cpuid(cpu: Cpu): void {
  cpu.sens('cpuid');
  cpu.cycles += cpu.costs.cpuid;
  const leaf = cpu.r[EAX]!;
  if (leaf === 0) {
    cpu.r[EAX] = 4; // leaves 2-4 (cache descriptors) read as zero; 4 is also what QEMU's qemu32 reports
    cpu.r[EBX] = 0x756e6547; // "Genu"
    cpu.r[EDX] = 0x49656e69; // "ineI"
    cpu.r[ECX] = 0x6c65746e; // "ntel"
  } else if (leaf === 1) {
    cpu.r[EAX] = 0x00000f29; // family 15, model 2, stepping 9
    cpu.r[EBX] = 0;
    cpu.r[ECX] = 0;
    cpu.r[EDX] = (1 << 3) | (1 << 4) | (1 << 5) | (1 << 8) | (1 << 13) | (1 << 15);
  } else {
    cpu.r[EAX] = 0; cpu.r[EBX] = 0; cpu.r[ECX] = 0; cpu.r[EDX] = 0;
  }
}
export function rdtsc(cpu: Cpu): void {
  cpu.sens('rdtsc');
  if ((cpu.cr4 & CR4_TSD) && cpu.cpl !== 0) throw new CpuFault(GP, 0, true);
  cpu.cycles += cpu.costs.rdtsc;
  const t = cpu.cycles + cpu.tscOffset;
  cpu.r[EAX] = t % 4294967296;
  cpu.r[EDX] = Math.floor(t / 4294967296);
}
export function rdmsr(cpu: Cpu): void {
  cpu.sens('rdmsr');
  requireCpl0(cpu);
  const n = cpu.r[ECX]! >>> 0;
  if (n === MSR_TSC) {
    const t = cpu.cycles + cpu.tscOffset;
    cpu.r[EAX] = t % 4294967296; cpu.r[EDX] = Math.floor(t / 4294967296);
    return;
  }
  const v = cpu.msrs.read(n);
  if (!v) throw new CpuFault(GP, 0, true);
  cpu.r[EAX] = v[0]; cpu.r[EDX] = v[1];
}
export function wrmsr(cpu: Cpu): void {
  cpu.sens('wrmsr');
  requireCpl0(cpu);
  const n = cpu.r[ECX]! >>> 0;
  if (n === MSR_TSC) cpu.tscOffset = (cpu.r[EDX]! >>> 0) * 4294967296 + (cpu.r[EAX]! >>> 0) - cpu.cycles;
  else if (!cpu.msrs.write(n, cpu.r[EAX]!)) throw new CpuFault(GP, 0, true);
}

// ---- undefined, x87 and miscellaneous ------------------------------------------------------------
export function ud(): void {
  throw new CpuFault(UD, 0, false);
}
/**
 * x87 escape (D8-DF) on a CPU with no FPU (a 486SX without a 487): #NM when CR0.EM or CR0.TS is
 * set, so an emulator in the kernel takes over; with both clear no coprocessor answers and the
 * instruction has no effect (a store such as fnstsw leaves memory as it was). Linux's FPU probe
 * relies on that: `fninit; fnstsw` leaving its 0xffff in place means "no FPU".
 */
export function x87(cpu: Cpu): void {
  if (cpu.cr0 & (CR0_EM | CR0_TS)) throw new CpuFault(NM, 0, false);
}
/** wait/fwait (9B): #NM when CR0.MP and CR0.TS are both set, else a no-op. */
export function fwait(cpu: Cpu): void {
  if ((cpu.cr0 & (CR0_MP | CR0_TS)) === (CR0_MP | CR0_TS)) throw new CpuFault(NM, 0, false);
}
export function nop(): void {}
/** Group 9 register forms and anything else not modelled in 0F C7. */
export function unimplemented(cpu: Cpu, i: Insn): void {
  throw new Unimplemented(`unimplemented instruction ${cpu.insnBytes(i)} at ${cpu.eipString()}`);
}
export { CR0_PE, CR0_PG, CR0_WP, CR0_EM, TF, SEG_NAMES };
