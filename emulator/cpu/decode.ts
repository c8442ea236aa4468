// The instruction decoder: prefixes, opcode tables, ModRM/SIB and immediates. An instruction is
// decoded once per physical code address into an Insn (operands pre-parsed, the handler chosen)
// and reused until a write to its bytes drops it (see mmu.ts).
import type { Cpu } from './cpu.ts';
import { CpuFault, GP } from './fault.ts';
import { ES, CS, SS, DS, FS, GS } from './segments.ts';
import { OPS1, OPS2, F_MODRM, F_BYTE, F_I8, F_I8S, F_IV, F_I16, F_MOFFS, F_FAR, F_ENTER, F_LOCK, F_GROUP_IMM, F_MEMONLY, F_MODREG, staticCost, type OpDef } from './optable.ts';
import type { CostTable } from '../types.ts';

export type Handler = (cpu: Cpu, i: Insn) => void;

/** One decoded instruction. Field meanings are fixed so every Insn has the same shape (fast in V8). */
export class Insn {
  exec: Handler;
  /** Length in bytes. */
  len = 0;
  /** Static cycle cost, charged before the handler runs. */
  cost = 0;
  /** Opcode: one byte, or 0x100 | second byte for 0F xx. */
  op = 0;
  /** Operand size in bytes: 1 for byte forms, else 2 or 4. */
  os = 4;
  /** Address size is 32 bits. */
  as32 = true;
  mod = 3;
  reg = 0;
  rm = 0;
  /** Memory operand: base and index register (-1 for none), index shift, displacement, segment. */
  base = -1;
  index = -1;
  scale = 0;
  disp = 0;
  seg = DS;
  /** The instruction had a segment override prefix. */
  segOverride = false;
  imm = 0;
  imm2 = 0;
  /** 0: no rep prefix; 1: F3 (rep/repe); 2: F2 (repne). */
  rep = 0;
  lock = false;
  /** Times the interpreter started here without a block. */
  hits = 0;
  constructor(exec: Handler) {
    this.exec = exec;
  }
}

/** Reads code bytes relative to the instruction start (checks the CS limit and paging). */
export interface CodeReader {
  byte(n: number): number;
}

const REGS16_BASE = [3, 3, 5, 5, 6, 7, 5, 3]; // BX,BX,BP,BP,SI,DI,BP,BX
const REGS16_INDEX = [6, 7, 6, 7, -1, -1, -1, -1]; // SI,DI,SI,DI

