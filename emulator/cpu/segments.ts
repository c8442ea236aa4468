// Segment registers, descriptor tables and the protected-mode checks on segment loads, plus
// segment-relative (logical) memory access and the stack. Each segment register keeps its
// hidden part (base, limit, access rights); segFastR/segFastW mark flat segments (base 0,
// 4 GiB, expand-up, readable/writable) whose offsets are used as linear addresses unchecked, and
// segMaxR/segMaxW the last offset a base-0 expand-up segment with the access right lets through
// (a Xen guest's segments end below the hypervisor hole: only their limit needs testing).
import { CpuMemory } from './mmu.ts';
import { CpuFault, GP, NP, SS as SS_VEC, TS } from './fault.ts';
import { ESP } from './flags.ts';

export const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
export const SEG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;

// Access-rights word: bits 8..15 and 20..23 of the descriptor's high dword, kept in place
// (type 8..11, S 12, DPL 13..14, P 15, AVL 20, D/B 22, G 23).
export const AR_ACCESSED = 0x100;
export const AR_WRITABLE = 0x200; // data: writable; code: readable
export const AR_EXPDOWN = 0x400; // data: expand-down; code: conforming
export const AR_CODE = 0x800;
export const AR_S = 0x1000;
export const AR_P = 0x8000;
export const AR_DB = 0x400000;
export const AR_G = 0x800000;

export function descBase(lo: number, hi: number): number {
  return ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
}
export function descLimit(lo: number, hi: number): number {
  const l = (lo & 0xffff) | (hi & 0xf0000);
  return (hi & AR_G) ? ((l << 12) | 0xfff) >>> 0 : l;
}
export function descDpl(hi: number): number {
  return (hi >> 13) & 3;
}

export class CpuSegments extends CpuMemory {
  readonly sel = new Int32Array(6);
  readonly segBase = new Int32Array(6);
  readonly segLimit = new Float64Array(6);
  readonly segAr = new Int32Array(6);
  /** The register holds a usable (non-null) descriptor. */
  readonly segValid = new Uint8Array(6);
  readonly segFastR = new Uint8Array(6);
  readonly segFastW = new Uint8Array(6);
  /** Base 0, expand-up, readable (writable): the limit, the only check left; else -1. */
  readonly segMaxR = new Float64Array(6);
  readonly segMaxW = new Float64Array(6);
  /** CS.D: default operand/address size 32 bits. */
  code32 = true;
  /** SS.B: 32-bit stack pointer. */
  stack32 = true;

  gdtBase = 0;
  gdtLimit = 0;
  idtBase = 0;
  idtLimit = 0x3ff;
  ldtSel = 0;
  ldtBase = 0;
  ldtLimit = 0;
  trSel = 0;
  trBase = 0;
  trLimit = 0;
  trAr = 0;

  /** Scratch output of readDescriptor (avoids allocating a pair). */
  dLo = 0;
  dHi = 0;
  /** Linear address of the descriptor last read (for setting its accessed bit). */
  dAddr = 0;

  /** Loads a segment register's hidden part directly (no checks). */
  setSegCache(seg: number, selector: number, base: number, limit: number, ar: number, valid: boolean): void {
    this.sel[seg] = selector & 0xffff;
    this.segBase[seg] = base;
    this.segLimit[seg] = limit >>> 0;
    this.segAr[seg] = ar;
    this.segValid[seg] = valid ? 1 : 0;
    const flat = valid && base === 0 && limit >>> 0 === 0xffffffff && (ar & AR_P) !== 0;
    const code = (ar & AR_CODE) !== 0;
    this.segFastR[seg] = flat && (!code || (ar & AR_WRITABLE) !== 0) && (code || !(ar & AR_EXPDOWN)) ? 1 : 0;
    this.segFastW[seg] = flat && !code && (ar & AR_WRITABLE) !== 0 && !(ar & AR_EXPDOWN) ? 1 : 0;
    // The rights segCheck tests, for a segment whose linear address is its offset.
    const upZero = valid && base === 0 && (code || !(ar & AR_EXPDOWN));
    this.segMaxR[seg] = upZero && (!code || (ar & AR_WRITABLE) !== 0) ? limit >>> 0 : -1;
    this.segMaxW[seg] = upZero && !code && (ar & AR_WRITABLE) !== 0 ? limit >>> 0 : -1;
    if (seg === CS) {
      this.code32 = (ar & AR_DB) !== 0;
      this.setCpl(selector & 3);
    } else if (seg === SS) {
      this.stack32 = (ar & AR_DB) !== 0;
    }
  }
  setCpl(cpl: number): void {
    this.cpl = cpl;
    this.tlbNeed = cpl === 3 ? 3 : 2;
  }

