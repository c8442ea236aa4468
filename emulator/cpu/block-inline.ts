// JavaScript source for the common ModRM data instructions of any operand size, written into a
// compiled block (see blocks.ts) instead of a call to the generic handler. Each form performs the
// same steps in the same order as its handler in execute-alu.ts (register and memory reads
// through the same CPU methods, flags through the same setAdd/setSub/setLogic/setIncDec calls),
// specialised on the decoded operands, so V8 sees straight-line code with constant register
// numbers and sizes instead of the handler's branches on size and mod. Aligned dword and byte
// loads and stores that hit the TLB are written out too (the same entry test and hit count as
// mmu.ts's rd32/wr32/rd8/wr8, which every other case still calls), since a long block is past
// V8's inlining budget and would otherwise make a call per access.
import type { Insn } from './decode.ts';
import * as A from './execute-alu.ts';
import { TLB_COLD, TLB_USER, TLB_VALID, COLD_LINE_SHIFT } from './mmu.ts';

/** What a form leaves in the block's locals for a following jcc (see blocks.ts). */
export type InlineFlags = 'sub' | 'logic' | 'incdec' | 'add' | null;

export interface InlineForm {
  code: string;
  mayFault: boolean;
  flags: InlineFlags;
  /** Its only calls are the slow paths of loadStmt, storeStmt and linExpr, which store cpu.eip themselves (setSlowEip). */
  selfEip?: boolean;
  /** It changes neither EFLAGS nor the block's flag locals (a move), so what the block knew of the flags still holds after it. */
  keepsFlags?: boolean;
}

// The lazy-flag records of flags.ts (CpuRegs.setAdd, setSub, setLogic, setIncDec, setSZP) written
// out as the same field stores, so a long block does not spend V8's inlining budget on them.
const ARITH = 0x8d5; // CF|PF|AF|ZF|SF|OF (flags.ts)
/** setAdd (sub false) or setSub (sub true) of locals a, b, result s, carry-in expression cin. */
export function lazyArith(sub: boolean, a: string, b: string, s: string, size: number, cin: string): string {
  return `cpu.lOp = ${sub ? 1 : 0}; cpu.lA = ${a}; cpu.lB = ${b}; cpu.lRes = ${s}; cpu.lSize = ${size}; cpu.lCin = ${cin}; cpu.lazy = ${ARITH};`;
}
/** setLogic of result s. */
export function lazyLogic(s: string, size: number): string {
  return `cpu.lOp = 2; cpu.lRes = ${s}; cpu.lSize = ${size}; cpu.lazy = ${ARITH};`;
}
/**
 * setIncDec of operand a and result s: CF is kept (computed from the pending record first). After
 * an instruction whose record already holds CF in cpu.flags (inc, dec, a shift or multiply: the
 * block's 'incdec' knowledge) that store would write the bit it reads, so it is left out; after an
 * add, sub or logic operation of the block the carry comes from its locals (carryExpr).
 */
export function lazyIncDec(a: string, s: string, size: number, dec: boolean): string {
  const keep = prevFlags === 'incdec' ? '' : `{ const $c = ${carryExpr()}; cpu.flags = (cpu.flags & -2) | $c; } `;
  return `${keep}cpu.lOp = ${dec ? 1 : 0}; cpu.lA = ${a}; cpu.lB = 1; cpu.lRes = ${s}; cpu.lSize = ${size}; cpu.lCin = 0; cpu.lazy = ${ARITH & ~1};`;
}
/** setSZP of result s with the boolean expressions cf and of (evaluated first, as call arguments are). */
export function lazySZP(s: string, size: number, cf: string, of: string): string {
  return `{ const $cf = ${cf}, $of = ${of}; cpu.lOp = 2; cpu.lRes = ${s}; cpu.lSize = ${size}; cpu.lazy = 0xc4; cpu.flags = (cpu.flags & ~0x811) | ($cf ? 1 : 0) | ($of ? 0x800 : 0); }`;
}