/** Decodes the instruction at the reader's position. Throws #GP(0) past 15 bytes, #UD for bad encodings. */
export function decode(code: CodeReader, code32: boolean, costs: CostTable, ud: Handler): Insn {
  const i = new Insn(ud);
  let n = 0;
  let opsize = code32 ? 4 : 2;
  let addr32 = code32;
  let seg = -1;
  let b: number;
  const next = (): number => {
    if (n >= 15) throw new CpuFault(GP, 0, true);
    return code.byte(n++);
  };
  for (;;) {
    b = next();
    if (b === 0x66) opsize = code32 ? 2 : 4;
    else if (b === 0x67) addr32 = !code32;
    else if (b === 0xf0) i.lock = true;
    else if (b === 0xf3) i.rep = 1;
    else if (b === 0xf2) i.rep = 2;
    else if (b === 0x26) seg = ES;
    else if (b === 0x2e) seg = CS;
    else if (b === 0x36) seg = SS;
    else if (b === 0x3e) seg = DS;
    else if (b === 0x64) seg = FS;
    else if (b === 0x65) seg = GS;
    else break;
  }
  let def: OpDef;
  if (b === 0x0f) {
    b = next();
    i.op = 0x100 | b;
    def = OPS2[b]!;
  } else {
    i.op = b;
    def = OPS1[b]!;
  }
  const f = def.flags;
  i.as32 = addr32;
  i.os = f & F_BYTE ? 1 : opsize;
  let exec: Handler | undefined = def.h;
  if (f & F_MODRM) {
    const m = next();
    const mod = f & F_MODREG ? 3 : m >> 6, reg = (m >> 3) & 7, rm = m & 7;
    i.mod = mod; i.reg = reg; i.rm = rm;
    if (def.group) exec = def.group[reg];
    if (mod !== 3) {
      let defSeg = DS;
      if (addr32) {
        let base = rm, index = -1, scale = 0;
        if (rm === 4) {
          const sib = next();
          scale = sib >> 6;
          index = (sib >> 3) & 7;
          if (index === 4) index = -1;
          base = sib & 7;
          if (base === 5 && mod === 0) {
            base = -1;
            i.disp = next() | (next() << 8) | (next() << 16) | (next() << 24);
          }
        } else if (rm === 5 && mod === 0) {
          base = -1;
          i.disp = next() | (next() << 8) | (next() << 16) | (next() << 24);
        }
        if (mod === 1) i.disp = (next() << 24) >> 24;
        else if (mod === 2) i.disp = next() | (next() << 8) | (next() << 16) | (next() << 24);
        i.base = base; i.index = index; i.scale = scale;
        if (base === 4 || base === 5) defSeg = SS;
      } else {
        if (rm === 6 && mod === 0) {
          i.base = -1; i.index = -1;
          i.disp = next() | (next() << 8);
        } else {
          i.base = REGS16_BASE[rm]!;
          i.index = REGS16_INDEX[rm]!;
          if (rm === 2 || rm === 3 || rm === 6) defSeg = SS;
          if (mod === 1) i.disp = (next() << 24) >> 24;
          else if (mod === 2) i.disp = next() | (next() << 8);
        }
      }
      i.seg = seg >= 0 ? seg : defSeg;
    } else if (seg >= 0) {
      i.seg = seg;
    }
  } else if (seg >= 0) {
    i.seg = seg;
  }
  i.segOverride = seg >= 0;
  // Immediates.
  if (f & F_I8 || (f & F_GROUP_IMM && i.reg < 2)) {
    if (f & F_GROUP_IMM && !(f & F_BYTE)) {
      // F7 /0 test Ev, Iv
      i.imm = readImm(next, i.os);
    } else i.imm = next();
  } else if (f & F_I8S) {
    i.imm = (next() << 24) >> 24;
  } else if (f & F_IV) {
    i.imm = readImm(next, i.os);
  } else if (f & F_I16) {
    i.imm = next() | (next() << 8);
  } else if (f & F_MOFFS) {
    i.disp = addr32 ? next() | (next() << 8) | (next() << 16) | (next() << 24) : next() | (next() << 8);
    i.base = -1; i.index = -1; i.mod = 0;
  } else if (f & F_FAR) {
    i.imm = readImm(next, opsize);
    i.imm2 = next() | (next() << 8);
  } else if (f & F_ENTER) {
    i.imm = next() | (next() << 8);
    i.imm2 = next();
  }
  i.len = n;
  if (def.pick && exec !== undefined) exec = def.pick(i) ?? exec;
  // Register forms that are #UD on this processor (and VEX/EVEX encodings on later ones).
  if (i.mod === 3 && ((f & F_MEMONLY) || (i.op === 0x101 && i.reg !== 4 && i.reg !== 6) ||
      (i.op === 0xff && (i.reg === 3 || i.reg === 5)) || i.op === 0x1c7)) exec = undefined;
  i.cost = staticCost(costs, def, i);
  if (i.lock) {
    const ok = (f & F_LOCK) !== 0 && i.mod !== 3 && (!def.lockRegs || (def.lockRegs >> i.reg) & 1);
    if (!ok) exec = undefined;
  }
  i.exec = exec ?? ud;
  return i;
}

function readImm(next: () => number, size: number): number {
  if (size === 1) return next();
  if (size === 2) return next() | (next() << 8);
  return next() | (next() << 8) | (next() << 16) | (next() << 24);
}
