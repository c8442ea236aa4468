// Hot basic blocks compiled to JavaScript functions. A block is a run of decoded instructions in one
// physical page, ending at the first instruction that may transfer control, change privilege, mode
// or interrupt state, or touch a port. The generated function calls each instruction's handler
// through a closure constant, so V8 sees direct, monomorphic calls it can inline, instead of the
// interpreter's one indirect call per instruction; the hottest simple forms are emitted inline.
// A block runs through a generic stepper with the same effects until it has run the CPU's
// codegenAfter times (CODEGEN_THRESHOLD by default); only then is its function generated (see buildBlock).
//
// Precise state is kept: before each instruction the block stores its EIP and next EIP, so a fault
// leaves cpu.eip at the faulting instruction exactly as the interpreter would, and the run loop
// recovers the retired count and cycle charge from the block's tables (see Cpu.run). A write to
// decoded code sets cpu.smc, which drops the page's blocks and makes the running block return
// after the writing instruction.
import type { Cpu } from './cpu.ts';
import type { Handler, Insn } from './decode.ts';
import * as A from './execute-alu.ts';
import * as C from './execute-control.ts';
import * as S from './execute-system.ts';
import { stringOp } from './execute-string.ts';
import { eaExpr, linExpr, inlineForm, loadStmt, storeStmt, lazyArith, lazyLogic, lazyIncDec, setSlowEip, setPrevFlags, setWideLoads, pushStmt, popStmt, cmovForm, setccForm } from './block-inline.ts';

export interface Block {
  /** Runs the block (called as `b.fn(cpu)`): genericRun until its function is generated, then that. */
  fn: (this: Block, cpu: Cpu) => number;
  /** EIP of the first instruction; the block runs only when cpu.eip matches (aliased mappings). */
  eip: number;
  /** Number of instructions. */
  n: number;
  /** EIP of each instruction (to find how far a faulting block got). */
  addrs: number[];
  /** costBefore[k]: static cycles of instructions 0..k-1; costBefore[n] is the block's total. */
  costBefore: number[];
  /** The blocks that ran after this one last time and the time before (a block ending in a
   * conditional branch has two), valid while cpu.codeEpoch equals succEpoch. */
  succ: Block | null;
  succ2: Block | null;
  succEpoch: number;
  /** Its execution category for the cycle ledger (cycle-ledger.ts), fixed when it was compiled. */
  cat: number;
  /** The highest offset it may reach without a limit check: the end of its page, or a jcc's
   *  target beyond it (a taken jcc sets EIP directly); it runs only while CS's limit covers this. */
  reach: number;
  /** Its decoded instructions, and whether they run with a 32-bit CS (for its generated function). */
  insns: Insn[];
  code32: boolean;
  /** For genericRun: each instruction's next EIP, and the runs so far. */
  nexts: number[];
  runs: number;
}

/** Handlers after which the next instruction is simply the following one, with no mode change. */
const CONTINUES = new Set<Handler>([
  A.aluEG, A.aluGE, A.aluAI, A.aluEI, A.addRR32, A.subRR32, A.cmpRR32, A.xorRR32, A.testRR32, A.aluRI32,
  A.testEG, A.testAI, A.incDecReg, A.incDecE, A.group3, A.imulGE, A.imulGEI, A.shiftEI, A.shiftE1, A.shiftECL,
  A.shld, A.btEG, A.btEI, A.bsfBsr, A.bswap, A.movEG, A.movGE, A.movRR32, A.movStore32, A.movLoad32, A.movEI,
  A.movRI, A.movRI32, A.movMoffs, A.lea, A.movzxsx, A.xchgEG, A.xchgAR, A.cmov, A.setcc, A.cbw, A.cwd, A.xadd,
  A.cmpxchg, A.cmpxchg8b, A.cmc, A.clc, A.stc, A.cld, A.std, A.sahf, A.lahf, A.salc, A.xlat,
  C.pushReg, C.pushReg32, C.popReg, C.popReg32, C.pushImm, C.pushE, C.popE, C.pusha, C.popa, C.enter, C.leave,
  C.pushf, S.nop,
]);

const MAX_BLOCK = 64;

/** True if the instruction may be followed by more instructions in the same block. */
function continues(i: Insn): boolean {
  if (!CONTINUES.has(i.exec)) return (i.exec === stringOp && i.rep === 0) || i.exec === C.jccRel;
  return true;
}

