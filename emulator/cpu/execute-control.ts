// Control transfer and the stack: jcc/jmp/call/ret/loop, push/pop in all forms, enter/leave,
// pusha/popa, and the far transfers (jmp/call/ret far, iret) with the protected-mode checks on
// the code segment and the return to an outer ring.
import type { Cpu } from './cpu.ts';
import type { Insn } from './decode.ts';
import { CpuFault, GP, NP, SS as SS_VEC, UD, BR, TS, Unimplemented } from './fault.ts';
import { ESP, EBP, ECX, IF, IOPL, NT, VM, RF, TF, AC, ID, VIF, VIP, ARITH, DF } from './flags.ts';
import { CS, SS, AR_CODE, AR_EXPDOWN, AR_P, AR_S, AR_WRITABLE, descDpl, descBase, descLimit } from './segments.ts';

// ---- near branches -------------------------------------------------------------------------------
export function jccRel(cpu: Cpu, i: Insn): void {
  if (cpu.cond(i.op & 0xf)) {
    cpu.jump((cpu.nextEip + i.imm) | 0, i.os);
    cpu.cycles += cpu.branchExtra;
  }
}
export function jmpRel(cpu: Cpu, i: Insn): void {
  cpu.jump((cpu.nextEip + i.imm) | 0, i.os);
}
export function callRel(cpu: Cpu, i: Insn): void {
  const target = (cpu.nextEip + i.imm) | 0;
  cpu.push(i.os, cpu.nextEip);
  cpu.jump(target, i.os);
}
export function callRel32(cpu: Cpu, i: Insn): void {
  const target = (cpu.nextEip + i.imm) | 0;
  cpu.push32(cpu.nextEip);
  cpu.jump(target, 4);
}
/** ret / ret imm16 (C3/C2) */
export function retNear(cpu: Cpu, i: Insn): void {
  const target = cpu.peek(0, i.os);
  cpu.jump(target, i.os);
  cpu.addSp(i.os + (i.op === 0xc2 ? i.imm : 0));
}
export function ret32(cpu: Cpu): void {
  cpu.jump(cpu.pop32(), 4);
}
/** Group 5 /2: call Ev; /4: jmp Ev */
export function callE(cpu: Cpu, i: Insn): void {
  const target = cpu.readE(i, i.os);
  cpu.push(i.os, cpu.nextEip);
  cpu.jump(target, i.os);
}
export function jmpE(cpu: Cpu, i: Insn): void {
  cpu.jump(cpu.readE(i, i.os), i.os);
}
/** loopne/loope/loop/jecxz (E0-E3); the counter size follows the address size. */
export function loop(cpu: Cpu, i: Insn): void {
  let count: number;
  if (i.op === 0xe3) count = i.as32 ? cpu.r[ECX]! : cpu.r[ECX]! & 0xffff;
  else if (i.as32) { count = cpu.r[ECX] = (cpu.r[ECX]! - 1) | 0; }
  else { count = (cpu.r[ECX]! - 1) & 0xffff; cpu.setReg(2, ECX, count); }
  let take: boolean;
  switch (i.op) {
    case 0xe0: take = count !== 0 && !cpu.getZF(); break;
    case 0xe1: take = count !== 0 && cpu.getZF(); break;
    case 0xe2: take = count !== 0; break;
    default: take = count === 0; break;
  }
  if (take) { cpu.jump((cpu.nextEip + i.imm) | 0, i.os); cpu.cycles += cpu.branchExtra; }
}

