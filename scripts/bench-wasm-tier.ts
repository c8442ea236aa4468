// `npm run bench:wasm-tier [-- --blocks N --rounds N]`: what a WebAssembly tier for compiled blocks
// would cost and give, measured before building one (emulator/README.md, "What is left"). The
// same seeded block shapes (register moves, dword loads and stores through a TLB entry test, an
// add and a sub writing the lazy flag record, a balanced push and pop, calls of a TypeScript
// handler as for an instruction the generator leaves to one, a compare-and-branch exit)
// are written out twice: as JavaScript in the style of cpu/blocks.ts (the CPU's state in object
// fields and typed arrays) and as WebAssembly functions over one shared memory (the state at
// fixed offsets), 16 functions to a module as blocks of one code page would be, and a third time
// as x86 code that this emulator's CPU runs (flat, paging off, the CPU unit tests' machine), each
// block jumping to the next, as a measure of the tiers there are today. Each copy runs in a child
// process of its own (WebAssembly twice: with V8's tier-up to TurboFan, and Liftoff only): it
// builds every block, then calls each block once per round for N rounds, and N rounds again. It
// prints, per block, the compile time (source or module bytes to callable code; this script's
// encoder is not the measure, so its time is printed apart), and, per block call, the host CPU of
// the first N rounds with the compile and every later compile included (background threads too)
// and of the next N. A Linux guest runs tens of thousands of blocks a few hundred to
// a few thousand times each (emulator/README.md step 13), so the first figure at N = 1,000 is the
// one that decides. The children check that they end in the same registers (and the two that keep
// the lazy flag record in the same form, the same record). Host figures only.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { loadavg } from 'node:os';
import { Cpu } from '../emulator/cpu/cpu.ts';
// The CPU unit tests' bare bus, cost table and GNU as wrapper: the same flat machine they run.
import { assemble, TestBus, noInterrupts, unitCosts } from '../test/emulator/cpu-harness.ts';

// ---- the block shapes ----------------------------------------------------------------------

type Op =
  | { k: 'movRR'; d: number; s: number }
  | { k: 'movRI'; d: number; imm: number }
  | { k: 'load'; d: number; b: number; disp: number }
  | { k: 'store'; b: number; disp: number; s: number }
  | { k: 'add'; d: number; s: number }
  | { k: 'subI'; d: number; imm: number }
  | { k: 'push'; s: number }
  | { k: 'pop'; d: number }
  | { k: 'helper'; d: number };
interface Shape { ops: Op[]; cost: number; cmpReg: number; cmpImm: number }

/** Destinations: EAX, ECX, EDX, EBX, EDI. Memory bases (never written): EBP, ESI. */
const DEST = [0, 1, 2, 3, 7];
const BASE = [5, 6];
const ESP = 4;