function knowledge(op: number): FlagKnowledge {
  return op === 5 || op === 7 ? 'sub' : op === 1 || op === 4 || op === 6 ? 'logic' : op === 0 ? 'add' : null;
}
/** Saves what a following jcc, adc or sbb needs into the block's locals (block-inline.ts setPrevFlags). */
function track(op: number): string {
  const k = knowledge(op);
  return k === 'sub' ? 'fa = a; fb = b; fr = s;' : k === 'logic' ? 'fr = s;' : k === 'add' ? 'fa = a; fr = s; fc = 0;' : '';
}

/** Inline code for the 32-bit ALU operation op on a and b (locals), leaving the result in s. */
function aluInline(op: number): string | null {
  switch (op) {
    case 0: return `s = (a + b) | 0; ${lazyArith(false, 'a', 'b', 's', 4, '0')}`;
    case 1: return `s = a | b; ${lazyLogic('s', 4)}`;
    case 4: return `s = a & b; ${lazyLogic('s', 4)}`;
    case 5: case 7: return `s = (a - b) | 0; ${lazyArith(true, 'a', 'b', 's', 4, '0')}`;
    case 6: return `s = a ^ b; ${lazyLogic('s', 4)}`;
    default: return null;
  }
}

/**
 * Emits the statement for one instruction. Common 32-bit forms are written out inline (they are
 * the same operations as the handlers in execute-*.ts, specialised on the decoded operands);
 * everything else calls the handler, a closure constant V8 can inline. Returns the code and
 * whether it may fault (then the block must store the instruction's EIP first).
 */
/** How the last emitted instruction left its flags in the block's locals fa/fb/fr, for a following jcc. */
type FlagKnowledge = 'sub' | 'logic' | 'incdec' | 'add' | null;
/** One instruction's code; mayFault: store its EIP first and check cpu.smc after it. */
interface Emitted { code: string; mayFault: boolean; selfEip?: boolean }
let lastFlags: FlagKnowledge = null;
/**
 * Set by emitInsn when the instruction leaves EFLAGS and the block's flag locals (fa, fb, fr, fc)
 * as they were (moves, loads, stores, lea, push and pop of a register, nops, cdq, cwde, bswap,
 * not, cmov, setcc): what the block knew of the flags before it still holds after it, so a jcc,
 * adc, sbb, cmov or setcc further on reads the locals.
 */
let keepsFlags = false;
/** What the block knows of the flags before the instruction being emitted (for cmov and setcc). */
let curKnown: FlagKnowledge = null;

function emitInsn(i: Insn, k: string, nextEipOf: number): Emitted {
  lastFlags = null;
  keepsFlags = false;
  const r = emitInsnInner(i, k, nextEipOf);
  return r;
}

/** Condition cc computed from the block's locals, or null when the flags are not known inline. */
function inlineCond(cc: number, known: FlagKnowledge): string | null {
  if (known === 'sub') {
    switch (cc) {
      case 2: return '(fa >>> 0) < (fb >>> 0)';
      case 3: return '(fa >>> 0) >= (fb >>> 0)';
      case 4: return 'fa === fb';
      case 5: return 'fa !== fb';
      case 6: return '(fa >>> 0) <= (fb >>> 0)';
      case 7: return '(fa >>> 0) > (fb >>> 0)';
      case 8: return 'fr < 0';
      case 9: return 'fr >= 0';
      case 0xc: return 'fa < fb';
      case 0xd: return 'fa >= fb';
      case 0xe: return 'fa <= fb';
      case 0xf: return 'fa > fb';
      default: return null;
    }
  }
  if (known === 'add') {
    // fa, fr, fc: the record of a 32-bit add or adc (CpuRegs.getCF, getZF, getSF).
    switch (cc) {
      case 2: return '(fc ? (fr >>> 0) <= (fa >>> 0) : (fr >>> 0) < (fa >>> 0))';
      case 3: return '!(fc ? (fr >>> 0) <= (fa >>> 0) : (fr >>> 0) < (fa >>> 0))';
      case 4: return 'fr === 0';
      case 5: return 'fr !== 0';
      case 8: return 'fr < 0';
      case 9: return 'fr >= 0';
      default: return null;
    }
  }
  if (known === 'logic' || known === 'incdec') {
    switch (cc) {
      case 4: return 'fr === 0';
      case 5: return 'fr !== 0';
      case 8: return 'fr < 0';
      case 9: return 'fr >= 0';
    }
    if (known === 'incdec') return null;
    switch (cc) {
      case 2: return 'false';
      case 3: return 'true';
      case 6: return 'fr === 0';
      case 7: return 'fr !== 0';
      case 0xc: return 'fr < 0';
      case 0xd: return 'fr >= 0';
      case 0xe: return 'fr <= 0';
      case 0xf: return 'fr > 0';
    }
  }
  return null;
}