// ---- stack ---------------------------------------------------------------------------------------
export function pushReg(cpu: Cpu, i: Insn): void {
  cpu.push(i.os, cpu.r[i.op & 7]!);
}
export function pushReg32(cpu: Cpu, i: Insn): void {
  cpu.push32(cpu.r[i.op & 7]!);
}
export function popReg(cpu: Cpu, i: Insn): void {
  const v = cpu.pop(i.os);
  cpu.setReg(i.os, i.op & 7, v);
}
export function popReg32(cpu: Cpu, i: Insn): void {
  const v = cpu.pop32();
  cpu.r[i.op & 7] = v;
}
export function pushImm(cpu: Cpu, i: Insn): void {
  cpu.push(i.os, i.imm);
}
/** Group 5 /6: push Ev */
export function pushE(cpu: Cpu, i: Insn): void {
  cpu.push(i.os, cpu.readE(i, i.os));
}
/** pop Ev (8F /0). The address is computed with the incremented ESP, as the manual says. */
export function popE(cpu: Cpu, i: Insn): void {
  if (i.mod === 3) { const v = cpu.pop(i.os); cpu.setReg(i.os, i.rm, v); return; }
  const v = cpu.peek(0, i.os);
  const oldEsp = cpu.r[ESP]!;
  cpu.addSp(i.os);
  try {
    cpu.wr(cpu.eaW(i, i.os), i.os, v);
  } catch (e) {
    cpu.r[ESP] = oldEsp;
    throw e;
  }
}
export function pusha(cpu: Cpu, i: Insn): void {
  const size = i.os, esp = cpu.r[ESP]!;
  // Check the whole frame first so a fault leaves ESP unchanged.
  cpu.probeStackWrite(-size, size); cpu.probeStackWrite(-size * 8, size);
  for (let n = 0; n < 8; n++) cpu.push(size, n === ESP ? esp : cpu.r[n]!);
}
export function popa(cpu: Cpu, i: Insn): void {
  const size = i.os;
  cpu.peek(0, size); cpu.peek(size * 7, size);
  for (let n = 7; n >= 0; n--) {
    const v = cpu.pop(size);
    if (n !== ESP) cpu.setReg(size, n, v);
  }
}
export function enter(cpu: Cpu, i: Insn): void {
  const size = i.os, frame = i.imm & 0xffff, level = i.imm2 & 0x1f;
  const oldEsp = cpu.r[ESP]!, oldEbp = cpu.r[EBP]!;
  try {
    cpu.push(size, cpu.r[EBP]!);
    const frameTemp = cpu.r[ESP]!;
    if (level > 0) {
      let ebp = cpu.r[EBP]!;
      for (let k = 1; k < level; k++) {
        ebp = cpu.stack32 ? (ebp - size) | 0 : (ebp - size) & 0xffff;
        cpu.push(size, cpu.rd(cpu.linR(SS, ebp, size), size));
      }
      cpu.push(size, frameTemp);
    }
    cpu.addSp(-frame);
    cpu.peek(0, 1);
    if (size === 4) cpu.r[EBP] = frameTemp; else cpu.setReg(2, EBP, frameTemp);
  } catch (e) {
    cpu.r[ESP] = oldEsp; cpu.r[EBP] = oldEbp;
    throw e;
  }
}
export function leave(cpu: Cpu, i: Insn): void {
  const oldEsp = cpu.r[ESP]!;
  if (cpu.stack32) cpu.r[ESP] = cpu.r[EBP]!; else cpu.setReg(2, ESP, cpu.r[EBP]!);
  try {
    const v = cpu.pop(i.os);
    cpu.setReg(i.os, EBP, v);
  } catch (e) {
    cpu.r[ESP] = oldEsp;
    throw e;
  }
}
/** bound Gv,Ma (62) */
export function bound(cpu: Cpu, i: Insn): void {
  if (i.mod === 3) throw new CpuFault(UD, 0, false);
  const size = i.os, off = cpu.ea(i);
  const lo = cpu.rd(cpu.linR(i.seg, off, size), size), hi = cpu.rd(cpu.linR(i.seg, (off + size) | 0, size), size);
  const sx = (v: number): number => (size === 2 ? (v << 16) >> 16 : v | 0);
  const idx = sx(cpu.getReg(size, i.reg));
  if (idx < sx(lo) || idx > sx(hi)) throw new CpuFault(BR, 0, false);
}

// ---- pushf/popf ---------------------------------------------------------------------------------
export function pushf(cpu: Cpu, i: Insn): void {
  cpu.sens('pushf');
  const f = cpu.getEflags() & ~(VM | RF);
  cpu.push(i.os, f);
}
/**
 * popf: at CPL 0 every flag but VM/VIF/VIP may change; at 0 < CPL <= IOPL all but IOPL; at
 * CPL > IOPL neither IOPL nor IF changes, silently (the case that breaks classical virtualization).
 */
