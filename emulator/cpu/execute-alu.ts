// Integer data instructions: add/sub/logic, inc/dec/neg/not, shifts and rotates, multiply and
// divide, bit tests and scans, moves and exchanges, cmov/setcc, BCD adjusts and flag bit ops.
// Handlers take the CPU and the decoded instruction; i.os is the operand size (1, 2 or 4).
// Undefined flags follow QEMU's choices so the differential tests agree where the manual is silent.
import type { Cpu } from './cpu.ts';
import type { Insn } from './decode.ts';
import { CpuFault, DE, UD } from './fault.ts';
import { CF, AF, OF, ZF, SF, PF, DF, EAX, ECX, EDX, EBX } from './flags.ts';

export function mask(size: number): number {
  return size === 4 ? -1 : size === 2 ? 0xffff : 0xff;
}
function signBit(size: number): number {
  return size === 4 ? 0x80000000 | 0 : size === 2 ? 0x8000 : 0x80;
}
function trunc(v: number, size: number): number {
  return size === 4 ? v | 0 : v & (size === 2 ? 0xffff : 0xff);
}
function sext(v: number, size: number): number {
  return size === 4 ? v | 0 : size === 2 ? (v << 16) >> 16 : (v << 24) >> 24;
}

/** The eight classic ALU operations (ModRM reg / opcode bits 3..5): add or adc sbb and sub xor cmp. */
export function alu(cpu: Cpu, op: number, a: number, b: number, size: number): number {
  let res: number;
  switch (op) {
    case 0: res = trunc(a + b, size); cpu.setAdd(a, b, res, size, 0); return res;
    case 1: res = trunc(a | b, size); cpu.setLogic(res, size); return res;
    case 2: { const c = cpu.getCF() ? 1 : 0; res = trunc(a + b + c, size); cpu.setAdd(a, b, res, size, c); return res; }
    case 3: { const c = cpu.getCF() ? 1 : 0; res = trunc(a - b - c, size); cpu.setSub(a, b, res, size, c); return res; }
    case 4: res = trunc(a & b, size); cpu.setLogic(res, size); return res;
    case 6: res = trunc(a ^ b, size); cpu.setLogic(res, size); return res;
    default: res = trunc(a - b, size); cpu.setSub(a, b, res, size, 0); return res;
  }
}

/** op Eb,Gb / op Ev,Gv */
export function aluEG(cpu: Cpu, i: Insn): void {
  const op = (i.op >> 3) & 7, size = i.os;
  const b = cpu.getReg(size, i.reg);
  if (i.mod === 3) {
    const res = alu(cpu, op, cpu.getReg(size, i.rm), b, size);
    if (op !== 7) cpu.setReg(size, i.rm, res);
  } else if (op === 7) {
    alu(cpu, op, cpu.rd(cpu.eaR(i, size), size), b, size);
  } else {
    const lin = cpu.eaW(i, size);
    const res = alu(cpu, op, cpu.rdW(lin, size), b, size);
    cpu.wr(lin, size, res);
  }
}
/** op Gb,Eb / op Gv,Ev */
export function aluGE(cpu: Cpu, i: Insn): void {
  const op = (i.op >> 3) & 7, size = i.os;
  const b = cpu.readE(i, size);
  const res = alu(cpu, op, cpu.getReg(size, i.reg), b, size);
  if (op !== 7) cpu.setReg(size, i.reg, res);
}
/** op AL,Ib / op eAX,Iv */
export function aluAI(cpu: Cpu, i: Insn): void {
  const op = (i.op >> 3) & 7, size = i.os;
  const res = alu(cpu, op, cpu.getReg(size, EAX), trunc(i.imm, size), size);
  if (op !== 7) cpu.setReg(size, EAX, res);
}
/** Group 1: op Eb,Ib / Ev,Iv / Ev,Ib (sign-extended by the decoder). */
export function aluEI(cpu: Cpu, i: Insn): void {
  const op = i.reg, size = i.os;
  const b = trunc(i.imm, size);
  if (i.mod === 3) {
    const res = alu(cpu, op, cpu.getReg(size, i.rm), b, size);
    if (op !== 7) cpu.setReg(size, i.rm, res);
  } else if (op === 7) {
    alu(cpu, op, cpu.rd(cpu.eaR(i, size), size), b, size);
  } else {
    const lin = cpu.eaW(i, size);
    const res = alu(cpu, op, cpu.rdW(lin, size), b, size);
    cpu.wr(lin, size, res);
  }
}