/** A small deterministic generator (xorshift32), so that every child builds the same blocks. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
}

function shapes(n: number): Shape[] {
  const next = rng(0x2005);
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length]!;
  const out: Shape[] = [];
  for (let b = 0; b < n; b++) {
    const ops: Op[] = [];
    const len = 6 + (next() % 6);
    let pushed = -1;
    for (let k = 0; k < len; k++) {
      switch (next() % 9) {
        case 0: ops.push({ k: 'movRR', d: pick(DEST), s: pick([...DEST, ...BASE]) }); break;
        case 1: ops.push({ k: 'movRI', d: pick(DEST), imm: next() | 0 }); break;
        case 2: case 3: ops.push({ k: 'load', d: pick(DEST), b: pick(BASE), disp: (next() % 1024) * 4 }); break;
        case 4: ops.push({ k: 'store', b: pick(BASE), disp: 4096 + (next() % 1024) * 4, s: pick(DEST) }); break;
        case 5: ops.push({ k: 'add', d: pick(DEST), s: pick(DEST) }); break;
        case 6: ops.push({ k: 'subI', d: pick(DEST), imm: next() % 4096 }); break;
        case 7: ops.push({ k: 'helper', d: pick(DEST) }); break;
        default:
          if (pushed < 0) { pushed = pick(DEST); ops.push({ k: 'push', s: pushed }); } else { ops.push({ k: 'pop', d: pick(DEST) }); pushed = -1; }
      }
    }
    if (pushed >= 0) ops.push({ k: 'pop', d: pick(DEST) });
    out.push({ ops, cost: ops.length * 2 + (next() % 7), cmpReg: pick(DEST), cmpImm: next() | 0 });
  }
  return out;
}

// ---- the machine state both backends share -------------------------------------------------

/** Byte offsets in the WebAssembly memory (the JavaScript backend keeps the same state in fields). */
const S_R = 0; // eight registers
const S_LOP = 32, S_LA = 36, S_LB = 40, S_LRES = 44, S_LSIZE = 48, S_LCIN = 52, S_LAZY = 56;
const S_EIP = 60;
const S_CYCLES = 64; // f64
const TLB = 0x1000; // 2^20 entries of 4 bytes
const RAM = TLB + (1 << 22);
const RAM_BYTES = 16 << 20;
const TLB_VALID = 1;
const ARITH = 0x8d5;
const STACK = 0x00f0_0000; // ESP's start, inside RAM
const DATA = 0x0080_0000; // EBP and ESI's value

// ---- JavaScript, in the style of cpu/blocks.ts ---------------------------------------------

interface JsCpu {
  r: Int32Array; tlbR: Int32Array; ram32: Int32Array;
  lOp: number; lA: number; lB: number; lRes: number; lSize: number; lCin: number; lazy: number;
  cycles: number; eip: number;
  rd32(lin: number): number; wr32(lin: number, v: number): void; helper(d: number): void;
}

function jsLoad(addr: string): string {
  return `{ const $l = ${addr}; const $e = tlb[$l >>> 12]; if (($e & ${TLB_VALID}) !== 0 && ($l & 3) === 0) v = ram32[(($e & -4096) | ($l & 4095)) >>> 2]; else v = cpu.rd32($l); }`;
}
function jsStore(addr: string, val: string): string {
  return `{ const $l = ${addr}; const $e = tlb[$l >>> 12]; if (($e & ${TLB_VALID}) !== 0 && ($l & 3) === 0) ram32[(($e & -4096) | ($l & 4095)) >>> 2] = ${val}; else cpu.wr32($l, ${val}); }`;
}
function jsLazy(sub: boolean, a: string, b: string, s: string): string {
  return `cpu.lOp = ${sub ? 1 : 0}; cpu.lA = ${a}; cpu.lB = ${b}; cpu.lRes = ${s}; cpu.lSize = 4; cpu.lCin = 0; cpu.lazy = ${ARITH};`;
}

function jsSource(sh: Shape, id: number): string {
  const lines = ['const r = cpu.r, tlb = cpu.tlbR, ram32 = cpu.ram32; let v = 0;', `cpu.cycles += ${sh.cost};`];
  for (const o of sh.ops) {
    switch (o.k) {
      case 'movRR': lines.push(`r[${o.d}] = r[${o.s}];`); break;
      case 'movRI': lines.push(`r[${o.d}] = ${o.imm};`); break;
      case 'load': lines.push(jsLoad(`(r[${o.b}] + ${o.disp}) | 0`), `r[${o.d}] = v;`); break;
      case 'store': lines.push(jsStore(`(r[${o.b}] + ${o.disp}) | 0`, `r[${o.s}]`)); break;
      case 'add': lines.push(`{ const a = r[${o.d}], b = r[${o.s}], s = (a + b) | 0; r[${o.d}] = s; ${jsLazy(false, 'a', 'b', 's')} }`); break;
      case 'subI': lines.push(`{ const a = r[${o.d}], s = (a - ${o.imm}) | 0; r[${o.d}] = s; ${jsLazy(true, 'a', String(o.imm), 's')} }`); break;
      case 'push': lines.push(`{ const sp = (r[${ESP}] - 4) | 0; ${jsStore('sp', `r[${o.s}]`)} r[${ESP}] = sp; }`); break;
      case 'pop': lines.push(`{ const sp = r[${ESP}]; ${jsLoad('sp')} r[${ESP}] = (sp + 4) | 0; r[${o.d}] = v; }`); break;
      case 'helper': lines.push(`cpu.helper(${o.d});`); break;
    }
  }
  lines.push(`{ const a = r[${sh.cmpReg}], s = (a - ${sh.cmpImm}) | 0; ${jsLazy(true, 'a', String(sh.cmpImm), 's')}`,
    `if ((a >>> 0) < ${sh.cmpImm >>> 0}) { cpu.eip = ${id * 64 + 32}; return 2; } }`,
    `cpu.eip = ${id * 64}; return 1;`);
  return `return function block(cpu) {\n${lines.join('\n')}\n};`;
}