export function popf(cpu: Cpu, i: Insn): void {
  cpu.sens('popf');
  const v = cpu.pop(i.os);
  let changeable = ARITH | TF | DF | NT | AC | ID;
  const iopl = (cpu.flags >> 12) & 3;
  if (cpu.cpl === 0) changeable |= IOPL | IF;
  else if (cpu.cpl <= iopl) changeable |= IF;
  if (i.os === 2) changeable &= 0xffff;
  cpu.writeEflags(v, changeable | RF);
}

// ---- far transfers -------------------------------------------------------------------------------
/**
 * Checks a code-segment target of a far jmp/call (selector non-null, descriptor in dLo/dHi after
 * this call) and returns the new CS selector with RPL = CPL. Call gates are handled by the callers;
 * task gates and TSS targets (task switches) are not modelled.
 */
function checkFarCode(cpu: Cpu, sel: number, what: string): number {
  const hi = cpu.dHi, dpl = descDpl(hi), rpl = sel & 3;
  if (!(hi & AR_S)) {
    const type = (hi >> 8) & 0x1f;
    if (type === 0x05 || type === 0x09 || type === 0x01) {
      throw new Unimplemented(`${what} to a task gate or TSS (selector 0x${sel.toString(16)}, a task switch) is not modelled`);
    }
    throw new CpuFault(GP, sel & 0xfffc, true);
  }
  if (!(hi & AR_CODE)) throw new CpuFault(GP, sel & 0xfffc, true);
  if (hi & AR_EXPDOWN) { if (dpl > cpu.cpl) throw new CpuFault(GP, sel & 0xfffc, true); }
  else if (rpl > cpu.cpl || dpl !== cpu.cpl) throw new CpuFault(GP, sel & 0xfffc, true);
  if (!(hi & AR_P)) throw new CpuFault(NP, sel & 0xfffc, true);
  return (sel & 0xfffc) | cpu.cpl;
}
function farTarget(cpu: Cpu, offset: number, size: number): number {
  const off = size === 2 ? offset & 0xffff : offset >>> 0;
  if (off > descLimit(cpu.dLo, cpu.dHi)) throw new CpuFault(GP, 0, true);
  return off | 0;
}
function isCallGate(hi: number): boolean {
  const type = (hi >> 8) & 0x1f;
  return type === 0x0c || type === 0x04;
}
/** Reads the far target's descriptor (#GP(0) for a null selector). */
function readFarDescriptor(cpu: Cpu, sel: number): void {
  if (!(sel & 0xfffc)) throw new CpuFault(GP, 0, true);
  cpu.readDescriptor(sel);
}
/**
 * Checks a call gate in dLo/dHi and the code segment it names; leaves that code segment's
 * descriptor in dLo/dHi and returns the gate's { cs, offset, params, size }.
 */
