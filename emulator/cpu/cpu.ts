// The IA-32 CPU: the run loop, instruction fetch through the decode cache, interrupt recognition,
// exception delivery with the double/triple-fault rules, and the API the machine codes against.
//
// Hypervisor hook: `onTrap`, when set, is consulted before any exception, software interrupt or
// external interrupt goes through the IDT. At the call, `cpu.eip` is the EIP the IDT frame would
// hold (the faulting instruction for faults, the next instruction for int n/int3/into and
// interrupts; `cpu.trapInsnEip` is where the raising instruction begins, prefixes included). If
// the hook returns true the event is considered handled: execution continues at
// `cpu.eip` with whatever registers, segments (setSegCache/loadSeg), flags (getEflags/writeEflags)
// and memory (rd*/wr*, sysRd32/sysWr32) the hook changed. Returning false delivers normally.
import type { Bus, InterruptController, CostTable, StopReason } from '../types.ts';
import { hexDigits as hex } from '../hex.ts';
import { CpuSegments, CS, SS, DS, ES, FS, GS, SEG_NAMES, AR_P, AR_S, AR_WRITABLE, AR_CODE, AR_ACCESSED, AR_DB, AR_G } from './segments.ts';
import { CpuFault, Unimplemented, Shutdown, GP, DB, DF as DF_VEC } from './fault.ts';
import { IF, TF, EAX, EBX, ECX, EDX, ESP, EBP, ESI, EDI } from './flags.ts';
import { CR0_PE, CR0_PG, CR0_WP, CR0_ET, CR0_NW, CR0_CD, TLB_VALID } from './mmu.ts';
import { decode, type Insn, type CodeReader } from './decode.ts';
import { buildBlock, CODEGEN_THRESHOLD, type Block } from './blocks.ts';

/** Interpreted starts at an address before its block is compiled. */
const HOT_THRESHOLD = 16;
import { deliver, isDoubleFault, type TrapKind } from './exceptions.ts';
import { newCpuStats, countVector, type SensitiveName } from './stats.ts';
import { ud } from './execute-system.ts';
import { MsrBank } from './msrs.ts';
import { WIDE_COUNT } from '../clock.ts';

export type { TrapKind } from './exceptions.ts';
export type { CpuStats } from './stats.ts';

/** A hypervisor model's view of an event before IDT delivery; return true if handled. */
export type TrapHook = (vector: number, errorCode: number | undefined, kind: TrapKind) => boolean;

interface StackSnapshot { ss: number; base: number; limit: number; ar: number; valid: number; esp: number; cpl: number }

export class Cpu extends CpuSegments {
  readonly intr: InterruptController;
  /** Set by hlt; cleared when an interrupt is delivered. */
  halted = false;
  /** Why run() returned 'shutdown' (triple fault or unimplemented feature), with a register dump. */
  shutdownReason = '';
  /** Hook for hypervisor models (see the file comment). */
  onTrap?: TrapHook;
  /** While the hook runs: where the instruction that raised the event begins, prefixes included
   *  (for a software interrupt, the #GP a gate's DPL calls for is reported there, and the
   *  return EIP minus two is wrong when the int has a prefix). */
  trapInsnEip = 0;
  /** Hook for hypervisor models: each sensitive instruction at CPL > 0, before it executes (cpu.eip is its address). */
  onSensitive?: (name: SensitiveName) => void;
  /** Hook for hypervisor models: after an iret or far return to an outer ring, which a
   *  deprivileged guest kernel executes without a trap (the model may have flags to fix). */
  onOuterReturn?: () => void;