// ---- x86 for this emulator: the blocks chained, run by the CPU itself -------------------------

const REG32 = ['%eax', '%ecx', '%edx', '%ebx', '%esp', '%ebp', '%esi', '%edi'];
/** Where the emulator's copy keeps its round counter, and where its code starts (clear of DATA and STACK). */
const COUNTER = 0x0020_0000;
const CODE = 0x0010_0000;

/**
 * The blocks as one AT&T program: each ends in its compare, a jb and a jmp, both to the next
 * block, so it is one block of the emulator's (a jcc does not end one); the last decrements the
 * round counter and loops, then halts. The handler call becomes xor and add, which leave the
 * same register value.
 */
function x86Source(all: Shape[]): string {
  const lines: string[] = [];
  all.forEach((sh, id) => {
    lines.push(`b${id}:`);
    for (const o of sh.ops) {
      switch (o.k) {
        case 'movRR': lines.push(`movl ${REG32[o.s]}, ${REG32[o.d]}`); break;
        case 'movRI': lines.push(`movl $${o.imm}, ${REG32[o.d]}`); break;
        case 'load': lines.push(`movl ${o.disp}(${REG32[o.b]}), ${REG32[o.d]}`); break;
        case 'store': lines.push(`movl ${REG32[o.s]}, ${o.disp}(${REG32[o.b]})`); break;
        case 'add': lines.push(`addl ${REG32[o.s]}, ${REG32[o.d]}`); break;
        case 'subI': lines.push(`subl $${o.imm}, ${REG32[o.d]}`); break;
        case 'push': lines.push(`pushl ${REG32[o.s]}`); break;
        case 'pop': lines.push(`popl ${REG32[o.d]}`); break;
        case 'helper': lines.push(`xorl $0x5a5a, ${REG32[o.d]}`, `addl $${o.d}, ${REG32[o.d]}`); break;
      }
    }
    lines.push(`cmpl $${sh.cmpImm}, ${REG32[sh.cmpReg]}`, `jb b${id + 1}`, `jmp b${id + 1}`);
  });
  lines.push(`b${all.length}:`, `decl ${COUNTER}`, 'jnz b0', 'hlt');
  return lines.join('\n');
}

// ---- WebAssembly: a minimal binary encoder --------------------------------------------------

function uleb(n: number): number[] {
  const out: number[] = [];
  do { let b = n & 0x7f; n >>>= 7; if (n !== 0) b |= 0x80; out.push(b); } while (n !== 0);
  return out;
}
function sleb(n: number): number[] {
  const out: number[] = [];
  n |= 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
}
function section(id: number, body: number[]): number[] { return [id, ...uleb(body.length), ...body]; }
function vec(items: number[][]): number[] { return [...uleb(items.length), ...items.flat()]; }
function name(s: string): number[] { return [...uleb(s.length), ...Buffer.from(s, 'latin1')]; }