/** nextEipOf: the EIP of the instruction after i. */
function emitInsnInner(i: Insn, k: string, nextEipOf: number): Emitted {
  const h = i.exec;
  const pure = (code: string): Emitted => ({ code, mayFault: false });
  if (h === A.movRR32) { keepsFlags = true; return pure(`r[${i.rm}] = r[${i.reg}];`); }
  if (h === A.movRI32) { keepsFlags = true; return pure(`r[${i.op & 7}] = ${i.imm | 0};`); }
  if (h === A.addRR32 || h === A.subRR32 || h === A.cmpRR32 || h === A.xorRR32) {
    const op = (i.op >> 3) & 7;
    lastFlags = knowledge(op);
    return pure(`{ const a = r[${i.rm}], b = r[${i.reg}]; let s; ${aluInline(op)}${op !== 7 ? ` r[${i.rm}] = s;` : ''} ${track(op)} }`);
  }
  if (h === A.testRR32) { lastFlags = 'logic'; return pure(`fr = r[${i.rm}] & r[${i.reg}]; ${lazyLogic('fr', 4)}`); }
  if (h === A.aluRI32 && aluInline(i.reg)) {
    lastFlags = knowledge(i.reg);
    return pure(`{ const a = r[${i.rm}], b = ${i.imm | 0}; let s; ${aluInline(i.reg)}${i.reg !== 7 ? ` r[${i.rm}] = s;` : ''} ${track(i.reg)} }`);
  }
  if (h === A.incDecReg && i.os === 4) {
    const n = i.op & 7, dec = i.op >= 0x48;
    lastFlags = 'incdec';
    // The carry comes first: it may be read from the locals (fr) the result then replaces.
    return pure(`{ const a = r[${n}], s = (a ${dec ? '-' : '+'} 1) | 0; ${lazyIncDec('a', 's', 4, dec)} r[${n}] = s; fr = s; }`);
  }
  if (h === A.lea && i.os === 4 && i.as32) { keepsFlags = true; return pure(`r[${i.reg}] = ${eaExpr(i)};`); }
  // nop, pause, prefetch hints and the multi-byte nop: their handler does nothing.
  if (h === S.nop) { keepsFlags = true; return pure(''); }
  if (h === A.cwd && i.os === 4) { keepsFlags = true; return pure('r[2] = r[0] >> 31;'); }
  if (h === A.cbw && i.os === 4) { keepsFlags = true; return pure('r[0] = (r[0] << 16) >> 16;'); }
  if (!i.as32) return { code: `h${k}(cpu, i${k});`, mayFault: true };
  if (h === A.movLoad32) { keepsFlags = true; return { code: `{ let v = 0; ${loadStmt(4, linExpr(i, 4, false), 'v')} r[${i.reg}] = v; }`, mayFault: true, selfEip: true }; }
  if (h === A.movStore32) { keepsFlags = true; return { code: storeStmt(4, linExpr(i, 4, true), `r[${i.reg}]`), mayFault: true, selfEip: true }; }
  if (h === A.cmov || h === A.setcc) {
    const cond = inlineCond(i.op & 0xf, curKnown) ?? `cpu.cond(${i.op & 0xf}) === true`;
    const f = h === A.cmov ? cmovForm(i, cond) : setccForm(i, cond);
    if (f !== null) { keepsFlags = true; return { code: f.code, mayFault: f.mayFault, selfEip: f.selfEip === true }; }
  }
  const form = inlineForm(i);
  if (form !== null) {
    lastFlags = form.flags;
    keepsFlags = form.keepsFlags === true;
    return { code: form.code, mayFault: form.mayFault, selfEip: form.selfEip === true };
  }
  if (h === C.pushReg32) { keepsFlags = true; return { code: pushStmt(`r[${i.op & 7}]`), mayFault: true, selfEip: true }; }
  if (h === C.popReg32) { keepsFlags = true; return { code: `{ let v = 0; ${popStmt('v')} r[${i.op & 7}] = v; }`, mayFault: true, selfEip: true }; }
  if (h === A.bswap && i.os === 4) {
    keepsFlags = true;
    const n = i.op & 7;
    return pure(`{ const v = r[${n}]; r[${n}] = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24); }`);
  }
  // A call or return ends its block: cpu.nextEip is the next instruction's EIP, and cpu.jump checks the target.
  if (h === C.callRel32) return { code: `{ const $t = ${(i.imm + nextEipOf) | 0}; ${pushStmt(`${nextEipOf}`)} cpu.jump($t, 4); }`, mayFault: true, selfEip: true };
  if (h === C.ret32) return { code: `{ let v = 0; ${popStmt('v')} cpu.jump(v, 4); }`, mayFault: true, selfEip: true };
  return { code: `h${k}(cpu, i${k});`, mayFault: true };
}