  /** EIP of the instruction after the current one; branches overwrite it. */
  nextEip = 0;
  /** Something must be looked at before the next instruction (interrupts, halt, single-step). */
  attention = false;
  /** Instructions restarted rather than retired (chunks of a long rep). */
  uncounted = 0;
  /** A rep string instruction suspended part-way (chunk end, interrupt, fault): its linear EIP, the
   *  ECX it left and the bytes it moved, so its resumption is charged as the same instruction. */
  readonly repResume = { lin: -1, ecx: 0, bytes: 0 };
  /** Extra cycles of a taken over a not-taken branch. */
  readonly branchExtra: number;
  /** rdtsc = cycles + tscOffset (wrmsr to the TSC moves the offset). */
  tscOffset = 0;
  readonly dr = new Int32Array(8);
  /** The model-specific registers other than the TSC (msrs.ts). */
  readonly msrs = new MsrBank();

  /** Runs of a compiled block through the generic runner before its JavaScript is generated
   *  (blocks.ts CODEGEN_THRESHOLD); only host time depends on it. Tests lower it so that short
   *  loops reach the generated code. */
  codegenAfter = CODEGEN_THRESHOLD;
  /** For a block that runs its own loop (blocks.ts generateHot): run()'s cycle limit, and how many
   *  instructions the block's function may retire before run()'s instruction limit (Infinity
   *  without one). Both are doubles from the start (clock.ts WIDE_COUNT). */
  chainCycleLimit = WIDE_COUNT;
  chainBudget = WIDE_COUNT;
  /** Instructions such a block retired in the passes before the one that faulted. */
  chainRetired = 0;
  private irqCheck = false;
  private irqStop = false;
  private shadow = false;
  /** Set by int n/int3/into/int1: the interrupt clears TF before the handler, so the instruction
   *  that raised it takes no single-step trap (Intel SDM vol. 3, 17.3.1.4). */
  private stepCancelled = false;
  private running = false;
  private stopped = false;
  private fetchLpn = -1;
  private fetchPage: (Insn | undefined)[] | null = null;
  /** The blocks of fetchPage's physical page (blockCache), valid with it. */
  private fetchBlocks: (Block | undefined)[] | null = null;
  private readonly reader: CodeReader;
  private readerEip = 0;

  constructor(bus: Bus, intr: InterruptController, costs: CostTable) {
    super(bus, costs, newCpuStats());
    this.intr = intr;
    this.branchExtra = costs.branch_taken - costs.branch_not_taken;
    this.chainCycleLimit = 0;
    this.chainBudget = 0;
    this.reader = { byte: (n: number) => this.codeByte(n) };
    this.resetForMultiboot(0, 0, 0);
  }

  /** Multiboot entry state: flat 4 GiB ring-0 code/data, CR0.PE=1, PG=0, EFLAGS=0x2, EAX/EBX given. */
  resetForMultiboot(entry: number, eax: number, ebx: number): void {
    this.r.fill(0);
    this.r[EAX] = eax;
    this.r[EBX] = ebx;
    this.flags = 0x2;
    this.lazy = 0;
    this.cr0 = CR0_PE | CR0_ET;
    this.cr2 = 0; this.cr3 = 0; this.cr4 = 0;
    this.gdtBase = 0; this.gdtLimit = 0; this.idtBase = 0; this.idtLimit = 0x3ff;
    this.ldtSel = 0; this.ldtBase = 0; this.ldtLimit = 0;
    this.trSel = 0; this.trBase = 0; this.trLimit = 0; this.trAr = 0;
    const code = AR_P | AR_S | AR_CODE | AR_WRITABLE | AR_ACCESSED | AR_DB | AR_G;
    const data = AR_P | AR_S | AR_WRITABLE | AR_ACCESSED | AR_DB | AR_G;
    this.setSegCache(CS, 0x08, 0, 0xffffffff, code, true);
    for (const s of [SS, DS, ES, FS, GS]) this.setSegCache(s, 0x10, 0, 0xffffffff, data, true);
    this.eip = entry | 0;
    this.nextEip = this.eip;
    this.halted = false;
    this.shutdownReason = '';
    this.shadow = false;
    this.dr.fill(0);
    this.flushTlbAll();
    this.stats.tlbFlushes = 0;
    this.dropAllDecoded();
  }