// Hot 32-bit register forms (the common case in gcc output), chosen by the decoder.
export function addRR32(cpu: Cpu, i: Insn): void {
  const a = cpu.r[i.rm]!, b = cpu.r[i.reg]!, res = (a + b) | 0;
  cpu.r[i.rm] = res; cpu.setAdd(a, b, res, 4, 0);
}
export function subRR32(cpu: Cpu, i: Insn): void {
  const a = cpu.r[i.rm]!, b = cpu.r[i.reg]!, res = (a - b) | 0;
  cpu.r[i.rm] = res; cpu.setSub(a, b, res, 4, 0);
}
export function cmpRR32(cpu: Cpu, i: Insn): void {
  const a = cpu.r[i.rm]!, b = cpu.r[i.reg]!;
  cpu.setSub(a, b, (a - b) | 0, 4, 0);
}
export function xorRR32(cpu: Cpu, i: Insn): void {
  const res = cpu.r[i.rm]! ^ cpu.r[i.reg]!;
  cpu.r[i.rm] = res; cpu.setLogic(res, 4);
}
export function testRR32(cpu: Cpu, i: Insn): void {
  cpu.setLogic(cpu.r[i.rm]! & cpu.r[i.reg]!, 4);
}
export function aluRI32(cpu: Cpu, i: Insn): void {
  const op = i.reg;
  const a = cpu.r[i.rm]!, b = i.imm;
  let res: number;
  switch (op) {
    case 0: res = (a + b) | 0; cpu.setAdd(a, b, res, 4, 0); break;
    case 5: res = (a - b) | 0; cpu.setSub(a, b, res, 4, 0); break;
    case 7: cpu.setSub(a, b, (a - b) | 0, 4, 0); return;
    case 4: res = a & b; cpu.setLogic(res, 4); break;
    default: res = alu(cpu, op, a, b, 4); break;
  }
  cpu.r[i.rm] = res;
}

/** test Eb,Gb / Ev,Gv */
export function testEG(cpu: Cpu, i: Insn): void {
  cpu.setLogic(cpu.readE(i, i.os) & cpu.getReg(i.os, i.reg), i.os);
}
export function testAI(cpu: Cpu, i: Insn): void {
  cpu.setLogic(trunc(cpu.getReg(i.os, EAX) & i.imm, i.os), i.os);
}

/** inc/dec r16/r32 (40-4F) */
export function incDecReg(cpu: Cpu, i: Insn): void {
  const n = i.op & 7, size = i.os;
  cpu.setReg(size, n, incDecValue(cpu, cpu.getReg(size, n), i.op >= 0x48, size));
}
function incDecValue(cpu: Cpu, a: number, dec: boolean, size: number): number {
  const res = trunc(dec ? a - 1 : a + 1, size);
  cpu.setIncDec(a, res, size, dec);
  return res;
}
/** Group 4/5 inc and dec on Eb/Ev. */
export function incDecE(cpu: Cpu, i: Insn): void {
  const size = i.os, dec = i.reg === 1;
  if (i.mod === 3) cpu.setReg(size, i.rm, incDecValue(cpu, cpu.getReg(size, i.rm), dec, size));
  else {
    const lin = cpu.eaW(i, size);
    cpu.wr(lin, size, incDecValue(cpu, cpu.rdW(lin, size), dec, size));
  }
}

/** Group 3: test/not/neg/mul/imul/div/idiv. */
export function group3(cpu: Cpu, i: Insn): void {
  const size = i.os;
  switch (i.reg) {
    case 0: case 1:
      cpu.setLogic(trunc(cpu.readE(i, size) & i.imm, size), size);
      return;
    case 2: case 3: {
      let lin = 0, a: number;
      if (i.mod === 3) a = cpu.getReg(size, i.rm);
      else { lin = cpu.eaW(i, size); a = cpu.rdW(lin, size); }
      let res: number;
      if (i.reg === 2) res = trunc(~a, size);
      else { res = trunc(-a, size); cpu.setSub(0, a, res, size, 0); }
      if (i.mod === 3) cpu.setReg(size, i.rm, res); else cpu.wr(lin, size, res);
      return;
    }
    case 4: mul(cpu, cpu.readE(i, size), size); return;
    case 5: imul1(cpu, cpu.readE(i, size), size); return;
    case 6: div(cpu, cpu.readE(i, size), size); return;
    default: idiv(cpu, cpu.readE(i, size), size); return;
  }
}

