// Opcode tables: for each one- and two-byte opcode, how to decode it (ModRM, immediates, byte
// operand size, lock legality), which handler runs it, and the cost class it is charged under.
// Anything not listed decodes to #UD, which is what a Pentium 4 without FPU/MMX/SSE raises.
import type { Handler, Insn } from './decode.ts';
import type { CostTable } from '../types.ts';
import * as A from './execute-alu.ts';
import * as C from './execute-control.ts';
import * as S from './execute-system.ts';
import { stringOp } from './execute-string.ts';

export const F_MODRM = 1;
export const F_BYTE = 2;
export const F_I8 = 4;
export const F_I8S = 8;
export const F_IV = 16;
export const F_I16 = 32;
export const F_MOFFS = 64;
export const F_FAR = 128;
export const F_ENTER = 256;
export const F_LOCK = 512;
/** F6/F7: /0 and /1 (test) take an immediate. */
export const F_GROUP_IMM = 1024;
/** The memory operand is only written (charged as a store, not a load). */
export const F_STORE = 2048;
/** Never a memory access in its ModRM (mov cr/dr). */
export const F_NOMEM = 4096;
/** A register ModRM operand is #UD (lea, les/lds, bound...): decoded as #UD so lengths never matter. */
export const F_MEMONLY = 8192;
/** The ModRM mod field is ignored and the operand is always a register (mov to/from CR/DR). */
export const F_MODREG = 16384;

export interface OpDef {
  flags: number;
  h?: Handler;
  /** Handler by ModRM reg field (groups). */
  group?: (Handler | undefined)[];
  /** Groups: bit n set if /n may take a lock prefix. */
  lockRegs?: number;
  /** Picks a faster specialised handler for a decoded instruction, or returns undefined. */
  pick?: (i: Insn) => Handler | undefined;
  cost: keyof CostTable;
  /** Groups: the cost class by ModRM reg field where it differs from `cost` (adc/sbb in 80-83). */
  costByReg?: (keyof CostTable | undefined)[];
}

const UD_DEF: OpDef = { flags: 0, h: S.ud, cost: 'alu' };
export const OPS1: OpDef[] = new Array(256).fill(UD_DEF);
export const OPS2: OpDef[] = new Array(256).fill(UD_DEF);

function def(table: OpDef[], ops: number | number[], flags: number, h: Handler | (Handler | undefined)[], cost: keyof CostTable = 'alu', extra: Partial<OpDef> = {}): void {
  for (const op of Array.isArray(ops) ? ops : [ops]) {
    table[op] = Array.isArray(h) ? { flags, group: h, cost, ...extra } : { flags, h, cost, ...extra };
  }
}
const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, k) => a + k);