  /**
   * Linux 32-bit boot protocol entry state: as multiboot's, but with the selectors the protocol
   * names (__BOOT_CS 0x10, __BOOT_DS 0x18), ESI = the zero page and EBP = EDI = EBX = 0.
   */
  resetForLinux(entry: number, bootParams: number): void {
    this.resetForMultiboot(entry, 0, 0);
    const code = AR_P | AR_S | AR_CODE | AR_WRITABLE | AR_ACCESSED | AR_DB | AR_G;
    const data = AR_P | AR_S | AR_WRITABLE | AR_ACCESSED | AR_DB | AR_G;
    this.setSegCache(CS, 0x10, 0, 0xffffffff, code, true);
    for (const s of [SS, DS, ES, FS, GS]) this.setSegCache(s, 0x18, 0, 0xffffffff, data, true);
    this.r[ESI] = bootParams;
  }

  override setSegCache(seg: number, selector: number, base: number, limit: number, ar: number, valid: boolean): void {
    const was32 = this.code32;
    super.setSegCache(seg, selector, base, limit, ar, valid);
    if (seg === CS) {
      this.fetchInvalidate();
      if (was32 !== this.code32) this.dropAllDecoded();
    }
  }

  // ---- run loop ---------------------------------------------------------------------------------
  /** Executes until cycles >= cycleLimit, hlt, an interrupt-line change via notifyIrq, instructionLimit, or shutdown. */
  run(cycleLimit: number, instructionLimit = Infinity): StopReason {
    if (this.stopped) return 'shutdown';
    this.running = true;
    this.irqCheck = true;
    this.attention = true;
    this.chainCycleLimit = cycleLimit;
    let retired = 0;
    // Booleans are tested with `=== true`/`=== false` in this loop: V8's optimized code tested the
    // fields, and the locals live across the try/catch, as values of unknown type, about a dozen
    // instructions each (seen in --print-opt-code; blocks.ts, the note above PRELUDE).
    let stepTrap = false;
    const ledger = this.ledger;
    /** The compiled block running now (a local: the run loop's catch is its only other reader). */
    let cur: Block | null = null;
    /** Without an instruction limit every block's budget is unlimited: no store per block. */
    const limited = instructionLimit !== Infinity;
    this.chainBudget = instructionLimit;
    try {
      for (;;) {
        try {
          for (;;) {
            if (this.attention === true) {
              const r = this.boundary();
              if (r !== undefined) return r;
              stepTrap = (this.flags & TF) !== 0;
              this.stepCancelled = false;
            }
            if (this.cycles >= cycleLimit || retired >= instructionLimit) return 'limit';
            const insn = this.fetch();
            if (stepTrap === false) {
              // The compiled block starting here: fetch left fetchBlocks at this instruction's page
              // (null for code outside RAM, which gets no blocks).
              const first = this.fetchBlocks === null ? undefined : this.fetchBlocks[(this.segBase[CS]! + this.eip) & 0xfff];
              if (first !== undefined) {
                if (first.eip === this.eip && this.segMaxR[CS]! >= first.reach && retired + first.n <= instructionLimit) {
                  let b: Block = first;
                  // Run compiled blocks back to back, following each block's two cached successors.
                  for (;;) {
                    if (b.cat !== ledger.cur) ledger.enter(b.cat);
                    cur = b;
                    this.smc = false;
                    if (limited === true) this.chainBudget = instructionLimit - retired;
                    retired += b.fn(this);
                    cur = null;
                    if (this.attention === true || this.cycles >= cycleLimit) break;
                    const linked = b.succEpoch === this.codeEpoch;
                    if (linked) {
                      let s: Block | null = b.succ;
                      if (s !== null && s.eip !== this.eip) s = b.succ2;
                      if (s !== null && s.eip === this.eip && retired + s.n <= instructionLimit) { b = s; continue; }
                    }
                    const nb = this.blockAt();
                    if (nb === null) break;
                    b.succ2 = linked ? b.succ : null;
                    b.succ = nb;
                    b.succEpoch = this.codeEpoch;
                    b = nb;
                    if (retired + b.n > instructionLimit) break;
                  }
                  continue;
                }
              } else if (++insn.hits === HOT_THRESHOLD && this.blockInsideCs(this.eip) && this.fetchPage !== null) {
                this.compileBlock(insn);
              }
            }
            this.nextEip = this.code32 === true ? (this.eip + insn.len) | 0 : (this.eip + insn.len) & 0xffff;
            const cat = ledger.categoryAt((this.segBase[CS]! + this.eip) | 0, this.cpl);
            if (cat !== ledger.cur) ledger.enter(cat);
            this.cycles += insn.cost;
            insn.exec(this, insn);
            this.eip = this.nextEip;
            retired++;
            if (stepTrap === true) {
              stepTrap = false;
              if (this.stepCancelled) {
                this.stepCancelled = false;
              } else {
                this.dr[6] = this.dr[6]! | 0x4000;
                this.raiseEvent(DB, 'exception', 0, false, this.eip);
              }
            }
          }
        } catch (e) {
          if (e instanceof CpuFault) {
            stepTrap = false;
            const b = cur;
            if (b !== null) {
              // Count and charge only the block's instructions before the faulting one, and the
              // passes of its loop before it (generateHot).
              cur = null;
              const k = b.addrs.indexOf(this.eip);
              retired += k + this.chainRetired;
              this.chainRetired = 0;
              this.cycles -= b.costBefore[b.n]! - b.costBefore[k + 1]!;
            }
            this.handleFault(e);
          } else throw e;
        }
      }
    } catch (e) {
      return this.stop(e);
    } finally {
      retired += this.chainRetired;
      this.chainRetired = 0;
      this.stats.instructions += retired - this.uncounted;
      this.uncounted = 0;
      this.running = false;
    }
  }