/** Unsigned 32x32 -> 64 product; returns the low half, sets mulHi. */
let mulHi = 0;
function mulu32(a: number, b: number): number {
  a >>>= 0; b >>>= 0;
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  mulHi = (hh + Math.floor(lh / 65536) + Math.floor(hl / 65536) + (mid >>> 16)) | 0;
  return ((mid << 16) | (ll & 0xffff)) | 0;
}
/** Signed 32x32 -> 64 product; returns the low half, sets mulHi. */
function muls32(a: number, b: number): number {
  const lo = mulu32(a, b);
  let hi = mulHi;
  if (a < 0) hi = (hi - (b | 0)) | 0;
  if ((b | 0) < 0) hi = (hi - (a | 0)) | 0;
  mulHi = hi;
  return lo;
}

function mul(cpu: Cpu, src: number, size: number): void {
  if (size === 1) {
    const p = cpu.getReg8(0) * src;
    cpu.setReg(2, EAX, p);
    cpu.setSZP(p & 0xff, 1, p > 0xff, p > 0xff);
  } else if (size === 2) {
    const p = (cpu.r[EAX]! & 0xffff) * src;
    cpu.setReg(2, EAX, p & 0xffff);
    cpu.setReg(2, EDX, p >>> 16);
    cpu.setSZP(p & 0xffff, 2, p > 0xffff, p > 0xffff);
  } else {
    const lo = mulu32(cpu.r[EAX]!, src);
    cpu.r[EAX] = lo; cpu.r[EDX] = mulHi;
    cpu.setSZP(lo, 4, mulHi !== 0, mulHi !== 0);
  }
  cpu.cycles += cpu.costs.imul;
}
function imul1(cpu: Cpu, src: number, size: number): void {
  if (size === 1) {
    const p = ((cpu.getReg8(0) << 24) >> 24) * ((src << 24) >> 24);
    cpu.setReg(2, EAX, p & 0xffff);
    const ov = p !== ((p << 24) >> 24);
    cpu.setSZP(p & 0xff, 1, ov, ov);
  } else if (size === 2) {
    const p = ((cpu.r[EAX]! << 16) >> 16) * ((src << 16) >> 16);
    cpu.setReg(2, EAX, p & 0xffff);
    cpu.setReg(2, EDX, (p >> 16) & 0xffff);
    const ov = p !== ((p << 16) >> 16);
    cpu.setSZP(p & 0xffff, 2, ov, ov);
  } else {
    const lo = muls32(cpu.r[EAX]!, src);
    cpu.r[EAX] = lo; cpu.r[EDX] = mulHi;
    const ov = mulHi !== (lo >> 31);
    cpu.setSZP(lo, 4, ov, ov);
  }
  cpu.cycles += cpu.costs.imul;
}
/** Two- and three-operand imul: returns the truncated product and sets CF=OF on overflow. */
function imulTrunc(cpu: Cpu, a: number, b: number, size: number): number {
  cpu.cycles += cpu.costs.imul;
  if (size === 2) {
    const p = ((a << 16) >> 16) * ((b << 16) >> 16);
    const ov = p !== ((p << 16) >> 16);
    cpu.setSZP(p & 0xffff, 2, ov, ov);
    return p & 0xffff;
  }
  // The double product is exact below 2^53; above, it cannot equal the 32-bit result: overflow.
  const lo = Math.imul(a, b);
  const ov = (a | 0) * (b | 0) !== lo;
  cpu.setSZP(lo, 4, ov, ov);
  return lo;
}
/** imul Gv,Ev (0F AF) */
export function imulGE(cpu: Cpu, i: Insn): void {
  cpu.setReg(i.os, i.reg, imulTrunc(cpu, cpu.getReg(i.os, i.reg), cpu.readE(i, i.os), i.os));
}
/** imul Gv,Ev,Iv / Ib (69, 6B) */
export function imulGEI(cpu: Cpu, i: Insn): void {
  cpu.setReg(i.os, i.reg, imulTrunc(cpu, cpu.readE(i, i.os), i.imm, i.os));
}