// ---- one-byte opcodes ----------------------------------------------------------------------------
const M = F_MODRM, B = F_BYTE;
const aluPickEG = (i: Insn): Handler | undefined => {
  if (i.os !== 4 || i.mod !== 3) return undefined;
  switch ((i.op >> 3) & 7) {
    case 0: return A.addRR32;
    case 5: return A.subRR32;
    case 6: return A.xorRR32;
    case 7: return A.cmpRR32;
    default: return undefined;
  }
};
// adc (op 2) and sbb (op 3) chain through the carry flag: their own cost class.
const ALU_COST = (op: number): keyof CostTable => (op === 2 || op === 3 ? 'adc' : 'alu');
const ADC_BY_REG: (keyof CostTable | undefined)[] = [undefined, undefined, 'adc', 'adc'];
for (let op = 0; op < 8; op++) {
  const base = op << 3;
  const lock = op === 7 ? 0 : F_LOCK;
  const cost = ALU_COST(op);
  def(OPS1, base + 0, M | B | lock, A.aluEG, cost);
  def(OPS1, base + 1, M | lock, A.aluEG, cost, { pick: aluPickEG });
  def(OPS1, base + 2, M | B, A.aluGE, cost);
  def(OPS1, base + 3, M, A.aluGE, cost);
  def(OPS1, base + 4, B | F_I8, A.aluAI, cost);
  def(OPS1, base + 5, F_IV, A.aluAI, cost);
}
def(OPS1, [0x06, 0x0e, 0x16, 0x1e], 0, S.pushSreg);
def(OPS1, [0x07, 0x17, 0x1f], 0, S.popSreg);
def(OPS1, 0x27, 0, A.daa);
def(OPS1, 0x2f, 0, A.das);
def(OPS1, 0x37, 0, A.aaa);
def(OPS1, 0x3f, 0, A.aas);
def(OPS1, range(0x40, 0x4f), 0, A.incDecReg);
def(OPS1, range(0x50, 0x57), 0, C.pushReg, 'alu', { pick: (i) => (i.os === 4 ? C.pushReg32 : undefined) });
def(OPS1, range(0x58, 0x5f), 0, C.popReg, 'alu', { pick: (i) => (i.os === 4 ? C.popReg32 : undefined) });
def(OPS1, 0x60, 0, C.pusha);
def(OPS1, 0x61, 0, C.popa);
def(OPS1, 0x62, M | F_MEMONLY, C.bound);
def(OPS1, 0x63, M, S.arpl);
def(OPS1, 0x68, F_IV, C.pushImm);
def(OPS1, 0x69, M | F_IV, A.imulGEI, 'imul');
def(OPS1, 0x6a, F_I8S, C.pushImm);
def(OPS1, 0x6b, M | F_I8S, A.imulGEI, 'imul');
def(OPS1, [0x6c, 0x6e], B, stringOp);
def(OPS1, [0x6d, 0x6f], 0, stringOp);
def(OPS1, range(0x70, 0x7f), F_I8S, C.jccRel, 'branch_not_taken');
def(OPS1, [0x80, 0x82], M | B | F_I8 | F_LOCK, A.aluEI, 'alu', { lockRegs: 0x7f, costByReg: ADC_BY_REG });
def(OPS1, 0x81, M | F_IV | F_LOCK, A.aluEI, 'alu', { lockRegs: 0x7f, costByReg: ADC_BY_REG, pick: (i) => (i.os === 4 && i.mod === 3 ? A.aluRI32 : undefined) });
def(OPS1, 0x83, M | F_I8S | F_LOCK, A.aluEI, 'alu', { lockRegs: 0x7f, costByReg: ADC_BY_REG, pick: (i) => (i.os === 4 && i.mod === 3 ? A.aluRI32 : undefined) });
def(OPS1, 0x84, M | B, A.testEG);
def(OPS1, 0x85, M, A.testEG, 'alu', { pick: (i) => (i.os === 4 && i.mod === 3 ? A.testRR32 : undefined) });
def(OPS1, 0x86, M | B | F_LOCK, A.xchgEG);
def(OPS1, 0x87, M | F_LOCK, A.xchgEG);
def(OPS1, 0x88, M | B | F_STORE, A.movEG);
def(OPS1, 0x89, M | F_STORE, A.movEG, 'alu', { pick: (i) => (i.os !== 4 ? undefined : i.mod === 3 ? A.movRR32 : A.movStore32) });
def(OPS1, 0x8a, M | B, A.movGE);
def(OPS1, 0x8b, M, A.movGE, 'alu', { pick: (i) => (i.os !== 4 ? undefined : i.mod === 3 ? undefined : A.movLoad32) });
def(OPS1, 0x8c, M | F_STORE, S.movFromSreg);
def(OPS1, 0x8d, M | F_NOMEM | F_MEMONLY, A.lea, 'lea');
def(OPS1, 0x8e, M, S.movToSreg);
def(OPS1, 0x8f, M | F_STORE, [C.popE]);
def(OPS1, 0x90, 0, S.nop);
def(OPS1, range(0x91, 0x97), 0, A.xchgAR);
def(OPS1, 0x98, 0, A.cbw);
def(OPS1, 0x99, 0, A.cwd);
def(OPS1, 0x9a, F_FAR, C.callFarImm);
def(OPS1, 0x9b, 0, S.fwait);
def(OPS1, 0x9c, 0, C.pushf, 'pushf');
def(OPS1, 0x9d, 0, C.popf, 'popf');
def(OPS1, 0x9e, 0, A.sahf);
def(OPS1, 0x9f, 0, A.lahf);
def(OPS1, [0xa0, 0xa2], B | F_MOFFS, A.movMoffs, 'load');
def(OPS1, [0xa1, 0xa3], F_MOFFS, A.movMoffs, 'load');
def(OPS1, [0xa4, 0xa6, 0xaa, 0xac, 0xae], B, stringOp);
def(OPS1, [0xa5, 0xa7, 0xab, 0xad, 0xaf], 0, stringOp);
def(OPS1, 0xa8, B | F_I8, A.testAI);
def(OPS1, 0xa9, F_IV, A.testAI);
def(OPS1, range(0xb0, 0xb7), B | F_I8, A.movRI);
def(OPS1, range(0xb8, 0xbf), F_IV, A.movRI, 'alu', { pick: (i) => (i.os === 4 ? A.movRI32 : undefined) });
const SHIFTS = [A.shiftEI, A.shiftEI, A.shiftEI, A.shiftEI, A.shiftEI, A.shiftEI, A.shiftEI, A.shiftEI];
def(OPS1, 0xc0, M | B | F_I8, SHIFTS, 'shift');
def(OPS1, 0xc1, M | F_I8, SHIFTS, 'shift');
def(OPS1, [0xc2], F_I16, C.retNear, 'branch_taken');
def(OPS1, [0xc3], 0, C.retNear, 'branch_taken', { pick: (i) => (i.os === 4 ? C.ret32 : undefined) });
def(OPS1, [0xc4, 0xc5], M | F_MEMONLY, S.loadFarPointer);
def(OPS1, 0xc6, M | B | F_I8 | F_STORE, [A.movEI]);
def(OPS1, 0xc7, M | F_IV | F_STORE, [A.movEI]);
def(OPS1, 0xc8, F_ENTER, C.enter);
def(OPS1, 0xc9, 0, C.leave);
def(OPS1, 0xca, F_I16, C.retFar);
def(OPS1, 0xcb, 0, C.retFar);
def(OPS1, 0xcc, 0, S.int3);
def(OPS1, 0xcd, F_I8, S.intN);
def(OPS1, 0xce, 0, S.into);
def(OPS1, 0xcf, 0, C.iret);
def(OPS1, 0xd0, M | B, Array(8).fill(A.shiftE1), 'shift');
def(OPS1, 0xd1, M, Array(8).fill(A.shiftE1), 'shift');
def(OPS1, 0xd2, M | B, Array(8).fill(A.shiftECL), 'shift');
def(OPS1, 0xd3, M, Array(8).fill(A.shiftECL), 'shift');
def(OPS1, 0xd4, F_I8, A.aam, 'div');
def(OPS1, 0xd5, F_I8, A.aad);
def(OPS1, 0xd6, 0, A.salc);
def(OPS1, 0xd7, 0, A.xlat, 'load');
def(OPS1, range(0xd8, 0xdf), M, S.x87);
def(OPS1, range(0xe0, 0xe3), F_I8S, C.loop, 'branch_not_taken');
// in/out: the port access itself is charged port_io by Cpu.portIn/portOut.
def(OPS1, 0xe4, B | F_I8, S.inOp);
def(OPS1, 0xe5, F_I8, S.inOp);
def(OPS1, 0xe6, B | F_I8, S.outOp);
def(OPS1, 0xe7, F_I8, S.outOp);
def(OPS1, 0xec, B, S.inOp);
def(OPS1, 0xed, 0, S.inOp);
def(OPS1, 0xee, B, S.outOp);
def(OPS1, 0xef, 0, S.outOp);
def(OPS1, 0xe8, F_IV, C.callRel, 'branch_taken', { pick: (i) => (i.os === 4 ? C.callRel32 : undefined) });
def(OPS1, 0xe9, F_IV, C.jmpRel, 'branch_taken');
def(OPS1, 0xea, F_FAR, C.jmpFarImm);
def(OPS1, 0xeb, F_I8S, C.jmpRel, 'branch_taken');
def(OPS1, 0xf1, 0, S.int1);
def(OPS1, 0xf4, 0, S.hlt);
def(OPS1, 0xf5, 0, A.cmc);
def(OPS1, 0xf6, M | B | F_GROUP_IMM | F_LOCK, Array(8).fill(A.group3), 'alu', { lockRegs: 0x0c });
def(OPS1, 0xf7, M | F_GROUP_IMM | F_LOCK, Array(8).fill(A.group3), 'alu', { lockRegs: 0x0c });
def(OPS1, 0xf8, 0, A.clc);
def(OPS1, 0xf9, 0, A.stc);
def(OPS1, 0xfa, 0, S.cli, 'cli');
def(OPS1, 0xfb, 0, S.sti, 'sti');
def(OPS1, 0xfc, 0, A.cld);
def(OPS1, 0xfd, 0, A.std);
def(OPS1, 0xfe, M | B | F_LOCK, [A.incDecE, A.incDecE], 'alu', { lockRegs: 0x03 });
def(OPS1, 0xff, M | F_LOCK, [A.incDecE, A.incDecE, C.callE, C.farE, C.jmpE, C.farE, C.pushE], 'alu', { lockRegs: 0x03 });

