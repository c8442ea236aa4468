// General registers and EFLAGS with lazy arithmetic flags. An arithmetic instruction records its
// operands, result and kind instead of computing six flag bits; a flag is computed only when an
// instruction (jcc, setcc, pushf, adc...) reads it. `lazy` says which arithmetic flags are pending;
// the others live in `flags`. The class is the root of the CPU's state chain
// (CpuRegs -> CpuMemory -> CpuSegments -> Cpu), split by concept to keep files small.

export const CF = 0x1;
export const PF = 0x4;
export const AF = 0x10;
export const ZF = 0x40;
export const SF = 0x80;
export const TF = 0x100;
export const IF = 0x200;
export const DF = 0x400;
export const OF = 0x800;
export const IOPL = 0x3000;
export const NT = 0x4000;
export const RF = 0x10000;
export const VM = 0x20000;
export const AC = 0x40000;
export const VIF = 0x80000;
export const VIP = 0x100000;
export const ID = 0x200000;
export const ARITH = CF | PF | AF | ZF | SF | OF;

/** Kinds of the last flag-setting operation. */
export const OP_ADD = 0;
export const OP_SUB = 1;
export const OP_LOGIC = 2; // CF=OF=AF=0 when lazy; also used for SF/ZF/PF-only results (shifts, mul)

export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;

const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let p = 1;
  for (let b = i; b; b >>= 1) p ^= b & 1;
  PARITY[i] = p ? PF : 0;
}

export class CpuRegs {
  /** EAX..EDI, indexed by the ModRM register number. Signed view; use >>> 0 for unsigned. */
  readonly r: Int32Array;
  eip = 0;
  /** Non-lazy EFLAGS bits (bit 1 always set). */
  flags = 0x2;
  /** Which of the arithmetic flags must be computed from lRes/lA/lB/lOp/lSize. */
  lazy = 0;
  lOp = 0;
  lRes = 0;
  lA = 0;
  lB = 0;
  /** Carry into the last adc/sbb (0 or 1). */
  lCin = 0;
  /** Operand size of the last flag-setting operation in bytes. */
  lSize = 4;

  /** `r`: eight dwords of guest-memory.ts's memory, where compiled code can reach them. */
  constructor(r: Int32Array) {
    this.r = r;
  }

  // ---- 8/16/32-bit register access ------------------------------------------------------
  getReg8(n: number): number {
    return n < 4 ? this.r[n]! & 0xff : (this.r[n - 4]! >> 8) & 0xff;
  }
  setReg8(n: number, v: number): void {
    if (n < 4) this.r[n] = (this.r[n]! & ~0xff) | (v & 0xff);
    else this.r[n - 4] = (this.r[n - 4]! & ~0xff00) | ((v & 0xff) << 8);
  }
  getReg(size: number, n: number): number {
    if (size === 4) return this.r[n]!;
    if (size === 2) return this.r[n]! & 0xffff;
    return this.getReg8(n);
  }
  setReg(size: number, n: number, v: number): void {
    if (size === 4) this.r[n] = v;
    else if (size === 2) this.r[n] = (this.r[n]! & ~0xffff) | (v & 0xffff);
    else this.setReg8(n, v);
  }

  // ---- lazy flags ----------------------------------------------------------------------
  /** Records an add-like result (add, adc with cin, inc). */
  setAdd(a: number, b: number, res: number, size: number, cin: number): void {
    this.lOp = OP_ADD; this.lA = a; this.lB = b; this.lRes = res; this.lSize = size; this.lCin = cin;
    this.lazy = ARITH;
  }
  setSub(a: number, b: number, res: number, size: number, cin: number): void {
    this.lOp = OP_SUB; this.lA = a; this.lB = b; this.lRes = res; this.lSize = size; this.lCin = cin;
    this.lazy = ARITH;
  }
  /** inc/dec: like add/sub of 1, with CF kept. */
  setIncDec(a: number, res: number, size: number, dec: boolean): void {
    const cf = this.getCF() ? CF : 0;
    this.flags = (this.flags & ~CF) | cf;
    this.lOp = dec ? OP_SUB : OP_ADD; this.lA = a; this.lB = 1; this.lRes = res; this.lSize = size; this.lCin = 0;
    this.lazy = ARITH & ~CF;
  }
  setLogic(res: number, size: number): void {
    this.lOp = OP_LOGIC; this.lRes = res; this.lSize = size; this.lazy = ARITH;
  }
  /** Result flags SF/ZF/PF from res; CF, OF, AF given explicitly (shifts, multiplies). */
  setSZP(res: number, size: number, cf: boolean, of: boolean): void {
    this.lOp = OP_LOGIC; this.lRes = res; this.lSize = size; this.lazy = SF | ZF | PF;
    this.flags = (this.flags & ~(CF | OF | AF)) | (cf ? CF : 0) | (of ? OF : 0);
  }