/**
 * The EIP of the instruction being emitted when its form stores cpu.eip only on its slow paths
 * (the segment check and the rdN/wrN calls, the only places it can fault or reach a device), or
 * null when the block stores it before the instruction (see blocks.ts emitBody). The TLB-hit
 * paths touch only RAM with no fault, so nothing can observe cpu.eip there.
 */
let slowEip: number | null = null;
export function setSlowEip(eip: number | null): void { slowEip = eip; }
/**
 * What the previous instruction of the block left in the block's locals (see blocks.ts emitBody),
 * so that adc and sbb read the carry from them instead of computing it from the lazy record
 * (CpuRegs.getCF): after a 32-bit add or adc ('add') fa, fr and fc hold the record's lA, lRes and
 * lCin; after sub or cmp ('sub') fa and fb its lA and lB, carry-in 0; after a logic operation the
 * carry is 0. The record is still written in full for every later reader.
 */
let prevFlags: InlineFlags = null;
export function setPrevFlags(f: InlineFlags): void { prevFlags = f; }
/** The carry as 0 or 1: from the locals where the previous instruction left it, else from the CPU. */
function carryExpr(): string {
  switch (prevFlags) {
    case 'add': return '(fc ? (fr >>> 0) <= (fa >>> 0) : (fr >>> 0) < (fa >>> 0)) ? 1 : 0';
    case 'sub': return '(fa >>> 0) < (fb >>> 0) ? 1 : 0';
    case 'logic': return '0';
    // inc, dec, shifts and imul leave CF in cpu.flags itself, out of the lazy record.
    case 'incdec': return '(cpu.flags & 1)';
    default: return 'cpu.getCF() ? 1 : 0';
  }
}
/** Statement storing the EIP for a slow path, or nothing. */
function eipStmt(): string { return slowEip === null ? '' : `cpu.eip = ${slowEip}; `; }

/** JS expression for the offset of a 32-bit-address ModRM memory operand. */
export function eaExpr(i: Insn): string {
  let e = `${i.disp | 0}`;
  if (i.base >= 0) e = `(${e} + r[${i.base}])`;
  if (i.index >= 0) e = `(${e} + (r[${i.index}] << ${i.scale}))`;
  return `(${e} | 0)`;
}
/** JS expression for the linear address of the memory operand, with the flat-segment fast path. */
export function linExpr(i: Insn, size: number, write: boolean): string {
  const fast = write ? 'segFastW' : 'segFastR';
  const at = slowEip === null ? '' : `cpu.eip = ${slowEip}, `;
  return `(${fast === 'segFastW' ? '$sfw' : '$sfr'}[${i.seg}] ? ${eaExpr(i)} : (${at}cpu.segCheck(${i.seg}, ${eaExpr(i)}, ${size}, ${write})))`;
}

/** Register n of `size` bytes, zero-extended (getReg). */
function regGet(size: number, n: number): string {
  if (size === 4) return `r[${n}]`;
  if (size === 2) return `(r[${n}] & 0xffff)`;
  return n < 4 ? `(r[${n}] & 0xff)` : `((r[${n - 4}] >> 8) & 0xff)`;
}
/** Statement storing the value of local `v` in register n of `size` bytes (setReg). */
function regSet(size: number, n: number, v: string): string {
  if (size === 4) return `r[${n}] = ${v};`;
  if (size === 2) return `r[${n}] = (r[${n}] & ~0xffff) | (${v} & 0xffff);`;
  return n < 4 ? `r[${n}] = (r[${n}] & ~0xff) | (${v} & 0xff);` : `r[${n - 4}] = (r[${n - 4}] & ~0xff00) | ((${v} & 0xff) << 8);`;
}
const RD = ['', 'rd8', 'rd16', '', 'rd32'];
const WR = ['', 'wr8', 'wr16', '', 'wr32'];
/**
 * Statement loading `size` bytes at linear address expression `lin` into local `v` (cpu.rdN).
 * Dwords: an aligned address (its physical address is then aligned too) that hits the TLB is
 * read from ram32 here (in a loop function any dword within the page: setWideLoads); anything
 * else goes to rd32, which counts its own hit or miss.
 */