/**
 * Runs of a block through the generic runner before its JavaScript is generated (see buildBlock),
 * unless the CPU says otherwise (Cpu.codegenAfter). Measured in host instructions
 * (`valgrind --tool=cachegrind`, `node --single-threaded`) on a `linux-hardware` 4 MiB send,
 * whole process: 64 runs 46.5 G, 256 39.3 G, 1024 31.8 G, 4096 23.7 G, 16384 22.2 G. A block
 * given its own function first runs in V8's interpreter and baseline tiers, where every property
 * access and operator is a call, for hundreds of runs before V8 optimizes it, and each one costs
 * V8 a compile; the generic runner is one function V8 optimized long ago. A Linux boot and its
 * network path run tens of thousands of blocks, most of them fewer times than that.
 */
export const CODEGEN_THRESHOLD = 16384;
/**
 * Runs after which a block that links to itself (an inner loop, run in its own function by
 * generateHot) gets its JavaScript, when that comes before the CPU's threshold: such a block
 * usually runs many more times. The CPU-bound bench kernel at 500 iterations measured 8.66 G
 * host instructions with every block at 64, 9.06 G with every block at 16,384.
 */
const LOOP_CODEGEN_AFTER = 64;

/**
 * Builds a block from `first` onwards. `next(eip)` returns the decoded instruction at an EIP in the
 * same page, or null where the block must stop (page end, decode fault, uncacheable).
 *
 * A new block first runs through runGeneric, which steps through its instructions with the same
 * effects as the generated function (cycles charged up front, EIP stored before each instruction,
 * the same side exits and self-modifying-code stop); after `cpu.codegenAfter` runs its function is
 * generated. Most blocks run fewer times, and generating and compiling JavaScript for each cost
 * more host time than running them generically. Which blocks exist, and so where interrupts are
 * taken, does not depend on the tier.
 */
export function buildBlock(first: Insn, eip: number, code32: boolean, cat: number, next: (eip: number) => Insn | null): Block {
  const insns: Insn[] = [first];
  const addrs: number[] = [eip];
  let cur = first, at = eip;
  while (insns.length < MAX_BLOCK && continues(cur)) {
    at = code32 ? (at + cur.len) | 0 : (at + cur.len) & 0xffff;
    const n = next(at);
    if (n === null) break;
    insns.push(n);
    addrs.push(at);
    cur = n;
  }
  const costBefore: number[] = [0];
  for (const i of insns) costBefore.push(costBefore[costBefore.length - 1]! + i.cost);
  const nexts = insns.map((i, k) => (code32 ? (addrs[k]! + i.len) | 0 : (addrs[k]! + i.len) & 0xffff));
  let reach = (eip | 0xfff) >>> 0;
  insns.forEach((i, k) => {
    if (i.exec === C.jccRel) reach = Math.max(reach, (code32 ? (nexts[k]! + i.imm) | 0 : (nexts[k]! + i.imm) & 0xffff) >>> 0);
  });
  return {
    fn: genericRun, eip, n: insns.length, addrs, costBefore, succ: null, succ2: null, succEpoch: -1, reach, cat, insns, code32,
    nexts, runs: 0,
  };
}

/**
 * The function of every block whose own has not been generated: one function shared by all of
 * them, with the block as `this` (the run loop calls `b.fn(cpu)`), rather than a closure per
 * block. The run loop's call then has one target for every such block, and the block's fields
 * are in the object the run loop has just read, not in a closure's context elsewhere in memory.
 */
function genericRun(this: Block, cpu: Cpu): number {
  const runs = ++this.runs;
  if (runs === cpu.codegenAfter || (runs === LOOP_CODEGEN_AFTER && selfLinked(this, cpu) === true)) this.fn = generateHot(this, cpu);
  return runGeneric(cpu, this.insns, this.addrs, this.nexts, this.costBefore, this.code32);
}