// Opcodes used below.
const I32_CONST = 0x41, I32_LOAD = 0x28, I32_STORE = 0x36, F64_LOAD = 0x2b, F64_STORE = 0x39, F64_CONST = 0x44, F64_ADD = 0xa0;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22, CALL = 0x10, IF = 0x04, ELSE = 0x05, END = 0x0b, RETURN = 0x0f;
const I32_ADD = 0x6a, I32_SUB = 0x6b, I32_AND = 0x71, I32_OR = 0x72, I32_SHR_U = 0x76, I32_LT_U = 0x49, I32_EQZ = 0x45;
const VOID = 0x40, T_I32 = 0x7f;
const mem = (op: number, offset: number): number[] => [op, op === F64_LOAD || op === F64_STORE ? 3 : 2, ...uleb(offset)];
const i32 = (n: number): number[] => [I32_CONST, ...sleb(n)];
const f64 = (x: number): number[] => { const b = Buffer.alloc(8); b.writeDoubleLE(x); return [F64_CONST, ...b]; };
const reg = (n: number): number[] => [...i32(0), ...mem(I32_LOAD, S_R + n * 4)];

/** Locals: 0 lin, 1 e, 2 a, 3 s, 4 v, 5 sp. Imports: 0 rd32(lin) -> v, 1 wr32(lin, v), 2 helper(d). */
const L_LIN = 0, L_E = 1, L_A = 2, L_S = 3, L_V = 4, L_SP = 5;

/** Loads the dword at lin (in L_LIN) into L_V through its TLB entry, or through the slow path. */
/** lin's TLB entry into L_E, then whether the access takes the fast path (valid and aligned) on the stack. */
function wasmEntryTest(): number[] {
  return [
    LOCAL_GET, L_LIN, ...i32(12), I32_SHR_U, ...i32(2), 0x74 /* i32.shl */, ...mem(I32_LOAD, TLB), LOCAL_SET, L_E,
    LOCAL_GET, L_E, ...i32(TLB_VALID), I32_AND, I32_EQZ, LOCAL_GET, L_LIN, ...i32(3), I32_AND, I32_OR, I32_EQZ,
  ];
}
function wasmLoad(): number[] {
  return [
    ...wasmEntryTest(),
    IF, T_I32,
    LOCAL_GET, L_E, ...i32(-4096), I32_AND, LOCAL_GET, L_LIN, ...i32(4095), I32_AND, I32_OR, ...mem(I32_LOAD, RAM),
    ELSE, LOCAL_GET, L_LIN, CALL, 0, END, LOCAL_SET, L_V,
  ];
}
/** Stores the value computed by `val` at lin (in L_LIN). */
function wasmStore(val: number[]): number[] {
  return [
    ...wasmEntryTest(),
    IF, VOID,
    LOCAL_GET, L_E, ...i32(-4096), I32_AND, LOCAL_GET, L_LIN, ...i32(4095), I32_AND, I32_OR, ...val, ...mem(I32_STORE, RAM),
    ELSE, LOCAL_GET, L_LIN, ...val, CALL, 1, END,
  ];
}
const setReg = (n: number, val: number[]): number[] => [...i32(0), ...val, ...mem(I32_STORE, S_R + n * 4)];
const setState = (off: number, val: number[]): number[] => [...i32(0), ...val, ...mem(I32_STORE, off)];
function wasmLazy(sub: boolean, b: number[]): number[] {
  return [...setState(S_LOP, i32(sub ? 1 : 0)), ...setState(S_LA, [LOCAL_GET, L_A]), ...setState(S_LB, b),
    ...setState(S_LRES, [LOCAL_GET, L_S]), ...setState(S_LSIZE, i32(4)), ...setState(S_LCIN, i32(0)), ...setState(S_LAZY, i32(ARITH))];
}