  /** Work at an instruction boundary when `attention` is set. Returns a stop reason to end run(). */
  private boundary(): StopReason | undefined {
    this.attention = false;
    if (this.shadow) {
      this.shadow = false;
      this.attention = true; // look again after the shadowed instruction
    } else if (this.irqCheck) {
      this.irqCheck = false;
      if ((this.flags & IF) && this.intr.pending()) {
        const vector = this.intr.acknowledge() & 0xff;
        this.halted = false;
        countVector(this.stats.interrupts, vector);
        this.cycles += this.costs.hw_interrupt_entry; this.ledger.chargeInterruptEntry(this.costs.hw_interrupt_entry);
        try {
          this.raiseEvent(vector, 'external', 0, false, this.eip);
        } catch (e) {
          if (e instanceof CpuFault) this.handleFault(e); else throw e;
        }
        this.irqCheck = true; // another may be pending behind it
        this.attention = true;
      }
    }
    if (this.halted) return 'halt';
    if (this.irqStop) { this.irqStop = false; return 'irq'; }
    if (this.flags & TF) this.attention = true;
    return undefined;
  }

  private stop(e: unknown): StopReason {
    let reason: string;
    if (e instanceof Shutdown || e instanceof Unimplemented) reason = e.message;
    else if (e instanceof Error) reason = `internal emulator error at ${this.eipString()}: ${e.stack ?? e.message}`;
    else reason = `internal emulator error at ${this.eipString()}: ${String(e)}`;
    this.shutdownReason = `${reason}\n${this.dumpState()}`;
    this.stopped = true;
    return 'shutdown';
  }

  /** The machine calls this when the PIC's INTR may have changed. */
  notifyIrq(): void {
    this.irqCheck = true;
    this.attention = true;
    if (this.running) this.irqStop = true;
  }

  /** Something other than the CPU wrote guest physical memory: drop decoded code there. */
  invalidateCode(physAddr: number, length: number): void {
    if (length > 0) this.invalidateRange(physAddr >>> 0, length);
  }