/**
 * A block's instructions one after the other, with the effects of its generated function (see
 * generate). Booleans of unknown type are tested with `=== true` (see the note above PRELUDE).
 */
function runGeneric(cpu: Cpu, insns: Insn[], addrs: number[], nexts: number[], costBefore: number[], code32: boolean): number {
  const n = insns.length, last = n - 1, total = costBefore[n]!;
  cpu.cycles += total;
  for (let k = 0; k < n; k++) {
    const i = insns[k]!;
    if (i.exec === C.jccRel) {
      const target = code32 === true ? (nexts[k]! + i.imm) | 0 : (nexts[k]! + i.imm) & 0xffff;
      const taken = cpu.cond(i.op & 0xf) === true;
      if (k === last) {
        if (taken) { cpu.eip = target; cpu.cycles += cpu.branchExtra; } else cpu.eip = nexts[k]!;
      } else if (taken) {
        cpu.eip = target;
        cpu.cycles += cpu.branchExtra - (total - costBefore[k + 1]!);
        return k + 1;
      }
      continue;
    }
    cpu.eip = addrs[k]!;
    if (k === last) {
      cpu.nextEip = nexts[k]!;
      i.exec(cpu, i);
      cpu.eip = cpu.nextEip;
    } else {
      i.exec(cpu, i);
      if (cpu.smc === true) { cpu.smc = false; cpu.eip = nexts[k]!; cpu.cycles -= total - costBefore[k + 1]!; return k + 1; }
    }
  }
  return n;
}

/** Where a block body's exits go: `return k` in a block's own function, the end of the pass in a loop (generateHot). */
type ExitCode = (count: string) => string;

/**
 * The statements of one block's body (see generate). Handler closures are named h<tag>_<k> and
 * instructions i<tag>_<k>; they are pushed onto params and args. Every way out of the body,
 * with the number of instructions it retired, goes through exit.
 */
function emitBody(b: Block, tag: string, exit: ExitCode, params: string[], args: unknown[]): string[] {
  const { insns, addrs, costBefore, code32 } = b;
  const total = costBefore[insns.length]!;
  const lines: string[] = [`cpu.cycles += ${total};`];
  const last = insns.length - 1;
  let known: FlagKnowledge = null;
  insns.forEach((i, k) => {
    const nextEip = code32 ? (addrs[k]! + i.len) | 0 : (addrs[k]! + i.len) & 0xffff;
    if (i.exec === C.jccRel) {
      // A conditional branch (blocks run only with a flat CS, so no limit check): inline, from the
      // previous instruction's operands when it set the flags inline. In the middle of a block a
      // taken branch is a side exit that gives back the cycles of the instructions not run.
      const target = code32 ? (nextEip + i.imm) | 0 : (nextEip + i.imm) & 0xffff;
      const cond = inlineCond(i.op & 0xf, known) ?? `cpu.cond(${i.op & 0xf}) === true`;
      if (k === last) lines.push(`if (${cond}) { cpu.eip = ${target}; cpu.cycles += cpu.branchExtra; } else cpu.eip = ${nextEip};`);
      else lines.push(`if (${cond}) { cpu.eip = ${target}; cpu.cycles += cpu.branchExtra - ${total - costBefore[k + 1]!}; ${exit(`${k + 1}`)} }`);
      // Not taken, it changed neither the flags nor the locals: what was known still holds.
      return;
    }
    // A form that stores cpu.eip on its slow paths itself needs no store before it (block-inline.ts setSlowEip).
    setSlowEip(addrs[k]!);
    setPrevFlags(known);
    curKnown = known;
    const { code, mayFault, selfEip } = emitInsn(i, `${tag}_${k}`, nextEip);
    setSlowEip(null);
    setPrevFlags(null);
    if (!keepsFlags) known = lastFlags;
    if (k === last) lines.push(`cpu.eip = ${addrs[k]}; cpu.nextEip = ${nextEip};`);
    else if (mayFault && !selfEip) lines.push(`cpu.eip = ${addrs[k]};`);
    lines.push(code);
    if (k < last && mayFault) {
      // Stop after a write to decoded code; the rest of the block may be stale. A read can write
      // too: a TLB miss sets the accessed bit of a page-table entry, which may share decoded code's page.
      lines.push(`if (cpu.smc === true) { cpu.smc = false; cpu.eip = ${nextEip}; cpu.cycles -= ${total - costBefore[k + 1]!}; ${exit(`${k + 1}`)} }`);
    }
    if (k === last) lines.push('cpu.eip = cpu.nextEip;');
  });
  lines.push(exit(`${insns.length}`));
  insns.forEach((i, k) => { params.push(`h${tag}_${k}`, `i${tag}_${k}`); args.push(i.exec, i); });
  return lines;
}