// ---- two-byte opcodes (0F xx) --------------------------------------------------------------------
def(OPS2, 0x00, M, S.group6, 'descriptor_table_load');
def(OPS2, 0x01, M, S.group7);
def(OPS2, [0x02, 0x03], M, S.larLsl, 'descriptor_table_load');
def(OPS2, 0x06, 0, S.clts, 'mov_cr_other');
def(OPS2, [0x08, 0x09], 0, S.invd);
def(OPS2, 0x0b, 0, S.ud);
def(OPS2, range(0x18, 0x1f), M | F_NOMEM, S.nop); // prefetch hints and multi-byte nop (0F 1F /0)
def(OPS2, [0x20, 0x22], M | F_NOMEM | F_MODREG, S.movCr);
def(OPS2, [0x21, 0x23], M | F_NOMEM | F_MODREG, S.movDr, 'mov_cr_other');
def(OPS2, 0x30, 0, S.wrmsr, 'mov_cr_other');
def(OPS2, 0x31, 0, S.rdtsc);
def(OPS2, 0x32, 0, S.rdmsr, 'mov_cr_other');
def(OPS2, range(0x40, 0x4f), M, A.cmov);
def(OPS2, range(0x80, 0x8f), F_IV, C.jccRel, 'branch_not_taken');
def(OPS2, range(0x90, 0x9f), M | B | F_STORE, A.setcc);
def(OPS2, [0xa0, 0xa8], 0, S.pushSreg);
def(OPS2, [0xa1, 0xa9], 0, S.popSreg);
def(OPS2, 0xa2, 0, S.cpuid);
def(OPS2, 0xa3, M, A.btEG);
def(OPS2, [0xab, 0xb3, 0xbb], M | F_LOCK, A.btEG);
def(OPS2, [0xa4, 0xac], M | F_I8, A.shld, 'shift');
def(OPS2, [0xa5, 0xad], M, A.shld, 'shift');
def(OPS2, 0xaf, M, A.imulGE, 'imul');
def(OPS2, 0xb0, M | B | F_LOCK, A.cmpxchg);
def(OPS2, 0xb1, M | F_LOCK, A.cmpxchg);
def(OPS2, [0xb2, 0xb4, 0xb5], M | F_MEMONLY, S.loadFarPointer);
def(OPS2, [0xb6, 0xb7, 0xbe, 0xbf], M, A.movzxsx);
def(OPS2, 0xb9, M, S.ud); // ud1
def(OPS2, 0xba, M | F_I8 | F_LOCK, [undefined, undefined, undefined, undefined, A.btEI, A.btEI, A.btEI, A.btEI], 'alu', { lockRegs: 0xe0 });
def(OPS2, [0xbc, 0xbd], M, A.bsfBsr);
def(OPS2, 0xc0, M | B | F_LOCK, A.xadd);
def(OPS2, 0xc1, M | F_LOCK, A.xadd);
def(OPS2, 0xc7, M | F_LOCK, [undefined, A.cmpxchg8b], 'alu', { lockRegs: 0x02 });
def(OPS2, range(0xc8, 0xcf), 0, A.bswap);
def(OPS2, 0xff, 0, S.ud); // ud0

/** Static cycle cost of a decoded instruction: its class plus a load or store for a memory operand. */
export function staticCost(costs: CostTable, d: OpDef, i: Insn): number {
  let c = costs[d.costByReg?.[i.reg] ?? d.cost];
  if ((d.flags & F_MODRM) && i.mod !== 3 && !(d.flags & F_NOMEM)) c += d.flags & F_STORE ? costs.store : costs.load;
  if (i.lock) c += costs.locked_rmw_extra;
  return c;
}