function div(cpu: Cpu, src: number, size: number): void {
  cpu.cycles += cpu.costs.div;
  if (src === 0) throw new CpuFault(DE, 0, false);
  if (size === 1) {
    const n = cpu.r[EAX]! & 0xffff;
    const q = Math.floor(n / src);
    if (q > 0xff) throw new CpuFault(DE, 0, false);
    cpu.setReg(2, EAX, ((n % src) << 8) | q);
  } else if (size === 2) {
    const n = ((cpu.r[EDX]! & 0xffff) * 65536) + (cpu.r[EAX]! & 0xffff);
    const q = Math.floor(n / src);
    if (q > 0xffff) throw new CpuFault(DE, 0, false);
    cpu.setReg(2, EAX, q); cpu.setReg(2, EDX, n % src);
  } else {
    const d = src >>> 0, hi = cpu.r[EDX]! >>> 0, lo = cpu.r[EAX]! >>> 0;
    if (hi >= d) throw new CpuFault(DE, 0, false);
    if (hi < 0x200000) {
      const n = hi * 4294967296 + lo;
      const q = Math.floor(n / d);
      cpu.r[EAX] = q; cpu.r[EDX] = n - q * d;
    } else {
      const n = (BigInt(hi) << 32n) | BigInt(lo), bd = BigInt(d);
      cpu.r[EAX] = Number(n / bd); cpu.r[EDX] = Number(n % bd);
    }
  }
}
function idiv(cpu: Cpu, src: number, size: number): void {
  cpu.cycles += cpu.costs.div;
  if (size === 1) {
    const d = (src << 24) >> 24;
    if (d === 0) throw new CpuFault(DE, 0, false);
    const n = (cpu.r[EAX]! << 16) >> 16;
    const q = Math.trunc(n / d);
    if (q > 127 || q < -128) throw new CpuFault(DE, 0, false);
    cpu.setReg(2, EAX, (((n - q * d) & 0xff) << 8) | (q & 0xff));
  } else if (size === 2) {
    const d = (src << 16) >> 16;
    if (d === 0) throw new CpuFault(DE, 0, false);
    const n = ((cpu.r[EDX]! & 0xffff) << 16) | (cpu.r[EAX]! & 0xffff);
    const q = Math.trunc(n / d);
    if (q > 32767 || q < -32768) throw new CpuFault(DE, 0, false);
    cpu.setReg(2, EAX, q & 0xffff); cpu.setReg(2, EDX, (n - q * d) & 0xffff);
  } else {
    const d = src | 0;
    if (d === 0) throw new CpuFault(DE, 0, false);
    const hi = cpu.r[EDX]!, lo = cpu.r[EAX]! >>> 0;
    let q: number, r: number;
    if (hi >= -0x200000 && hi < 0x200000) {
      const n = hi * 4294967296 + lo;
      q = Math.trunc(n / d); r = n - q * d;
    } else {
      const n = (BigInt(hi) << 32n) | BigInt(lo), bd = BigInt(d);
      const bq = n / bd;
      if (bq > 2147483647n || bq < -2147483648n) throw new CpuFault(DE, 0, false);
      q = Number(bq); r = Number(n % bd);
    }
    if (q > 2147483647 || q < -2147483648) throw new CpuFault(DE, 0, false);
    cpu.r[EAX] = q; cpu.r[EDX] = r;
  }
}

// ---- shifts and rotates -------------------------------------------------------------------------
/** Shifts/rotates a (zero-extended for 8/16 bits) by count (already masked to 5 bits, non-zero). */
export function shift(cpu: Cpu, op: number, a: number, count: number, size: number): number {
  const bits = size * 8, m = mask(size), sb = signBit(size);
  let res: number;
  switch (op) {
    case 0: { // rol
      const c = count & (bits - 1);
      res = c ? trunc((a << c) | ((a & m) >>> (bits - c)), size) : a;
      const cf = (res & 1) !== 0;
      cpu.getEflags();
      cpu.flags = (cpu.flags & ~(CF | OF)) | (cf ? CF : 0) | (((res & sb) !== 0) !== cf ? OF : 0);
      return res;
    }
    case 1: { // ror
      const c = count & (bits - 1);
      res = c ? trunc(((a & m) >>> c) | (a << (bits - c)), size) : a;
      const cf = (res & sb) !== 0;
      cpu.getEflags();
      cpu.flags = (cpu.flags & ~(CF | OF)) | (cf ? CF : 0) | ((((res ^ (res << 1)) & sb) !== 0) ? OF : 0);
      return res;
    }
    case 2: case 3: { // rcl, rcr
      const c = size === 4 ? count : count % (bits + 1);
      if (c === 0) return a;
      let cf = cpu.getCF() ? 1 : 0;
      let v = a & m;
      if (size === 4) v >>>= 0;
      for (let k = 0; k < c; k++) {
        if (op === 2) {
          const out = (v & sb) !== 0 ? 1 : 0;
          v = trunc((v << 1) | cf, size); cf = out;
        } else {
          const out = v & 1;
          v = trunc(((v & m) >>> 1) | (cf ? sb : 0), size); cf = out;
        }
      }
      res = trunc(v, size);
      cpu.getEflags();
      cpu.flags = (cpu.flags & ~(CF | OF)) | (cf ? CF : 0) | (((a ^ res) & sb) !== 0 ? OF : 0);
      return res;
    }
    case 4: case 6: { // shl/sal
      const t = a << (count - 1);
      const cf = ((t >>> (bits - 1)) & 1) !== 0;
      res = trunc(t << 1, size);
      cpu.setSZP(res, size, cf, (((t ^ res) & sb) !== 0));
      return res;
    }
    case 5: { // shr
      const t = (a & m) >>> (count - 1);
      res = trunc(t >>> 1, size);
      cpu.setSZP(res, size, (t & 1) !== 0, (((t ^ res) & sb) !== 0));
      return res;
    }
    default: { // sar
      const t = sext(a, size) >> (count - 1);
      res = trunc(t >> 1, size);
      cpu.setSZP(res, size, (t & 1) !== 0, false);
      return res;
    }
  }
}
function shiftE(cpu: Cpu, i: Insn, count: number): void {
  count &= 0x1f;
  const size = i.os;
  if (i.mod === 3) {
    if (count === 0) return;
    cpu.setReg(size, i.rm, shift(cpu, i.reg, cpu.getReg(size, i.rm), count, size));
  } else {
    const lin = cpu.eaW(i, size);
    const a = cpu.rdW(lin, size);
    if (count === 0) return;
    cpu.wr(lin, size, shift(cpu, i.reg, a, count, size));
  }
}
/** Group 2 with Ib (C0/C1), 1 (D0/D1), CL (D2/D3). */
export function shiftEI(cpu: Cpu, i: Insn): void { shiftE(cpu, i, i.imm); }
export function shiftE1(cpu: Cpu, i: Insn): void { shiftE(cpu, i, 1); }
export function shiftECL(cpu: Cpu, i: Insn): void { shiftE(cpu, i, cpu.r[ECX]!); }