  /** A device wrote guest physical memory by DMA: drop decoded code there, and its lines are cache-cold. */
  dmaWritten(physAddr: number, length: number): void {
    if (length <= 0) return;
    this.invalidateRange(physAddr >>> 0, length);
    this.markDmaWritten(physAddr >>> 0, length);
  }

  // ---- exceptions and interrupts ---------------------------------------------------------------
  private handleFault(f: CpuFault): void {
    countVector(this.stats.exceptions, f.vector);
    this.cycles += this.costs.exception_entry; this.ledger.chargeExceptionEntry(this.costs.exception_entry);
    this.nextEip = this.eip;
    this.raiseEvent(f.vector, 'exception', f.code, f.hasCode, this.eip);
  }

  /** Delivers an event (hook first, then IDT), applying the double- and triple-fault rules. */
  raiseEvent(vector: number, kind: TrapKind, code: number, hasCode: boolean, returnEip: number): void {
    if (this.onTrap) {
      const eip = this.eip;
      this.trapInsnEip = eip;
      this.eip = returnEip; this.nextEip = returnEip;
      if (this.onTrap(vector, hasCode ? code : undefined, kind)) {
        this.nextEip = this.eip;
        this.attention = true; // the hook may have halted the CPU or changed IF/TF
        this.irqCheck = true;
        return;
      }
      this.eip = eip;
    }
    if (kind === 'software') {
      deliver(this, vector, kind, code, hasCode, returnEip); // a fault here is the int instruction's fault
      return;
    }
    try {
      deliver(this, vector, kind, code, hasCode, returnEip);
    } catch (e) {
      if (!(e instanceof CpuFault)) throw e;
      countVector(this.stats.exceptions, e.vector);
      if (kind === 'exception' && vector === DF_VEC) {
        throw new Shutdown(`triple fault: vector ${e.vector} (error 0x${e.code.toString(16)}) while delivering a double fault`);
      }
      if (kind === 'exception' && isDoubleFault(vector, e.vector)) {
        this.raiseEvent(DF_VEC, 'exception', 0, true, this.eip);
      } else {
        this.raiseEvent(e.vector, 'exception', e.code, e.hasCode, this.eip);
      }
    }
  }

  /** int n / int3 / into / int1 from a handler: the pushed EIP is the next instruction. */
  softwareInterrupt(vector: number, checkDpl: boolean): void {
    countVector(this.stats.softwareInterrupts, vector);
    this.stepCancelled = true;
    this.raiseEvent(vector, checkDpl ? 'software' : 'exception', 0, false, this.nextEip);
  }

  saveStackState(): StackSnapshot {
    return {
      ss: this.sel[SS]!, base: this.segBase[SS]!, limit: this.segLimit[SS]!, ar: this.segAr[SS]!,
      valid: this.segValid[SS]!, esp: this.r[ESP]!, cpl: this.cpl,
    };
  }
  restoreStackState(s: StackSnapshot): void {
    this.setSegCache(SS, s.ss, s.base, s.limit, s.ar, s.valid !== 0);
    this.r[ESP] = s.esp;
    this.setCpl(s.cpl);
  }