  // ---- logical -> linear with segment checks ---------------------------------------------------
  /** Linear address of [off, off+size) in segment seg for reading. */
  linR(seg: number, off: number, size: number): number {
    if (this.segFastR[seg]) return off;
    return this.segCheck(seg, off, size, false);
  }
  linW(seg: number, off: number, size: number): number {
    if (this.segFastW[seg]) return off;
    return this.segCheck(seg, off, size, true);
  }
  /** Linear address of [off, off+size) in segment seg, or the fault the access raises. The test
   *  that passes nearly always (base 0, within the limit) is kept apart from the rest so that V8
   *  inlines it into the compiled blocks: under Xen every guest data segment ends below the
   *  hypervisor hole, so every load and store of a Xen guest comes here. */
  segCheck(seg: number, off: number, size: number, write: boolean): number {
    if ((off >>> 0) + size - 1 <= (write ? this.segMaxW[seg]! : this.segMaxR[seg]!)) return off | 0;
    return this.segCheckFull(seg, off, size, write);
  }
  private segCheckFull(seg: number, off: number, size: number, write: boolean): number {
    const vec = seg === SS ? SS_VEC : GP;
    if (!this.segValid[seg]) throw new CpuFault(vec, 0, true);
    const ar = this.segAr[seg]!;
    if (ar & AR_CODE) {
      if (write || !(ar & AR_WRITABLE)) throw new CpuFault(vec, 0, true);
    } else if (write && !(ar & AR_WRITABLE)) throw new CpuFault(vec, 0, true);
    off >>>= 0;
    const last = off + size - 1;
    const limit = this.segLimit[seg]!;
    if (!(ar & AR_CODE) && (ar & AR_EXPDOWN)) {
      const upper = ar & AR_DB ? 0xffffffff : 0xffff;
      if (off <= limit || last > upper) throw new CpuFault(vec, 0, true);
    } else if (last > limit) throw new CpuFault(vec, 0, true);
    return (this.segBase[seg]! + off) | 0;
  }

  // ---- stack -----------------------------------------------------------------------------
  push32(v: number): void {
    if (this.stack32) {
      const sp = (this.r[ESP]! - 4) | 0;
      this.wr32(this.linW(SS, sp, 4), v);
      this.r[ESP] = sp;
    } else {
      const sp = (this.r[ESP]! - 4) & 0xffff;
      this.wr32(this.linW(SS, sp, 4), v);
      this.r[ESP] = (this.r[ESP]! & ~0xffff) | sp;
    }
  }
  push16(v: number): void {
    const sp = this.stack32 ? (this.r[ESP]! - 2) | 0 : (this.r[ESP]! - 2) & 0xffff;
    this.wr16(this.linW(SS, sp, 2), v);
    if (this.stack32) this.r[ESP] = sp; else this.r[ESP] = (this.r[ESP]! & ~0xffff) | sp;
  }
  push(size: number, v: number): void {
    if (size === 4) this.push32(v); else this.push16(v);
  }
  pop32(): number {
    const sp = this.stack32 ? this.r[ESP]! : this.r[ESP]! & 0xffff;
    const v = this.rd32(this.linR(SS, sp, 4));
    if (this.stack32) this.r[ESP] = sp + 4; else this.r[ESP] = (this.r[ESP]! & ~0xffff) | ((sp + 4) & 0xffff);
    return v;
  }
  pop16(): number {
    const sp = this.stack32 ? this.r[ESP]! : this.r[ESP]! & 0xffff;
    const v = this.rd16(this.linR(SS, sp, 2));
    if (this.stack32) this.r[ESP] = sp + 2; else this.r[ESP] = (this.r[ESP]! & ~0xffff) | ((sp + 2) & 0xffff);
    return v;
  }
  pop(size: number): number {
    return size === 4 ? this.pop32() : this.pop16();
  }
  /** Reads the stack at ESP+off without popping (for instructions that must check before committing). */
  peek(off: number, size: number): number {
    const sp = this.stack32 ? (this.r[ESP]! + off) | 0 : (this.r[ESP]! + off) & 0xffff;
    return size === 4 ? this.rd32(this.linR(SS, sp, 4)) : this.rd16(this.linR(SS, sp, 2));
  }
  /** Checks that a push could write [ESP+off, +size) (faults as that write would), writing nothing. */
  probeStackWrite(off: number, size: number): void {
    const sp = this.stack32 ? (this.r[ESP]! + off) | 0 : (this.r[ESP]! + off) & 0xffff;
    this.rdW(this.linW(SS, sp, size), size);
  }
  /** Adds to ESP (or SP for a 16-bit stack). */
  addSp(n: number): void {
    if (this.stack32) this.r[ESP] = (this.r[ESP]! + n) | 0;
    else this.r[ESP] = (this.r[ESP]! & ~0xffff) | ((this.r[ESP]! + n) & 0xffff);
  }