  getCF(): boolean {
    if (!(this.lazy & CF)) return (this.flags & CF) !== 0;
    const size = this.lSize;
    const m = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    const a = (this.lA & m) >>> 0, b = (this.lB & m) >>> 0, res = (this.lRes & m) >>> 0;
    if (this.lOp === OP_ADD) return this.lCin ? res <= a : res < a;
    if (this.lOp === OP_SUB) return this.lCin ? a <= b : a < b;
    return false;
  }
  getZF(): boolean {
    if (!(this.lazy & ZF)) return (this.flags & ZF) !== 0;
    const s = this.lSize;
    return (s === 4 ? this.lRes : s === 2 ? this.lRes & 0xffff : this.lRes & 0xff) === 0;
  }
  getSF(): boolean {
    if (!(this.lazy & SF)) return (this.flags & SF) !== 0;
    const s = this.lSize;
    return (this.lRes & (s === 4 ? 0x80000000 : s === 2 ? 0x8000 : 0x80)) !== 0;
  }
  getOF(): boolean {
    if (!(this.lazy & OF)) return (this.flags & OF) !== 0;
    const s = this.lSize;
    const sign = s === 4 ? 0x80000000 : s === 2 ? 0x8000 : 0x80;
    const a = this.lA, b = this.lB, res = this.lRes;
    if (this.lOp === OP_ADD) return ((a ^ res) & (b ^ res) & sign) !== 0;
    if (this.lOp === OP_SUB) return ((a ^ b) & (a ^ res) & sign) !== 0;
    return false;
  }
  getPF(): boolean {
    if (!(this.lazy & PF)) return (this.flags & PF) !== 0;
    return PARITY[this.lRes & 0xff] !== 0;
  }
  getAF(): boolean {
    if (!(this.lazy & AF)) return (this.flags & AF) !== 0;
    if (this.lOp === OP_LOGIC) return false;
    return ((this.lA ^ this.lB ^ this.lRes) & 0x10) !== 0;
  }

  /** Folds the pending lazy flags into `flags` and returns the full EFLAGS value. */
  getEflags(): number {
    if (this.lazy) {
      let f = this.flags & ~this.lazy;
      const lz = this.lazy;
      if (lz & CF && this.getCF()) f |= CF;
      if (lz & PF && this.getPF()) f |= PF;
      if (lz & AF && this.getAF()) f |= AF;
      if (lz & ZF && this.getZF()) f |= ZF;
      if (lz & SF && this.getSF()) f |= SF;
      if (lz & OF && this.getOF()) f |= OF;
      this.flags = f;
      this.lazy = 0;
    }
    return this.flags;
  }
  /** Sets arithmetic flag bits directly (mask selects which). */
  setFlagBits(mask: number, value: number): void {
    this.getEflags();
    this.flags = (this.flags & ~mask) | (value & mask);
  }
  setCF(v: boolean): void {
    if (this.lazy) this.getEflags();
    this.flags = v ? this.flags | CF : this.flags & ~CF;
  }

  /** Evaluates condition code cc (the low nibble of jcc/setcc/cmovcc). */
  cond(cc: number): boolean {
    // Fast path: after cmp/sub with all flags pending, compare the operands directly.
    if (this.lazy === ARITH && this.lOp === OP_SUB && this.lCin === 0 && this.lSize === 4) {
      const a = this.lA, b = this.lB;
      switch (cc) {
        case 2: return (a >>> 0) < (b >>> 0);
        case 3: return (a >>> 0) >= (b >>> 0);
        case 4: return (a ^ b) === 0;
        case 5: return (a ^ b) !== 0;
        case 6: return (a >>> 0) <= (b >>> 0);
        case 7: return (a >>> 0) > (b >>> 0);
        case 0xc: return (a | 0) < (b | 0);
        case 0xd: return (a | 0) >= (b | 0);
        case 0xe: return (a | 0) <= (b | 0);
        case 0xf: return (a | 0) > (b | 0);
      }
    }
    if ((cc >> 1) === 2 && (this.lazy & ZF)) {
      const s = this.lSize;
      const z = (s === 4 ? this.lRes : s === 2 ? this.lRes & 0xffff : this.lRes & 0xff) === 0;
      return (cc & 1) ? !z : z;
    }
    let v: boolean;
    switch (cc >> 1) {
      case 0: v = this.getOF(); break;
      case 1: v = this.getCF(); break;
      case 2: v = this.getZF(); break;
      case 3: v = this.getCF() || this.getZF(); break;
      case 4: v = this.getSF(); break;
      case 5: v = this.getPF(); break;
      case 6: v = this.getSF() !== this.getOF(); break;
      default: v = this.getZF() || this.getSF() !== this.getOF(); break;
    }
    return (cc & 1) ? !v : v;
  }
}