export function loadStmt(size: number, lin: string, v: string): string {
  if (size === 4 && wideLoads) {
    // Through a cache-cold entry (mmu.ts readColdEntry), lines already warm in a page still cold are
    // read here too: readColdEntry would charge nothing, leave the entry cold, count the hit and read.
    const warm = `(($e & ${TLB_COLD}) !== 0 && ($n === ${TLB_VALID} || ($e & ${TLB_USER}) !== 0) && $cip[$p >>> 12] !== 0 && $cl[$p >>> ${COLD_LINE_SHIFT}] === 0 && $cl[($p + 3) >>> ${COLD_LINE_SHIFT}] === 0)`;
    return `{ const $l = ${lin}, $e = $tr[$l >>> 12], $n = cpu.tlbNeed, $p = (($e & ~0xfff) | ($l & 0xfff)) >>> 0; if (($l & 0xfff) < 0xffd && (($e & $n) === $n || ${warm})) { $stats.tlbHits++; ${v} = ($p & 3) === 0 ? $r32[$p >>> 2] : $r8[$p] | ($r8[$p + 1] << 8) | ($r8[$p + 2] << 16) | ($r8[$p + 3] << 24); } else { ${eipStmt()}${v} = cpu.rd32($l); } }`;
  }
  if (size === 4) {
    return `{ const $l = ${lin}, $e = $tr[$l >>> 12], $n = cpu.tlbNeed; if (($e & $n) === $n && ($l & 3) === 0) { $stats.tlbHits++; ${v} = $r32[(($e & ~0xfff) | ($l & 0xfff)) >>> 2]; } else { ${eipStmt()}${v} = cpu.rd32($l); } }`;
  }
  if (size === 1) {
    return `{ const $l = ${lin}, $e = $tr[$l >>> 12], $n = cpu.tlbNeed; if (($e & $n) === $n) { $stats.tlbHits++; ${v} = $r8[($e & ~0xfff) | ($l & 0xfff)]; } else { ${eipStmt()}${v} = cpu.rd8($l); } }`;
  }
  return `${eipStmt()}${v} = cpu.${RD[size]}(${lin});`;
}
/**
 * Whether dword loads also take any dword within the page inline (rd32's whole hot path: an
 * unaligned one assembled from bytes, and warm lines through a cache-cold entry), set while a
 * loop function is emitted (blocks.ts generateHot). The guest's checksum loop reads a frame's
 * payload 2 bytes past a dword, received ones from pages the NIC keeps cold; other blocks keep
 * the shorter form, since every load's code adds to V8's compile time.
 */
let wideLoads = false;
export function setWideLoads(on: boolean): void { wideLoads = on; }
/** Statement storing JS expression `val` (evaluated once, after the address) at `lin` (cpu.wrN). */
export function storeStmt(size: number, lin: string, val: string): string {
  if (size === 4) {
    return `{ const $l = ${lin}, $v = ${val}, $e = $tw[$l >>> 12], $n = cpu.tlbNeed; if (($e & $n) === $n && ($l & 3) === 0) { $stats.tlbHits++; $r32[(($e & ~0xfff) | ($l & 0xfff)) >>> 2] = $v; } else { ${eipStmt()}cpu.wr32($l, $v); } }`;
  }
  if (size === 1) {
    return `{ const $l = ${lin}, $v = ${val}, $e = $tw[$l >>> 12], $n = cpu.tlbNeed; if (($e & $n) === $n) { $stats.tlbHits++; $r8[($e & ~0xfff) | ($l & 0xfff)] = $v; } else { ${eipStmt()}cpu.wr8($l, $v); } }`;
  }
  return `${eipStmt()}cpu.${WR[size]}(${lin}, ${val});`;
}
/**
 * Statement pushing the dword of JS expression `val` (cpu.push32): with a flat 32-bit stack the
 * store goes through storeStmt at ESP - 4, and ESP moves after it, as in push32; otherwise push32.
 */