  // ---- helpers for handlers ---------------------------------------------------------------------
  /** Effective address (offset) of the ModRM memory operand. */
  ea(i: Insn): number {
    let a = i.disp;
    if (i.base >= 0) a = (a + this.r[i.base]!) | 0;
    if (i.index >= 0) a = (a + (this.r[i.index]! << i.scale)) | 0;
    return i.as32 ? a : a & 0xffff;
  }
  eaR(i: Insn, size: number): number {
    const off = this.ea(i);
    return this.segFastR[i.seg] ? off : this.segCheck(i.seg, off, size, false);
  }
  eaW(i: Insn, size: number): number {
    const off = this.ea(i);
    return this.segFastW[i.seg] ? off : this.segCheck(i.seg, off, size, true);
  }
  readE(i: Insn, size: number): number {
    if (i.mod === 3) return this.getReg(size, i.rm);
    return this.rd(this.eaR(i, size), size);
  }
  writeE(i: Insn, size: number, v: number): void {
    if (i.mod === 3) this.setReg(size, i.rm, v); else this.wr(this.eaW(i, size), size, v);
  }
  /** Near branch: the target must lie within CS's limit. */
  jump(target: number, size: number): void {
    if (size === 2) target &= 0xffff;
    if ((target >>> 0) > this.segLimit[CS]!) throw new CpuFault(GP, 0, true);
    this.nextEip = target;
  }
  sens(name: SensitiveName): void {
    this.stats.sensitive[name][this.cpl]++;
    if (this.onSensitive !== undefined && this.cpl !== 0) this.onSensitive(name);
  }
  /** I/O permission: CPL <= IOPL, or the TSS I/O bitmap allows every byte of the access. */
  ioCheck(port: number, size: number): void {
    if (this.cpl <= ((this.flags >> 12) & 3)) return;
    const type = (this.trAr >> 8) & 0x1f;
    if ((type !== 0x09 && type !== 0x0b) || this.trLimit < 0x67) throw new CpuFault(GP, 0, true);
    const ioBase = this.sysRd16((this.trBase + 0x66) | 0);
    const off = ioBase + (port >> 3);
    if (off + 1 > this.trLimit) throw new CpuFault(GP, 0, true);
    const bits = this.sysRd16((this.trBase + off) | 0);
    if (bits & (((1 << size) - 1) << (port & 7))) throw new CpuFault(GP, 0, true);
  }
  portIn(port: number, size: number): number {
    this.chargeDeviceAccess(this.costs.port_io);
    const v = this.bus.ioRead(port, size as 1 | 2 | 4);
    return size === 4 ? v | 0 : v & (size === 2 ? 0xffff : 0xff);
  }
  portOut(port: number, size: number, v: number): void {
    this.chargeDeviceAccess(this.costs.port_io);
    this.bus.ioWrite(port, size as 1 | 2 | 4, size === 4 ? v >>> 0 : v & (size === 2 ? 0xffff : 0xff));
  }
  /** Writes EFLAGS bits selected by `changeable`; notices IF becoming set and TF. */
  writeEflags(v: number, changeable: number): void {
    const old = this.getEflags();
    const nf = ((old & ~changeable) | (v & changeable) | 0x2) & 0x3f7fd7;
    this.flags = nf;
    if (!(old & IF) && (nf & IF)) { this.irqCheck = true; this.attention = true; }
    if (nf & TF) this.attention = true;
  }
  writeCr0(v: number): void {
    v |= CR0_ET;
    if ((v & CR0_PG) && !(v & CR0_PE)) throw new CpuFault(GP, 0, true);
    if ((v & CR0_NW) && !(v & CR0_CD)) throw new CpuFault(GP, 0, true);
    if (!(v & CR0_PE)) throw new Unimplemented(`clearing CR0.PE (real mode) is not modelled, at ${this.eipString()}`);
    if ((v ^ this.cr0) & (CR0_PG | CR0_WP | CR0_PE)) this.flushTlbAll();
    this.cr0 = v;
  }
  /** keepGlobal: a CR3 load, which keeps the entries of global mappings (see mmu.ts). */
  flushTlbAll(keepGlobal = false): void {
    this.flushTlb(keepGlobal);
    this.stats.tlbFlushes++;
    this.fetchInvalidate();
  }
  protected override codePageEmptied(ppn: number): void {
    super.codePageEmptied(ppn);
    this.fetchInvalidate();
  }
  protected override itlbEvicted(): void {
    this.fetchInvalidate();
  }
  fetchInvalidate(): void {
    this.fetchLpn = -1;
    this.fetchPage = null;
    this.fetchBlocks = null;
    this.codeEpoch++;
  }
  override setCpl(cpl: number): void {
    if (cpl !== this.cpl) this.fetchInvalidate();
    super.setCpl(cpl);
  }
  /** sti and mov/pop ss: no interrupt is recognised before the next instruction completes. */
  interruptShadow(): void {
    this.shadow = true;
    this.irqCheck = true;
    this.attention = true;
  }
  halt(): void {
    this.halted = true;
    this.attention = true;
  }
  private dropAllDecoded(): void {
    for (let p = 0; p < this.codeCache.length; p++) this.codeCache[p] = this.blockCache[p] = undefined;
    this.codePage.fill(0);
    this.fetchInvalidate();
  }