function wasmBody(sh: Shape, id: number): number[] {
  const c: number[] = [...i32(0), ...i32(0), ...mem(F64_LOAD, S_CYCLES), ...f64(sh.cost), F64_ADD, ...mem(F64_STORE, S_CYCLES)];
  for (const o of sh.ops) {
    switch (o.k) {
      case 'movRR': c.push(...setReg(o.d, reg(o.s))); break;
      case 'movRI': c.push(...setReg(o.d, i32(o.imm))); break;
      case 'load': c.push(...reg(o.b), ...i32(o.disp), I32_ADD, LOCAL_SET, L_LIN, ...wasmLoad(), ...setReg(o.d, [LOCAL_GET, L_V])); break;
      case 'store': c.push(...reg(o.b), ...i32(o.disp), I32_ADD, LOCAL_SET, L_LIN, ...wasmStore(reg(o.s))); break;
      case 'add':
        c.push(...reg(o.d), LOCAL_TEE, L_A, ...reg(o.s), I32_ADD, LOCAL_SET, L_S, ...setReg(o.d, [LOCAL_GET, L_S]), ...wasmLazy(false, reg(o.s)));
        break;
      case 'subI':
        c.push(...reg(o.d), LOCAL_TEE, L_A, ...i32(o.imm), I32_SUB, LOCAL_SET, L_S, ...setReg(o.d, [LOCAL_GET, L_S]), ...wasmLazy(true, i32(o.imm)));
        break;
      case 'push':
        c.push(...reg(ESP), ...i32(4), I32_SUB, LOCAL_TEE, L_SP, LOCAL_SET, L_LIN, ...wasmStore(reg(o.s)), ...setReg(ESP, [LOCAL_GET, L_SP]));
        break;
      case 'pop':
        c.push(...reg(ESP), LOCAL_TEE, L_SP, LOCAL_SET, L_LIN, ...wasmLoad(), ...setReg(ESP, [LOCAL_GET, L_SP, ...i32(4), I32_ADD]), ...setReg(o.d, [LOCAL_GET, L_V]));
        break;
      case 'helper': c.push(...i32(o.d), CALL, 2); break;
    }
  }
  c.push(...reg(sh.cmpReg), LOCAL_TEE, L_A, ...i32(sh.cmpImm), I32_SUB, LOCAL_SET, L_S, ...wasmLazy(true, i32(sh.cmpImm)),
    LOCAL_GET, L_A, ...i32(sh.cmpImm), I32_LT_U, IF, VOID, ...setState(S_EIP, i32(id * 64 + 32)), ...i32(2), RETURN, END,
    ...setState(S_EIP, i32(id * 64)), ...i32(1), END);
  const locals = [[...uleb(6), T_I32]];
  const body = [...vec(locals), ...c];
  return [...uleb(body.length), ...body];
}

/** One module: the shared memory, the two slow paths and the handler imported, one exported function per block. */
function wasmModule(blocks: { sh: Shape; id: number }[]): Uint8Array {
  const types = vec([[0x60, ...vec([[T_I32]]), ...vec([[T_I32]])], [0x60, ...vec([[T_I32], [T_I32]]), 0], [0x60, 0, ...vec([[T_I32]])], [0x60, ...vec([[T_I32]]), 0]]);
  const imports = vec([
    [...name('m'), ...name('mem'), 0x02, 0x00, ...uleb(1)],
    [...name('m'), ...name('rd32'), 0x00, ...uleb(0)],
    [...name('m'), ...name('wr32'), 0x00, ...uleb(1)],
    [...name('m'), ...name('helper'), 0x00, ...uleb(3)],
  ]);
  const funcs = vec(blocks.map(() => uleb(2)));
  const exports = vec(blocks.map((b, k) => [...name(`b${b.id}`), 0x00, ...uleb(k + 3)]));
  const code = vec(blocks.map((b) => wasmBody(b.sh, b.id)));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types), ...section(2, imports), ...section(3, funcs), ...section(7, exports), ...section(10, code)]);
}

// ---- a child: one backend ------------------------------------------------------------------