export function pushStmt(val: string): string {
  return `{ const $pv = ${val}; if ($sfw[2] && cpu.stack32 === true) { const $sp = (r[4] - 4) | 0; ${storeStmt(4, '$sp', '$pv')} r[4] = $sp; } else { ${eipStmt()}cpu.push32($pv); } }`;
}
/** Statement popping a dword into local `v` (cpu.pop32): ESP moves after the load, as in pop32. */
export function popStmt(v: string): string {
  return `if ($sfr[2] && cpu.stack32 === true) { const $sp = r[4]; ${loadStmt(4, '$sp', v)} r[4] = $sp + 4; } else { ${eipStmt()}${v} = cpu.pop32(); }`;
}

/** Statement declaring local `v` holding the ModRM operand E of `size` bytes (readE). */
function readE(i: Insn, size: number, v: string): string {
  return i.mod === 3 ? `let ${v} = ${regGet(size, i.rm)};` : `let ${v} = 0; ${loadStmt(size, linExpr(i, size, false), v)}`;
}
function trunc(size: number, e: string): string {
  return size === 4 ? `((${e}) | 0)` : `((${e}) & ${size === 2 ? 0xffff : 0xff})`;
}

/** The ALU operation op on locals a and b into local s with its flags (execute-alu.ts alu()). */
function aluCode(op: number, size: number): string {
  switch (op) {
    case 0: return `s = ${trunc(size, 'a + b')}; ${lazyArith(false, 'a', 'b', 's', size, '0')}${size === 4 ? ' fc = 0;' : ''}`;
    case 1: return `s = ${trunc(size, 'a | b')}; ${lazyLogic('s', size)}`;
    case 2: return `{ const c = ${carryExpr()}; s = ${trunc(size, 'a + b + c')}; ${lazyArith(false, 'a', 'b', 's', size, 'c')}${size === 4 ? ' fc = c;' : ''} }`;
    case 3: return `{ const c = ${carryExpr()}; s = ${trunc(size, 'a - b - c')}; ${lazyArith(true, 'a', 'b', 's', size, 'c')} }`;
    case 4: return `s = ${trunc(size, 'a & b')}; ${lazyLogic('s', size)}`;
    case 6: return `s = ${trunc(size, 'a ^ b')}; ${lazyLogic('s', size)}`;
    default: return `s = ${trunc(size, 'a - b')}; ${lazyArith(true, 'a', 'b', 's', size, '0')}`;
  }
}
/** What a following jcc may take from the locals after op (32-bit operations only). */
function aluFlags(op: number, size: number): InlineFlags {
  if (size !== 4) return null;
  return op === 5 || op === 7 ? 'sub' : op === 1 || op === 4 || op === 6 ? 'logic' : op === 0 || op === 2 ? 'add' : null;
}
function track(flags: InlineFlags): string {
  // 'add': aluCode sets fc (0 for add, the carry-in for adc).
  return flags === 'sub' ? ' fa = a; fb = b; fr = s;' : flags === 'logic' ? ' fr = s;' : flags === 'add' ? ' fa = a; fr = s;' : '';
}

/**
 * A read-modify-write of the memory operand of `size` bytes (rdW, then wrN at the same address):
 * `body` computes local s from local a, `after` follows the store. Aligned dwords and bytes whose
 * write-TLB entry hits are read and written in RAM here, each access counting its TLB hit as
 * rdW and wrN do; anything else calls them (the store may then hit what the read filled).
 */