  // ---- fetch and decode ------------------------------------------------------------------------
  private fetch(): Insn {
    const eip = this.eip;
    const lin = (this.segBase[CS]! + eip) | 0;
    const lpn = lin >>> 12;
    let page: (Insn | undefined)[] | null;
    if (lpn === this.fetchLpn) page = this.fetchPage;
    else page = this.fetchSlow(lin);
    if (page !== null) {
      const insn = page[lin & 0xfff];
      if (insn !== undefined) {
        if (!this.segFastR[CS] && ((eip >>> 0) + insn.len - 1 > this.segLimit[CS]!)) throw new CpuFault(GP, 0, true);
        return insn;
      }
    }
    this.readerEip = eip;
    const insn = decode(this.reader, this.code32, this.costs, ud);
    this.stats.decodes++;
    if (page !== null && (lin & 0xfff) + insn.len <= 0x1000) page[lin & 0xfff] = insn;
    return insn;
  }
  private fetchSlow(lin: number): (Insn | undefined)[] | null {
    if ((this.eip >>> 0) > this.segLimit[CS]!) throw new CpuFault(GP, 0, true);
    const e = this.tlbX[lin >>> 12]!;
    let phys: number;
    if ((e & this.tlbNeed) === this.tlbNeed) { this.stats.tlbHits++; phys = (e & ~0xfff) >>> 0; }
    else phys = this.translate(lin, false, this.tlbNeed !== TLB_VALID, true);
    if (phys >= this.ramSize) { this.fetchLpn = -1; this.fetchPage = null; this.fetchBlocks = null; return null; }
    const ppn = phys >>> 12;
    let page = this.codeCache[ppn];
    if (page === undefined) page = this.codeCache[ppn] = new Array<Insn | undefined>(4096);
    let blocks = this.blockCache[ppn];
    if (blocks === undefined) blocks = this.blockCache[ppn] = new Array<Block | undefined>(4096);
    if (!this.codePage[ppn]) this.protectCodePage(ppn);
    this.fetchLpn = lin >>> 12;
    this.fetchPage = page;
    this.fetchBlocks = blocks;
    return page;
  }
  /** The compiled block at the current EIP, if there is one (the fetch may raise #PF/#GP). */
  private blockAt(): Block | null {
    const lin = (this.segBase[CS]! + this.eip) | 0;
    if (lin >>> 12 !== this.fetchLpn && this.fetchSlow(lin) === null) return null;
    const b = this.fetchBlocks![lin & 0xfff];
    if (b === undefined || b.eip !== this.eip || this.segMaxR[CS]! < b.reach) return null;
    return b;
  }
  /**
   * Whether a block starting at `eip` may be compiled: CS is based at 0 (blocks are keyed by
   * linear address and store offsets) and readable, and the block's page lies within CS's limit.
   * A block runs only while CS's limit covers its reach (its page, and any jcc target beyond it),
   * so none of its instructions needs fetch's limit check: flat segments pass, and so do a Xen
   * guest's user segments, which end below the hypervisor hole. The run loop checks the reach on
   * entry and blockAt when it links; a cached link needs no check, since every CS load changes
   * the code epoch (setSegCache).
   */
  private blockInsideCs(eip: number): boolean {
    return this.segMaxR[CS]! >= ((eip | 0xfff) >>> 0);
  }
  /** Compiles the block starting at the current instruction (see blocks.ts). */
  private compileBlock(first: Insn): void {
    const page = this.fetchPage!;
    const blocks = this.fetchBlocks!;
    const startLin = (this.segBase[CS]! + this.eip) | 0;
    const lpn = startLin >>> 12;
    const saved = this.readerEip;
    const cat = this.ledger.categoryAt(startLin, this.cpl);
    const block = buildBlock(first, this.eip, this.code32, cat, (eip) => {
      const lin = (this.segBase[CS]! + eip) | 0;
      if (lin >>> 12 !== lpn || (eip >>> 0) > this.segLimit[CS]!) return null;
      const off = lin & 0xfff;
      let insn = page[off];
      if (insn !== undefined) return insn;
      this.readerEip = eip;
      try {
        insn = decode(this.reader, this.code32, this.costs, ud);
      } catch (e) {
        if (e instanceof CpuFault) return null;
        throw e;
      }
      this.stats.decodes++;
      if (off + insn.len > 0x1000) return null;
      page[off] = insn;
      return insn;
    });
    blocks[startLin & 0xfff] = block;
    this.readerEip = saved;
  }
  /** Byte n of the instruction being decoded (CS limit and paging checked). */
  private codeByte(n: number): number {
    const off = this.code32 ? (this.readerEip + n) | 0 : (this.readerEip + n) & 0xffff;
    if ((off >>> 0) > this.segLimit[CS]!) throw new CpuFault(GP, 0, true);
    const lin = (this.segBase[CS]! + off) | 0;
    const e = this.tlbX[lin >>> 12]!;
    if ((e & this.tlbNeed) === this.tlbNeed) return this.ram[(e & ~0xfff) | (lin & 0xfff)]!;
    const p = this.translate(lin, false, this.tlbNeed !== TLB_VALID, true);
    if (p < this.ramSize) return this.ram[p]!;
    this.chargeDeviceAccess(this.costs.mmio_read);
    return this.bus.mmioRead(p, 1) & 0xff;
  }