function checkCallGate(cpu: Cpu, gateSel: number): { cs: number; offset: number; params: number; size: number } {
  const lo = cpu.dLo, hi = cpu.dHi;
  const gdpl = descDpl(hi);
  if (gdpl < cpu.cpl || gdpl < (gateSel & 3)) throw new CpuFault(GP, gateSel & 0xfffc, true);
  if (!(hi & AR_P)) throw new CpuFault(NP, gateSel & 0xfffc, true);
  const cs = lo >>> 16;
  const size = (hi >> 8) & 8 ? 4 : 2;
  const offset = size === 4 ? (lo & 0xffff) | (hi & 0xffff0000) : lo & 0xffff;
  if (!(cs & 0xfffc)) throw new CpuFault(GP, 0, true);
  cpu.readDescriptor(cs);
  const chi = cpu.dHi;
  if (!(chi & AR_S) || !(chi & AR_CODE) || descDpl(chi) > cpu.cpl) throw new CpuFault(GP, cs & 0xfffc, true);
  if (!(chi & AR_P)) throw new CpuFault(NP, cs & 0xfffc, true);
  return { cs, offset, params: hi & 0x1f, size };
}
function doFarJmp(cpu: Cpu, sel: number, offset: number, size: number): void {
  cpu.sens('far_jmp');
  cpu.cycles += cpu.costs.far_transfer;
  sel &= 0xffff;
  readFarDescriptor(cpu, sel);
  if (isCallGate(cpu.dHi)) {
    const g = checkCallGate(cpu, sel);
    const chi = cpu.dHi, dpl = descDpl(chi);
    if ((chi & AR_EXPDOWN) ? dpl > cpu.cpl : dpl !== cpu.cpl) throw new CpuFault(GP, g.cs & 0xfffc, true);
    const eip = farTarget(cpu, g.offset, g.size);
    cpu.loadCsFromDesc((g.cs & 0xfffc) | cpu.cpl);
    cpu.nextEip = eip;
    return;
  }
  const newSel = checkFarCode(cpu, sel, 'far jmp');
  const eip = farTarget(cpu, offset, size);
  cpu.loadCsFromDesc(newSel);
  cpu.nextEip = eip;
}
function doFarCall(cpu: Cpu, sel: number, offset: number, size: number): void {
  cpu.sens('far_call');
  cpu.cycles += cpu.costs.far_transfer;
  sel &= 0xffff;
  readFarDescriptor(cpu, sel);
  if (isCallGate(cpu.dHi)) { callThroughGate(cpu, sel); return; }
  const newSel = checkFarCode(cpu, sel, 'far call');
  const eip = farTarget(cpu, offset, size);
  const lo = cpu.dLo, hi = cpu.dHi, addr = cpu.dAddr;
  // Check the stack room before changing anything.
  cpu.probeStackWrite(-size, size); cpu.probeStackWrite(-2 * size, size);
  const oldEsp = cpu.r[ESP]!;
  try {
    cpu.push(size, cpu.sel[CS]!);
    cpu.push(size, cpu.nextEip);
  } catch (e) { cpu.r[ESP] = oldEsp; throw e; }
  cpu.dLo = lo; cpu.dHi = hi; cpu.dAddr = addr;
  cpu.loadCsFromDesc(newSel);
  cpu.nextEip = eip;
}
/** call through a call gate: same ring, or to an inner ring with a TSS stack and copied parameters. */
function callThroughGate(cpu: Cpu, gateSel: number): void {
  const g = checkCallGate(cpu, gateSel);
  const csLo = cpu.dLo, csHi = cpu.dHi, csAddr = cpu.dAddr;
  const dpl = descDpl(csHi);
  const eip = farTarget(cpu, g.offset, g.size);
  const size = g.size;
  const oldCs = cpu.sel[CS]!, retEip = cpu.nextEip;
  if (!(csHi & AR_EXPDOWN) && dpl < cpu.cpl) {
    cpu.readTssStack(dpl);
    const newEsp = cpu.dLo, newSs = cpu.dHi & 0xffff;
    if (!(newSs & 0xfffc)) throw new CpuFault(TS, 0, true);
    if ((newSs & 3) !== dpl) throw new CpuFault(TS, newSs & 0xfffc, true);
    cpu.readDescriptor(newSs, TS);
    const ssLo = cpu.dLo, ssHi = cpu.dHi;
    if (descDpl(ssHi) !== dpl || !(ssHi & AR_S) || (ssHi & AR_CODE) || !(ssHi & AR_WRITABLE)) throw new CpuFault(TS, newSs & 0xfffc, true);
    if (!(ssHi & AR_P)) throw new CpuFault(SS_VEC, newSs & 0xfffc, true);
    // Parameters come from the old stack before it is switched.
    const params: number[] = [];
    for (let k = g.params - 1; k >= 0; k--) params.push(cpu.peek(k * size, size));
    const snap = cpu.saveStackState();
    const oldSs = cpu.sel[SS]!, oldEsp = cpu.r[ESP]!;
    try {
      cpu.setSegCache(SS, newSs, descBase(ssLo, ssHi), descLimit(ssLo, ssHi), ssHi & 0xf0ff00, true);
      cpu.r[ESP] = newEsp;
      cpu.setCpl(dpl);
      cpu.push(size, oldSs);
      cpu.push(size, oldEsp);
      for (const p of params) cpu.push(size, p);
      cpu.push(size, oldCs);
      cpu.push(size, retEip);
    } catch (e) {
      cpu.restoreStackState(snap);
      throw e;
    }
    cpu.dLo = csLo; cpu.dHi = csHi; cpu.dAddr = csAddr;
    cpu.loadCsFromDesc((g.cs & 0xfffc) | dpl);
  } else {
    const oldEsp = cpu.r[ESP]!;
    try {
      cpu.push(size, oldCs);
      cpu.push(size, retEip);
    } catch (e) { cpu.r[ESP] = oldEsp; throw e; }
    cpu.dLo = csLo; cpu.dHi = csHi; cpu.dAddr = csAddr;
    cpu.loadCsFromDesc((g.cs & 0xfffc) | cpu.cpl);
  }
  cpu.nextEip = eip;
}
/** jmp ptr16:16/32 (EA) */
export function jmpFarImm(cpu: Cpu, i: Insn): void { doFarJmp(cpu, i.imm2, i.imm, i.os); }
/** call ptr16:16/32 (9A) */
export function callFarImm(cpu: Cpu, i: Insn): void { doFarCall(cpu, i.imm2, i.imm, i.os); }
/** Group 5 /3 and /5: call/jmp m16:16/32 */
export function farE(cpu: Cpu, i: Insn): void {
  if (i.mod === 3) throw new CpuFault(UD, 0, false);
  const off = cpu.ea(i), size = i.os;
  const offset = cpu.rd(cpu.linR(i.seg, off, size), size);
  const sel = cpu.rd16(cpu.linR(i.seg, (off + size) | 0, 2));
  if (i.reg === 3) doFarCall(cpu, sel, offset, size); else doFarJmp(cpu, sel, offset, size);
}