function rmw(i: Insn, size: number, body: string, after: string): { code: string; selfEip: boolean } {
  const lin = linExpr(i, size, true);
  if (size === 2) return { code: `{ const l = ${lin}, a = cpu.rdW(l, 2); let s; ${body} cpu.wr16(l, s);${after} }`, selfEip: false };
  const hit = size === 4 ? '($e & $n) === $n && (l & 3) === 0' : '($e & $n) === $n';
  const at = size === 4 ? '(($e & ~0xfff) | (l & 0xfff)) >>> 2' : '($e & ~0xfff) | (l & 0xfff)';
  const ram = size === 4 ? '$r32' : '$r8';
  return {
    code: `{ const l = ${lin}, $e = $tw[l >>> 12], $n = cpu.tlbNeed, $h = ${hit}, $p = ${at}; let a, s; ` +
      `if ($h) { $stats.tlbHits++; a = ${ram}[$p]; } else { ${eipStmt()}a = cpu.rdW(l, ${size}); } ${body} ` +
      `if ($h) { $stats.tlbHits++; ${ram}[$p] = s; } else { ${eipStmt()}cpu.${WR[size]}(l, s); }${after} }`,
    selfEip: true,
  };
}

/** op E,b where b is a JS expression (aluEG, aluEI): register, compare-only or read-modify-write memory. */
function aluE(i: Insn, op: number, size: number, b: string): InlineForm {
  const flags = aluFlags(op, size);
  if (i.mod === 3) {
    return { code: `{ const b = ${b}, a = ${regGet(size, i.rm)}; let s; ${aluCode(op, size)}${op !== 7 ? ` ${regSet(size, i.rm, 's')}` : ''}${track(flags)} }`, mayFault: false, flags };
  }
  if (op === 7) {
    return { code: `{ const b = ${b}; let a = 0; ${loadStmt(size, linExpr(i, size, false), 'a')} let s; ${aluCode(op, size)}${track(flags)} }`, mayFault: true, flags, selfEip: true };
  }
  const m = rmw(i, size, aluCode(op, size), track(flags));
  return { code: `{ const b = ${b}; ${m.code} }`, mayFault: true, flags, selfEip: m.selfEip };
}

/** The body of shl/shr/sar (op, the ModRM reg field) of local a by count expression c - 1 = cm1, into s; null for rotates. */
function shiftBody(op: number, cm1: string): string | null {
  switch (op) {
    case 4: case 6: return `const t = a << ${cm1}, s = t << 1; ${lazySZP('s', 4, '((t >>> 31) & 1) !== 0', '((t ^ s) & 0x80000000) !== 0')}`;
    case 5: return `const t = a >>> ${cm1}, s = (t >>> 1) | 0; ${lazySZP('s', 4, '(t & 1) !== 0', '((t ^ s) & 0x80000000) !== 0')}`;
    case 7: return `const t = a >> ${cm1}, s = t >> 1; ${lazySZP('s', 4, '(t & 1) !== 0', 'false')}`;
    default: return null;
  }
}
/** shl/shr/sar of a 32-bit register by a constant count (execute-alu.ts shift(), same flags). */
function shiftReg32(i: Insn, count: number): InlineForm | null {
  const c = count & 0x1f, n = i.rm;
  if (c === 0) return { code: '', mayFault: false, flags: null, keepsFlags: true };
  const body = shiftBody(i.reg, `${c - 1}`);
  if (body === null) return null;
  // setSZP leaves SF and ZF to the result, as inc/dec do: a following jcc on them reads fr.
  return { code: `{ const a = r[${n}]; ${body} r[${n}] = s; fr = s; }`, mayFault: false, flags: 'incdec' };
}
/**
 * The same by CL (shiftECL): a count of 0 changes nothing, not even the flags, so what a
 * following jcc may read depends on ECX and the block knows nothing of the flags after it.
 */