// Boolean tests in generated code compare with `=== true` (cpu.smc, cpu.attention, cpu.stack32,
// cpu.cond()): V8 collects no type feedback for a plain truth test, so its optimizing compiler
// tests a field or call result of unknown type as any value (false, the empty string, an
// undetectable object, a heap number, a BigInt): about a dozen instructions and five branches
// after every memory access, where a strict comparison is one. 0.950 and 0.945 of the CPU time
// on Linux and device pre-virtualization sends (emulator/README.md step 31). Typed-array elements
// ($sfr, $sfw) are numbers, which it tests cheaply.
/** A generated function's locals for the CPU's arrays and statistics, which are never replaced (block-inline.ts uses them). */
const PRELUDE = 'const r = cpu.r, $sfr = cpu.segFastR, $sfw = cpu.segFastW, $tr = cpu.tlbR, $tw = cpu.tlbW, $r32 = cpu.ram32, $r8 = cpu.ram, $stats = cpu.stats;';

/** The block's generated JavaScript function. */
function generate(b: Block): (cpu: Cpu) => number {
  const params: string[] = [];
  const args: unknown[] = [];
  const body = emitBody(b, '0', (n) => `return ${n};`, params, args);
  const lines = [PRELUDE, 'let fa = 0, fb = 0, fr = 0, fc = 0;', ...body];
  const factory = new Function(...params, `return function block(cpu) {\n${lines.join('\n')}\n};`) as (...a: unknown[]) => (cpu: Cpu) => number;
  return factory(...args);
}

/** The block's cached successor link (of the current code epoch) names itself. */
function selfLinked(b: Block, cpu: Cpu): boolean {
  return b.succEpoch === cpu.codeEpoch && (b.succ === b || b.succ2 === b);
}

/**
 * The function of a block `b` that has just become hot. A block whose cached successor link
 * names itself (a loop of one block, the usual form of an inner loop) gets a function that runs
 * the loop itself: after each pass it takes the run loop's block-to-block step in place (see
 * Cpu.run), and goes round again only where Cpu.run would run the block again: nothing needs
 * attention, the cycle limit is not reached, the link is of the current code epoch and picks
 * this block for cpu.eip, and another pass fits the instruction budget (cpu.chainBudget).
 * Otherwise it returns, and the run loop takes the same step itself from the block. So the
 * same blocks run in the same order with the same checks between them, and interrupts are taken
 * at the same points; only the loop's call per pass goes. A fault leaves in cpu.chainRetired the
 * instructions of the passes before. Other blocks get their plain function: regions of several
 * linked blocks in one function were measured slower (see the emulator README).
 */
function generateHot(b: Block, cpu: Cpu): (cpu: Cpu) => number {
  if (!selfLinked(b, cpu)) return generate(b);
  const params: string[] = ['B'];
  const args: unknown[] = [b];
  setWideLoads(true);
  let body: string[];
  try {
    body = emitBody(b, '0', (n) => `$k = ${n}; break pass;`, params, args);
  } finally {
    setWideLoads(false);
  }
  const lines = [
    PRELUDE, 'const $cl = cpu.coldLine, $cip = cpu.coldInPage;', 'let fa = 0, fb = 0, fr = 0, fc = 0;', 'let $k = 0, $done = 0;',
    'try {', 'for (;;) {', 'pass: {', ...body, '}', '$done += $k;',
    'if (cpu.attention === true || cpu.cycles >= cpu.chainCycleLimit) return $done;',
    // Cpu.run follows the first link when it names cpu.eip, else the second: it must be this block.
    `if (cpu.eip !== ${b.eip} || B.succEpoch !== cpu.codeEpoch) return $done;`,
    'const $s = B.succ;',
    `if (!($s === B || ($s !== null && $s.eip !== ${b.eip} && B.succ2 === B)) || $done + ${b.n} > cpu.chainBudget) return $done;`,
    `if (cpu.ledger.cur !== ${b.cat}) cpu.ledger.enter(${b.cat});`,
    'cpu.smc = false;',
    '}', '} catch (e) { cpu.chainRetired = $done; throw e; }',
  ];
  const factory = new Function(...params, `return function loop(cpu) {\n${lines.join('\n')}\n};`) as (...a: unknown[]) => (cpu: Cpu) => number;
  return factory(...args);
}