/** The part of WebAssembly's JavaScript API used here (the project's TypeScript libraries declare its types only). */
interface WasmApi {
  Memory: new (d: { initial: number }) => { buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** checksum: the registers at the end; lRes: the lazy flag record's result (the copies that keep one in that form). */
interface ChildResult { build: number; encode: number; cold: number; warm: number; calls: number; checksum: number; lRes: number | null }

function regSum(r: Int32Array): number {
  let sum = 0;
  for (let k = 0; k < 8; k++) sum = (Math.imul(sum, 31) + r[k]!) | 0;
  return sum;
}

function cpuSeconds(): number { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; }

function runChild(backend: string, nBlocks: number, rounds: number): ChildResult {
  const all = shapes(nBlocks);
  const memory = new Wasm.Memory({ initial: Math.ceil((RAM + RAM_BYTES) / 65536) });
  const view = new Int32Array(memory.buffer);
  const tlb = view.subarray(TLB >> 2, (TLB >> 2) + (1 << 20));
  for (let p = 0; p < RAM_BYTES >>> 12; p++) tlb[p] = (p << 12) | TLB_VALID;
  const ram32 = new Int32Array(memory.buffer, RAM, RAM_BYTES >> 2);
  for (let k = 0; k < ram32.length; k++) ram32[k] = Math.imul(k, 0x9e3779b1);
  const r = view.subarray(S_R >> 2, (S_R >> 2) + 8);
  r.set([1, 2, 3, 4, STACK, DATA, DATA + 0x10000, 7]);
  // The slow paths (never taken with these addresses: every access is aligned and mapped).
  const rd32 = (lin: number): number => ram32[(lin & (RAM_BYTES - 1)) >>> 2]!;
  const wr32 = (lin: number, v: number): void => { ram32[(lin & (RAM_BYTES - 1)) >>> 2] = v; };
  // A TypeScript handler the block calls, as a generated block calls one for an instruction it does not write out.
  const helper = (d: number): void => { r[d] = (r[d]! ^ 0x5a5a) + d; };

  if (backend === 'ours') return runOurs(all, rounds);
  const t0 = cpuSeconds();
  let encode = 0;
  let fns: ((cpu: JsCpu) => number)[] | (() => number)[];
  let jsCpu: JsCpu | null = null;
  if (backend === 'js') {
    // cycles starts as a double, as the CPU's does (clock.ts WIDE_COUNT).
    jsCpu = { r, tlbR: tlb, ram32, lOp: 0, lA: 0, lB: 0, lRes: 0, lSize: 0, lCin: 0, lazy: 0, cycles: 2 ** 40, eip: 0, rd32, wr32, helper };
    jsCpu.cycles = 0;
    fns = all.map((sh, id) => new Function(jsSource(sh, id))() as (cpu: JsCpu) => number);
  } else {
    const made: (() => number)[] = [];
    for (let first = 0; first < all.length; first += 16) {
      const group = all.slice(first, first + 16).map((sh, k) => ({ sh, id: first + k }));
      const e0 = cpuSeconds();
      const bytes = wasmModule(group);
      encode += cpuSeconds() - e0;
      const inst = new Wasm.Instance(new Wasm.Module(bytes), { m: { mem: memory, rd32, wr32, helper } });
      for (const g of group) made.push(inst.exports[`b${g.id}`] as () => number);
    }
    fns = made;
  }
  const build = cpuSeconds() - t0;
  const pass = (): number => {
    const c0 = cpuSeconds();
    if (jsCpu !== null) {
      const f = fns as ((cpu: JsCpu) => number)[];
      const cpu = jsCpu;
      for (let k = 0; k < rounds; k++) for (let b = 0; b < f.length; b++) f[b]!(cpu);
    } else {
      const f = fns as (() => number)[];
      for (let k = 0; k < rounds; k++) for (let b = 0; b < f.length; b++) f[b]!();
    }
    return cpuSeconds() - c0;
  };
  const cold = pass();
  const warm = pass();
  return { build, encode, cold, warm, calls: rounds * all.length, checksum: regSum(r), lRes: jsCpu !== null ? jsCpu.lRes : view[S_LRES >> 2]! };
}

/** The blocks on this emulator's CPU (flat, paging off, unit costs), N rounds twice. */
function runOurs(all: Shape[], rounds: number): ChildResult {
  const code = assemble(x86Source(all), CODE);
  const bus = new TestBus(RAM_BYTES);
  const ram32 = new Int32Array(bus.ram.buffer, 0, RAM_BYTES >> 2);
  for (let k = 0; k < ram32.length; k++) ram32[k] = Math.imul(k, 0x9e3779b1);
  bus.ram.set(code, CODE);
  const t0 = cpuSeconds();
  const cpu = new Cpu(bus, noInterrupts, unitCosts());
  cpu.resetForMultiboot(CODE, 0, 0);
  cpu.r.set([1, 2, 3, 4, STACK, DATA, DATA + 0x10000, 7]);
  const build = cpuSeconds() - t0;
  const pass = (): number => {
    ram32[COUNTER >> 2] = rounds;
    cpu.eip = CODE;
    cpu.halted = false;
    const c0 = cpuSeconds();
    while (cpu.run(cpu.cycles + 1e9) !== 'halt') { /* until the hlt after the last round */ }
    return cpuSeconds() - c0;
  };
  const cold = pass();
  const warm = pass();
  return { build, encode: 0, cold, warm, calls: rounds * all.length, checksum: regSum(cpu.r), lRes: null };
}

// ---- the parent ----------------------------------------------------------------------------

const { values, positionals } = parseArgs({
  options: { blocks: { type: 'string', default: '2048' }, rounds: { type: 'string', default: '1000' } },
  allowPositionals: true,
});
const nBlocks = Number(values.blocks), rounds = Number(values.rounds);
if (!Number.isSafeInteger(nBlocks) || nBlocks <= 0 || !Number.isSafeInteger(rounds) || rounds <= 0) {
  process.stderr.write(`bench-wasm-tier: --blocks '${values.blocks}' --rounds '${values.rounds}': expected positive whole numbers\n` +
    'usage: npm run bench:wasm-tier -- [--blocks N (default 2048)] [--rounds N (default 1000)]\n');
  process.exit(2);
}
if (positionals[0] === 'child') {
  process.stdout.write(JSON.stringify(runChild(positionals[1]!, nBlocks, rounds)) + '\n');
} else {
  const self = fileURLToPath(import.meta.url);
  const load0 = loadavg()[0]!;
  const runs: [string, string, string[]][] = [
    ['JavaScript', 'js', []],
    ['WebAssembly', 'wasm', []],
    ['Liftoff only', 'wasm', ['--liftoff-only']],
    ['this emulator', 'ours', []],
  ];
  const res: ChildResult[] = [];
  for (const [, backend, flags] of runs) {
    const r = await execa(process.execPath, [...flags, '--import', 'tsx', self, 'child', backend, '--blocks', String(nBlocks), '--rounds', String(rounds)]);
    res.push(JSON.parse(r.stdout) as ChildResult);
  }
  const us = (s: number): string => `${((s / nBlocks) * 1e6).toFixed(1)} us`;
  const ns = (s: number, calls: number): string => `${((s / calls) * 1e9).toFixed(1)} ns`;
  runs.forEach(([label, backend], k) => {
    const r = res[k]!;
    const compile = backend === 'ours' ? 'blocks form and get their code as they run' :
      `compile ${us(r.build - r.encode)} per block${r.encode > 0 ? ` (encoding ${us(r.encode)} more)` : ''}`;
    process.stdout.write(`${label.padEnd(13)} ${compile}; ` +
      `per block call, compiles included: first ${rounds} runs ${ns(r.build - r.encode + r.cold, r.calls)}, next ${rounds} ${ns(r.warm, r.calls)}\n`);
  });
  process.stdout.write(`${nBlocks} blocks, ${rounds} rounds; machine load ${load0.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after\n`);
  const js = res[0]!;
  if (res.some((r) => r.checksum !== js.checksum || (r.lRes !== null && r.lRes !== js.lRes))) {
    process.stderr.write(`bench-wasm-tier: the copies disagree on the final state (${res.map((r) => `${r.checksum}/${r.lRes}`).join(', ')})\n`);
    process.exit(1);
  }
}