  // ---- descriptors -----------------------------------------------------------------------
  /**
   * Reads the descriptor for a non-null selector into dLo/dHi. Raises the given vector with the
   * selector as error code when it lies outside the GDT/LDT.
   */
  readDescriptor(selector: number, vec: number = GP): void {
    const index = selector & 0xfff8;
    let base: number, limit: number;
    if (selector & 4) {
      if (!this.ldtSel || !(this.ldtSel & 0xfffc)) throw new CpuFault(vec, selector & 0xfffc, true);
      base = this.ldtBase; limit = this.ldtLimit;
    } else {
      base = this.gdtBase; limit = this.gdtLimit;
    }
    if (index + 7 > limit) throw new CpuFault(vec, selector & 0xfffc, true);
    this.dAddr = (base + index) | 0;
    this.dLo = this.sysRd32(this.dAddr);
    this.dHi = this.sysRd32((this.dAddr + 4) | 0);
  }
  /** Sets the accessed bit of the descriptor last read, as the processor does on a load. */
  markAccessed(): void {
    if (!(this.dHi & AR_ACCESSED)) {
      this.dHi |= AR_ACCESSED;
      this.sysWr32((this.dAddr + 4) | 0, this.dHi);
    }
  }
  /**
   * Loads CS's hidden part from dLo/dHi with the given selector (CPL taken from its RPL). The
   * accessed bit is not written back here, as QEMU (the differential oracle) does not either.
   */
  loadCsFromDesc(selector: number): void {
    this.setSegCache(CS, selector, descBase(this.dLo, this.dHi), descLimit(this.dLo, this.dHi), this.dHi & 0xf0ff00, true);
  }

  /**
   * mov/pop/lds... to a data segment register or SS, with the manual's checks
   * (#GP(0) for a null SS, #GP(sel) for type/privilege, #NP or #SS(sel) when not present).
   */
  loadSeg(seg: number, selector: number): void {
    selector &= 0xffff;
    if (!(this.cr0 & 1)) {
      this.setSegCache(seg, selector, selector << 4, 0xffff, AR_P | AR_S | AR_WRITABLE | AR_ACCESSED, true);
      return;
    }
    const rpl = selector & 3;
    if (seg === SS) {
      if (!(selector & 0xfffc)) throw new CpuFault(GP, 0, true);
      this.readDescriptor(selector);
      const hi = this.dHi;
      if (rpl !== this.cpl || descDpl(hi) !== this.cpl || !(hi & AR_S) || (hi & AR_CODE) || !(hi & AR_WRITABLE)) {
        throw new CpuFault(GP, selector & 0xfffc, true);
      }
      if (!(hi & AR_P)) throw new CpuFault(SS_VEC, selector & 0xfffc, true);
    } else {
      if (!(selector & 0xfffc)) {
        this.setSegCache(seg, selector, 0, 0, 0, false);
        return;
      }
      this.readDescriptor(selector);
      const hi = this.dHi;
      const dpl = descDpl(hi);
      if (!(hi & AR_S) || ((hi & AR_CODE) && !(hi & AR_WRITABLE))) throw new CpuFault(GP, selector & 0xfffc, true);
      const conformingCode = (hi & AR_CODE) && (hi & AR_EXPDOWN);
      if (!conformingCode && (rpl > dpl || this.cpl > dpl)) throw new CpuFault(GP, selector & 0xfffc, true);
      if (!(hi & AR_P)) throw new CpuFault(NP, selector & 0xfffc, true);
    }
    this.markAccessed();
    this.setSegCache(seg, selector, descBase(this.dLo, this.dHi), descLimit(this.dLo, this.dHi), this.dHi & 0xf0ff00, true);
  }

  /** After a return to an outer ring: data segment registers the new CPL may not use become null. */
  nullInaccessibleSegs(): void {
    for (const seg of [ES, DS, FS, GS]) {
      if (!this.segValid[seg]) continue;
      const ar = this.segAr[seg]!;
      const dpl = (ar >> 13) & 3;
      const dataOrNonConf = !(ar & AR_CODE) || !(ar & AR_EXPDOWN);
      if (dataOrNonConf && dpl < this.cpl) this.setSegCache(seg, 0, 0, 0, 0, false);
    }
  }

  /** Reads the ring-n stack (SS, ESP) from the 32-bit TSS into dLo (ESP) and dHi (SS). */
  readTssStack(n: number): void {
    const off = 4 + n * 8;
    if (off + 5 > this.trLimit) throw new CpuFault(TS, this.trSel & 0xfffc, true);
    const esp = this.sysRd32((this.trBase + off) | 0);
    const ss = this.sysRd16((this.trBase + off + 4) | 0);
    this.dLo = esp;
    this.dHi = ss;
  }
}