/** shld/shrd Ev,Gv,Ib|CL (0F A4/A5/AC/AD) */
export function shld(cpu: Cpu, i: Insn): void {
  const count = ((i.op & 1) ? cpu.r[ECX]! : i.imm) & 0x1f;
  const size = i.os, right = (i.op & 0xf8) === 0xa8;
  let lin = 0, d: number;
  if (i.mod === 3) d = cpu.getReg(size, i.rm);
  else { lin = cpu.eaW(i, size); d = cpu.rdW(lin, size); }
  if (count === 0) return;
  const s = cpu.getReg(size, i.reg);
  let res: number, cf: boolean, t: number;
  if (size === 4) {
    if (!right) {
      t = count === 1 ? d : (d << (count - 1)) | (s >>> (33 - count));
      res = (d << count) | (s >>> (32 - count));
      cf = (t >>> 31) !== 0;
    } else {
      t = count === 1 ? d : (d >>> (count - 1)) | (s << (33 - count));
      res = (d >>> count) | (s << (32 - count));
      cf = (t & 1) !== 0;
    }
  } else {
    // 16-bit: the manual leaves counts above 16 undefined; like QEMU, shift the 48-bit d:s:d.
    const big = (BigInt(d) << 32n) | (BigInt(s) << 16n) | BigInt(d);
    if (!right) {
      const tt = (big << BigInt(count - 1)) >> 32n;
      t = Number(tt & 0xffffn);
      res = Number(((big << BigInt(count)) >> 32n) & 0xffffn);
      cf = (t & 0x8000) !== 0;
    } else {
      const rbig = (BigInt(d)) | (BigInt(s) << 16n) | (BigInt(d) << 32n);
      t = Number((rbig >> BigInt(count - 1)) & 0xffffn);
      res = Number((rbig >> BigInt(count)) & 0xffffn);
      cf = (t & 1) !== 0;
    }
  }
  res = trunc(res, size);
  const sb = signBit(size);
  cpu.setSZP(res, size, cf, ((t ^ res) & sb) !== 0);
  if (i.mod === 3) cpu.setReg(size, i.rm, res); else cpu.wr(lin, size, res);
}