/**
 * Checks the CS selector of a far return or iret (descriptor left in dLo/dHi) and, for a return to
 * an outer ring, the SS selector popped after it. Returns nothing; throws the manual's faults.
 */
function checkReturnCs(cpu: Cpu, sel: number): void {
  if (!(sel & 0xfffc)) throw new CpuFault(GP, 0, true);
  const rpl = sel & 3;
  if (rpl < cpu.cpl) throw new CpuFault(GP, sel & 0xfffc, true);
  cpu.readDescriptor(sel);
  const hi = cpu.dHi, dpl = descDpl(hi);
  if (!(hi & AR_S) || !(hi & AR_CODE)) throw new CpuFault(GP, sel & 0xfffc, true);
  if (hi & AR_EXPDOWN) { if (dpl > rpl) throw new CpuFault(GP, sel & 0xfffc, true); }
  else if (dpl !== rpl) throw new CpuFault(GP, sel & 0xfffc, true);
  if (!(hi & AR_P)) throw new CpuFault(NP, sel & 0xfffc, true);
}
/** Checks the SS for a return to ring rpl; leaves its descriptor in dLo/dHi. */
function checkReturnSs(cpu: Cpu, ss: number, rpl: number): void {
  if (!(ss & 0xfffc)) throw new CpuFault(GP, 0, true);
  if ((ss & 3) !== rpl) throw new CpuFault(GP, ss & 0xfffc, true);
  cpu.readDescriptor(ss);
  const hi = cpu.dHi;
  if (!(hi & AR_S) || (hi & AR_CODE) || !(hi & AR_WRITABLE) || descDpl(hi) !== rpl) throw new CpuFault(GP, ss & 0xfffc, true);
  if (!(hi & AR_P)) throw new CpuFault(SS_VEC, ss & 0xfffc, true);
}