function shiftRegCL32(i: Insn): InlineForm | null {
  const body = shiftBody(i.reg, '($c - 1)'), n = i.rm;
  if (body === null) return null;
  return { code: `{ const $c = r[1] & 0x1f; if ($c !== 0) { const a = r[${n}]; ${body} r[${n}] = s; } }`, mayFault: false, flags: null };
}
/**
 * imul of 32-bit locals a and b into register reg (execute-alu.ts imulTrunc): its cycles, the
 * truncated product, CF = OF = the product does not fit (the double product is exact below 2^53
 * and cannot equal the 32-bit one above), SF, ZF and PF from the result through setSZP.
 */
function imul32(reg: number): string {
  return `cpu.cycles += cpu.costs.imul; const lo = Math.imul(a, b), ov = (a | 0) * (b | 0) !== lo; ${lazySZP('lo', 4, 'ov', 'ov')} r[${reg}] = lo; fr = lo;`;
}

/** cmov of 32 bits (execute-alu.ts cmov): the source is read, and may fault, whatever the condition, JS expression cond. */
export function cmovForm(i: Insn, cond: string): InlineForm | null {
  if (!i.as32 || i.os !== 4) return null;
  return { code: `{ ${readE(i, 4, 'v')} if (${cond}) r[${i.reg}] = v; }`, mayFault: i.mod !== 3, flags: null, selfEip: true, keepsFlags: true };
}
/** setcc (execute-alu.ts setcc): 1 or 0 by JS expression cond into a byte register or memory. */
export function setccForm(i: Insn, cond: string): InlineForm | null {
  if (!i.as32) return null;
  if (i.mod === 3) return { code: `{ const v = (${cond}) ? 1 : 0; ${regSet(1, i.rm, 'v')} }`, mayFault: false, flags: null, keepsFlags: true };
  return { code: `{ const $c = (${cond}) ? 1 : 0; ${storeStmt(1, linExpr(i, 1, true), '$c')} }`, mayFault: true, flags: null, selfEip: true, keepsFlags: true };
}

/**
 * The inline form of a 32-bit-address instruction, or null when the block should call the
 * handler. Only forms whose handlers are plain data operations are covered.
 */