  // ---- diagnostics -----------------------------------------------------------------------------
  eipString(): string {
    return `${hex(this.sel[CS]!, 4)}:${hex(this.eip, 8)}`;
  }
  /** The bytes of a decoded instruction, for error messages. */
  insnBytes(i: Insn): string {
    const out: string[] = [];
    this.readerEip = this.eip;
    try {
      for (let n = 0; n < i.len; n++) out.push(hex(this.codeByte(n), 2));
    } catch {
      out.push('??');
    }
    return out.join(' ');
  }
  /** Register dump for error messages. */
  dumpState(): string {
    const r = this.r;
    const names = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
    const order = [EAX, EBX, ECX, EDX, ESI, EDI, EBP, ESP];
    const lines: string[] = [];
    lines.push(order.map((n) => `${names[n]}=${hex(r[n]!, 8)}`).join(' '));
    lines.push(`eip=${hex(this.eip, 8)} eflags=${hex(this.getEflags(), 8)} cpl=${this.cpl} halted=${this.halted}`);
    lines.push(SEG_NAMES.map((n, s) => `${n}=${hex(this.sel[s]!, 4)}(base=${hex(this.segBase[s]!, 8)} limit=${hex(this.segLimit[s]!, 8)} ar=${hex(this.segAr[s]!, 6)}${this.segValid[s] ? '' : ' null'})`).join(' '));
    lines.push(`cr0=${hex(this.cr0, 8)} cr2=${hex(this.cr2, 8)} cr3=${hex(this.cr3, 8)} cr4=${hex(this.cr4, 8)}`);
    lines.push(`gdtr=${hex(this.gdtBase, 8)}/${hex(this.gdtLimit, 4)} idtr=${hex(this.idtBase, 8)}/${hex(this.idtLimit, 4)} ldtr=${hex(this.ldtSel, 4)} tr=${hex(this.trSel, 4)}(base=${hex(this.trBase, 8)})`);
    lines.push(`cycles=${this.cycles} instructions=${this.stats.instructions}`);
    return lines.join('\n');
  }
}

export { ECX, EDX, ESI, EDI, EBP };