/** Common tail of retf and iret: CS:EIP (and SS:ESP for an outer ring) are checked, then loaded. */
function farReturn(cpu: Cpu, size: number, csSel: number, eip: number, frame: number, extra: number): void {
  checkReturnCs(cpu, csSel);
  const csLo = cpu.dLo, csHi = cpu.dHi, csAddr = cpu.dAddr;
  const rpl = csSel & 3;
  const off = size === 2 ? eip & 0xffff : eip >>> 0;
  if (off > descLimit(csLo, csHi)) throw new CpuFault(GP, 0, true);
  if (rpl === cpu.cpl) {
    cpu.dLo = csLo; cpu.dHi = csHi;
    cpu.loadCsFromDesc(csSel);
    cpu.addSp(frame + extra);
  } else {
    const newEsp = cpu.peek(frame + extra, size);
    const ssSel = cpu.peek(frame + extra + size, size) & 0xffff;
    checkReturnSs(cpu, ssSel, rpl);
    const ssLo = cpu.dLo, ssHi = cpu.dHi, ssAddr = cpu.dAddr;
    cpu.dLo = csLo; cpu.dHi = csHi; cpu.dAddr = csAddr;
    cpu.loadCsFromDesc(csSel);
    cpu.dLo = ssLo; cpu.dHi = ssHi; cpu.dAddr = ssAddr;
    cpu.markAccessed();
    cpu.setSegCache(SS, ssSel, descBase(ssLo, ssHi), descLimit(ssLo, ssHi), ssHi & 0xf0ff00, true);
    if (cpu.stack32) cpu.r[ESP] = (newEsp + extra) | 0;
    else cpu.setReg(2, ESP, (newEsp + extra) & 0xffff);
    cpu.nullInaccessibleSegs();
  }
  cpu.nextEip = off | 0;
}
/** retf / retf imm16 (CB/CA) */
export function retFar(cpu: Cpu, i: Insn): void {
  cpu.sens('far_ret');
  cpu.cycles += cpu.costs.far_transfer;
  const size = i.os;
  const eip = cpu.peek(0, size);
  const cs = cpu.peek(size, size) & 0xffff;
  const from = cpu.cpl;
  farReturn(cpu, size, cs, eip, 2 * size, i.op === 0xca ? i.imm : 0);
  if (cpu.cpl > from) cpu.onOuterReturn?.();
}

/** iret (CF): same-ring or outer-ring return; nested-task and virtual-8086 returns are not modelled. */
export function iret(cpu: Cpu, i: Insn): void {
  cpu.sens('iret');
  const size = i.os;
  if (cpu.flags & NT) {
    // Task return: the back link must name a busy TSS in the GDT, else #TS(link).
    const link = cpu.sysRd16(cpu.trBase);
    if (link & 4) throw new CpuFault(TS, link & 0xfffc, true);
    try {
      cpu.readDescriptor(link, TS);
    } catch (e) {
      if (e instanceof CpuFault) throw new CpuFault(TS, link & 0xfffc, true);
      throw e;
    }
    const type = (cpu.dHi >> 8) & 0x17;
    if (type !== 3) throw new CpuFault(TS, link & 0xfffc, true);
    throw new Unimplemented(`iret task return to TSS 0x${link.toString(16)} (task switching) is not modelled`);
  }
  const eip = cpu.peek(0, size);
  const cs = cpu.peek(size, size) & 0xffff;
  const fl = cpu.peek(2 * size, size);
  if ((fl & VM) && cpu.cpl === 0 && size === 4) throw new Unimplemented('iret to virtual-8086 mode is not modelled');
  const oldCpl = cpu.cpl;
  const iopl = (cpu.flags >> 12) & 3;
  cpu.cycles += (cs & 3) !== oldCpl ? cpu.costs.iret_cross_ring : cpu.costs.iret_same_ring;
  farReturn(cpu, size, cs, eip, 3 * size, 0);
  let changeable = ARITH | TF | DF | NT | RF | AC | ID;
  if (oldCpl <= iopl) changeable |= IF;
  if (oldCpl === 0) changeable |= IOPL | VIF | VIP;
  if (size === 2) changeable &= 0xffff;
  cpu.writeEflags(fl, changeable);
  if (cpu.cpl > oldCpl) cpu.onOuterReturn?.();
}