export function inlineForm(i: Insn): InlineForm | null {
  const h = i.exec, size = i.os;
  if (!i.as32 || (size !== 1 && size !== 2 && size !== 4)) return null;
  const mem = i.mod !== 3;
  if (h === A.aluEG) return aluE(i, (i.op >> 3) & 7, size, regGet(size, i.reg));
  if (h === A.aluEI) return aluE(i, i.reg, size, `${size === 4 ? i.imm | 0 : i.imm & (size === 2 ? 0xffff : 0xff)}`);
  if (h === A.aluGE) {
    const op = (i.op >> 3) & 7, flags = aluFlags(op, size);
    return {
      code: `{ ${readE(i, size, 'b')} const a = ${regGet(size, i.reg)}; let s; ${aluCode(op, size)}${op !== 7 ? ` ${regSet(size, i.reg, 's')}` : ''}${track(flags)} }`,
      mayFault: mem, flags, selfEip: true,
    };
  }
  if (h === A.aluRI32) return aluE(i, i.reg, 4, `${i.imm | 0}`);
  if (h === A.group3 && i.reg <= 1) {
    const flags: InlineFlags = size === 4 ? 'logic' : null;
    return { code: `{ ${readE(i, size, 'e')} const s = ${trunc(size, `e & ${i.imm | 0}`)}; ${lazyLogic('s', size)}${flags ? ' fr = s;' : ''} }`, mayFault: mem, flags, selfEip: true };
  }
  if (h === A.aluAI) {
    const op = (i.op >> 3) & 7, flags = aluFlags(op, size);
    const b = size === 4 ? i.imm | 0 : i.imm & (size === 2 ? 0xffff : 0xff);
    return { code: `{ const b = ${b}, a = ${regGet(size, 0)}; let s; ${aluCode(op, size)}${op !== 7 ? ` ${regSet(size, 0, 's')}` : ''}${track(flags)} }`, mayFault: false, flags };
  }
  if (h === A.testEG) {
    const flags: InlineFlags = size === 4 ? 'logic' : null;
    return { code: `{ ${readE(i, size, 'e')} const s = e & ${regGet(size, i.reg)}; ${lazyLogic('s', size)}${flags ? ' fr = s;' : ''} }`, mayFault: mem, flags, selfEip: true };
  }
  if (h === A.testAI) {
    const flags: InlineFlags = size === 4 ? 'logic' : null;
    return { code: `{ const s = ${trunc(size, `${regGet(size, 0)} & ${i.imm | 0}`)}; ${lazyLogic('s', size)}${flags ? ' fr = s;' : ''} }`, mayFault: false, flags };
  }
  if (h === A.movEG) {
    if (!mem) return { code: `{ const v = ${regGet(size, i.reg)}; ${regSet(size, i.rm, 'v')} }`, mayFault: false, flags: null, keepsFlags: true };
    return { code: storeStmt(size, linExpr(i, size, true), regGet(size, i.reg)), mayFault: true, flags: null, selfEip: true, keepsFlags: true };
  }
  if (h === A.movGE) return { code: `{ ${readE(i, size, 'v')} ${regSet(size, i.reg, 'v')} }`, mayFault: mem, flags: null, selfEip: true, keepsFlags: true };
  if (h === A.movEI) {
    if (!mem) return { code: `{ const v = ${i.imm | 0}; ${regSet(size, i.rm, 'v')} }`, mayFault: false, flags: null, keepsFlags: true };
    return { code: storeStmt(size, linExpr(i, size, true), `${i.imm | 0}`), mayFault: true, flags: null, selfEip: true, keepsFlags: true };
  }
  if (h === A.movzxsx) {
    const src = i.op & 1 ? 2 : 1;
    const sx = i.op >= 0x1be ? (src === 1 ? ' v = (v << 24) >> 24;' : ' v = (v << 16) >> 16;') : '';
    return { code: `{ ${readE(i, src, 'v')}${sx} ${regSet(size, i.reg, 'v')} }`, mayFault: mem, flags: null, selfEip: true, keepsFlags: true };
  }
  if (h === A.incDecE) {
    const dec = i.reg === 1, flags: InlineFlags = size === 4 ? 'incdec' : null;
    const body = `s = ${trunc(size, dec ? 'a - 1' : 'a + 1')}; ${lazyIncDec('a', 's', size, dec)}${flags ? ' fr = s;' : ''}`;
    if (!mem) return { code: `{ const a = ${regGet(size, i.rm)}; let s; ${body} ${regSet(size, i.rm, 's')} }`, mayFault: false, flags };
    const m = rmw(i, size, body, '');
    return { code: m.code, mayFault: true, flags, selfEip: m.selfEip };
  }
  if ((h === A.shiftEI || h === A.shiftE1) && !mem && size === 4) return shiftReg32(i, h === A.shiftE1 ? 1 : i.imm);
  if (h === A.shiftECL && !mem && size === 4) return shiftRegCL32(i);
  // imul: setSZP leaves SF and ZF to the result (fr) and CF in cpu.flags, as a shift does.
  if (h === A.imulGEI && size === 4) return { code: `{ ${readE(i, 4, 'a')} const b = ${i.imm | 0}; ${imul32(i.reg)} }`, mayFault: mem, flags: 'incdec', selfEip: true };
  if (h === A.imulGE && size === 4) return { code: `{ const a = r[${i.reg}]; ${readE(i, 4, 'b')} ${imul32(i.reg)} }`, mayFault: mem, flags: 'incdec', selfEip: true };
  if (h === A.group3 && i.reg === 2 && !mem) return { code: `{ const v = ~${regGet(size, i.rm)}; ${regSet(size, i.rm, 'v')} }`, mayFault: false, flags: null, keepsFlags: true };
  return null;
}