// ---- bit instructions --------------------------------------------------------------------------
function bitOp(cpu: Cpu, i: Insn, bitOff: number, op: number, fromImm: boolean): void {
  const size = i.os, bits = size * 8;
  if (i.mod === 3) {
    const bit = bitOff & (bits - 1);
    const v = cpu.getReg(size, i.rm);
    cpu.setCF(((v >>> bit) & 1) !== 0);
    if (op === 0) return;
    const nv = op === 1 ? v | (1 << bit) : op === 2 ? v & ~(1 << bit) : v ^ (1 << bit);
    cpu.setReg(size, i.rm, nv);
    return;
  }
  let off = cpu.ea(i);
  let bit: number;
  if (fromImm) bit = bitOff & (bits - 1);
  else {
    const sOff = size === 2 ? (bitOff << 16) >> 16 : bitOff | 0;
    off = (off + (sOff >> (size === 2 ? 4 : 5)) * size) | 0;
    if (!i.as32) off &= 0xffff;
    bit = sOff & (bits - 1);
  }
  if (op === 0) {
    const v = cpu.rd(cpu.linR(i.seg, off, size), size);
    cpu.setCF(((v >>> bit) & 1) !== 0);
    return;
  }
  const lin = cpu.linW(i.seg, off, size);
  const v = cpu.rdW(lin, size);
  cpu.setCF(((v >>> bit) & 1) !== 0);
  const nv = op === 1 ? v | (1 << bit) : op === 2 ? v & ~(1 << bit) : v ^ (1 << bit);
  cpu.wr(lin, size, nv);
}
/** bt/bts/btr/btc Ev,Gv (0F A3/AB/B3/BB) */
export function btEG(cpu: Cpu, i: Insn): void {
  const op = i.op === 0x1a3 ? 0 : i.op === 0x1ab ? 1 : i.op === 0x1b3 ? 2 : 3;
  bitOp(cpu, i, cpu.getReg(i.os, i.reg), op, false);
}
/** Group 8: bt/bts/btr/btc Ev,Ib (0F BA /4-7) */
export function btEI(cpu: Cpu, i: Insn): void {
  bitOp(cpu, i, i.imm, i.reg - 4, true);
}
/** bsf/bsr Gv,Ev: ZF=1 and destination unchanged for a zero source. */
export function bsfBsr(cpu: Cpu, i: Insn): void {
  const size = i.os;
  const v = cpu.readE(i, size);
  cpu.setLogic(v, size);
  if (v === 0) return;
  let idx: number;
  if (i.op === 0x1bc) idx = 31 - Math.clz32(v & -v);
  else idx = 31 - Math.clz32(v);
  cpu.setReg(size, i.reg, idx);
}
export function bswap(cpu: Cpu, i: Insn): void {
  const n = i.op & 7, v = cpu.r[n]!;
  // With a 16-bit operand the result is undefined; real processors (and QEMU) write zero to the low word.
  if (i.os === 2) { cpu.setReg(2, n, 0); return; }
  cpu.r[n] = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

// ---- moves -------------------------------------------------------------------------------------
export function movEG(cpu: Cpu, i: Insn): void {
  const v = cpu.getReg(i.os, i.reg);
  if (i.mod === 3) cpu.setReg(i.os, i.rm, v); else cpu.wr(cpu.eaW(i, i.os), i.os, v);
}
export function movGE(cpu: Cpu, i: Insn): void {
  cpu.setReg(i.os, i.reg, cpu.readE(i, i.os));
}
export function movRR32(cpu: Cpu, i: Insn): void {
  cpu.r[i.rm] = cpu.r[i.reg]!;
}
export function movStore32(cpu: Cpu, i: Insn): void {
  cpu.wr32(cpu.eaW(i, 4), cpu.r[i.reg]!);
}
export function movLoad32(cpu: Cpu, i: Insn): void {
  cpu.r[i.reg] = cpu.rd32(cpu.eaR(i, 4));
}
/** mov Eb,Ib / Ev,Iv (C6/C7 /0) */
export function movEI(cpu: Cpu, i: Insn): void {
  if (i.mod === 3) cpu.setReg(i.os, i.rm, i.imm); else cpu.wr(cpu.eaW(i, i.os), i.os, i.imm);
}
/** mov r8,Ib (B0-B7) / mov r,Iv (B8-BF) */
export function movRI(cpu: Cpu, i: Insn): void {
  cpu.setReg(i.os, i.op & 7, i.imm);
}
export function movRI32(cpu: Cpu, i: Insn): void {
  cpu.r[i.op & 7] = i.imm;
}
/** mov AL/eAX,moffs and back (A0-A3) */
export function movMoffs(cpu: Cpu, i: Insn): void {
  const size = i.os, off = i.as32 ? i.disp : i.disp & 0xffff;
  if (i.op & 2) cpu.wr(cpu.linW(i.seg, off, size), size, cpu.getReg(size, EAX));
  else cpu.setReg(size, EAX, cpu.rd(cpu.linR(i.seg, off, size), size));
}
export function lea(cpu: Cpu, i: Insn): void {
  if (i.mod === 3) throw new CpuFault(UD, 0, false);
  cpu.setReg(i.os, i.reg, cpu.ea(i));
}
/** movzx/movsx Gv,Eb/Ew (0F B6/B7/BE/BF) */
export function movzxsx(cpu: Cpu, i: Insn): void {
  const srcSize = i.op & 1 ? 2 : 1;
  let v = cpu.readE(i, srcSize);
  if (i.op >= 0x1be) v = sext(v, srcSize);
  cpu.setReg(i.os, i.reg, v);
}
export function xchgEG(cpu: Cpu, i: Insn): void {
  const size = i.os, g = cpu.getReg(size, i.reg);
  if (i.mod === 3) {
    cpu.setReg(size, i.reg, cpu.getReg(size, i.rm));
    cpu.setReg(size, i.rm, g);
  } else {
    const lin = cpu.eaW(i, size);
    const v = cpu.rdW(lin, size);
    cpu.wr(lin, size, g);
    cpu.setReg(size, i.reg, v);
    cpu.cycles += cpu.costs.locked_rmw_extra; // xchg with memory is always locked
  }
}
/** xchg eAX,r (91-97) */
export function xchgAR(cpu: Cpu, i: Insn): void {
  const n = i.op & 7, size = i.os, a = cpu.getReg(size, EAX);
  cpu.setReg(size, EAX, cpu.getReg(size, n));
  cpu.setReg(size, n, a);
}
export function cmov(cpu: Cpu, i: Insn): void {
  const v = cpu.readE(i, i.os); // the source is read (and may fault) whatever the condition
  if (cpu.cond(i.op & 0xf)) cpu.setReg(i.os, i.reg, v);
  else if (i.os === 4) cpu.r[i.reg] = cpu.r[i.reg]!; // 32-bit cmov always writes (zero-extends in 64-bit; no-op here)
}
export function setcc(cpu: Cpu, i: Insn): void {
  const v = cpu.cond(i.op & 0xf) ? 1 : 0;
  if (i.mod === 3) cpu.setReg8(i.rm, v); else cpu.wr8(cpu.eaW(i, 1), v);
}
/** cbw/cwde (98) and cwd/cdq (99) */
export function cbw(cpu: Cpu, i: Insn): void {
  if (i.os === 4) cpu.r[EAX] = (cpu.r[EAX]! << 16) >> 16;
  else cpu.setReg(2, EAX, (cpu.r[EAX]! << 24) >> 24);
}
export function cwd(cpu: Cpu, i: Insn): void {
  if (i.os === 4) cpu.r[EDX] = cpu.r[EAX]! >> 31;
  else cpu.setReg(2, EDX, (cpu.r[EAX]! << 16) >> 31);
}
export function xadd(cpu: Cpu, i: Insn): void {
  const size = i.os, s = cpu.getReg(size, i.reg);
  if (i.mod === 3) {
    const d = cpu.getReg(size, i.rm);
    const res = alu(cpu, 0, d, s, size);
    cpu.setReg(size, i.reg, d);
    cpu.setReg(size, i.rm, res);
  } else {
    const lin = cpu.eaW(i, size);
    const d = cpu.rdW(lin, size);
    const res = alu(cpu, 0, d, s, size);
    cpu.wr(lin, size, res);
    cpu.setReg(size, i.reg, d);
  }
}
export function cmpxchg(cpu: Cpu, i: Insn): void {
  const size = i.os;
  let lin = 0, d: number;
  if (i.mod === 3) d = cpu.getReg(size, i.rm);
  else { lin = cpu.eaW(i, size); d = cpu.rdW(lin, size); }
  const acc = cpu.getReg(size, EAX);
  alu(cpu, 7, acc, d, size);
  if (trunc(acc, size) === trunc(d, size)) {
    const s = cpu.getReg(size, i.reg);
    if (i.mod === 3) cpu.setReg(size, i.rm, s); else cpu.wr(lin, size, s);
  } else {
    if (i.mod !== 3) cpu.wr(lin, size, d); // the destination is written back either way
    cpu.setReg(size, EAX, d);
  }
}
/** Group 9 /1: cmpxchg8b m64 */
export function cmpxchg8b(cpu: Cpu, i: Insn): void {
  if (i.mod === 3) throw new CpuFault(UD, 0, false);
  const off = cpu.ea(i);
  const lin = cpu.linW(i.seg, off, 8);
  const lo = cpu.rdW(lin, 4), hi = cpu.rdW((lin + 4) | 0, 4);
  if (lo === cpu.r[EAX] && hi === cpu.r[EDX]) {
    cpu.wr32(lin, cpu.r[EBX]!); cpu.wr32((lin + 4) | 0, cpu.r[ECX]!);
    cpu.setFlagBits(ZF, ZF);
  } else {
    cpu.wr32(lin, lo); cpu.wr32((lin + 4) | 0, hi);
    cpu.r[EAX] = lo; cpu.r[EDX] = hi;
    cpu.setFlagBits(ZF, 0);
  }
}

// ---- flag instructions and BCD -----------------------------------------------------------------
export function cmc(cpu: Cpu): void { cpu.setCF(!cpu.getCF()); }
export function clc(cpu: Cpu): void { cpu.setCF(false); }
export function stc(cpu: Cpu): void { cpu.setCF(true); }
export function cld(cpu: Cpu): void { cpu.flags &= ~DF; }
export function std(cpu: Cpu): void { cpu.flags |= DF; }
export function sahf(cpu: Cpu): void {
  cpu.setFlagBits(SF | ZF | AF | PF | CF, cpu.getReg8(4));
}
export function lahf(cpu: Cpu): void {
  cpu.setReg8(4, (cpu.getEflags() & (SF | ZF | AF | PF | CF)) | 2);
}
/** salc (D6): AL = CF ? 0xFF : 0; undocumented but executed by every IA-32 processor. */
export function salc(cpu: Cpu): void {
  cpu.setReg8(0, cpu.getCF() ? 0xff : 0);
}
export function xlat(cpu: Cpu, i: Insn): void {
  const off = i.as32 ? (cpu.r[EBX]! + cpu.getReg8(0)) | 0 : (cpu.r[EBX]! + cpu.getReg8(0)) & 0xffff;
  cpu.setReg8(0, cpu.rd8(cpu.linR(i.seg, off, 1)));
}
function setSZPbyte(cpu: Cpu, al: number, cf: boolean, af: boolean): void {
  cpu.setSZP(al, 1, cf, false);
  cpu.getEflags();
  cpu.flags = (cpu.flags & ~AF) | (af ? AF : 0);
}
export function daa(cpu: Cpu): void {
  const old = cpu.getReg8(0), oldCf = cpu.getCF();
  let al = old, cf = false, af = false;
  if ((al & 0xf) > 9 || cpu.getAF()) { al += 6; af = true; cf = oldCf || al > 0xff; }
  if (old > 0x99 || oldCf) { al += 0x60; cf = true; }
  al &= 0xff;
  cpu.setReg8(0, al);
  setSZPbyte(cpu, al, cf, af);
}
export function das(cpu: Cpu): void {
  const old = cpu.getReg8(0), oldCf = cpu.getCF();
  let al = old, cf = false, af = false;
  if ((al & 0xf) > 9 || cpu.getAF()) { cf = oldCf || al < 6; al -= 6; af = true; }
  if (old > 0x99 || oldCf) { al -= 0x60; cf = true; }
  al &= 0xff;
  cpu.setReg8(0, al);
  setSZPbyte(cpu, al, cf, af);
}
export function aaa(cpu: Cpu): void {
  let ax = cpu.r[EAX]! & 0xffff;
  const adj = (ax & 0xf) > 9 || cpu.getAF();
  if (adj) ax = ((ax + 0x106) & 0xff00) | ((ax + 6) & 0x0f);
  else ax &= 0xff0f;
  cpu.setReg(2, EAX, ax);
  setSZPbyte(cpu, ax & 0xff, adj, adj);
}
export function aas(cpu: Cpu): void {
  let ax = cpu.r[EAX]! & 0xffff;
  const adj = (ax & 0xf) > 9 || cpu.getAF();
  if (adj) ax = ((ax - 0x106) & 0xff00) | ((ax - 6) & 0x0f);
  else ax &= 0xff0f;
  cpu.setReg(2, EAX, ax);
  setSZPbyte(cpu, ax & 0xff, adj, adj);
}
export function aam(cpu: Cpu, i: Insn): void {
  const base = i.imm & 0xff;
  if (base === 0) throw new CpuFault(DE, 0, false);
  const al = cpu.getReg8(0);
  const res = ((Math.floor(al / base) & 0xff) << 8) | (al % base);
  cpu.setReg(2, EAX, res);
  cpu.setLogic(res & 0xff, 1);
}
export function aad(cpu: Cpu, i: Insn): void {
  const al = (cpu.getReg8(0) + cpu.getReg8(4) * (i.imm & 0xff)) & 0xff;
  cpu.setReg(2, EAX, al);
  cpu.setLogic(al, 1);
}
export { SF, OF };
