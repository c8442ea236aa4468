// Paging, the TLB and linear-address memory access. Two-level 4 KiB paging with 4 MiB PSE pages,
// CR0.WP, U/S and R/W checks, accessed/dirty bits and #PF error codes with CR2.
//
// The TLB is two flat arrays indexed by linear page number, one for reads and one for writes.
// An entry is the physical page base | VALID | USER, where USER means ring 3 may use it. A hot
// access is one array load and a mask compare: (entry & need) === need, with need = VALID for
// CPL 0-2 and VALID|USER for CPL 3. Entries are only made for RAM pages; MMIO always takes the
// slow path. A write entry is made only after the dirty bit is set and only for pages holding
// no decoded code, so every write to a code page reaches writeSlow, which drops the decoded
// instructions it overlaps (self-modifying code, the wedge's run-time patches). A page whose last
// decoded instruction is overwritten holds data again (freed kernel init code, a reused process
// page) and gets write entries again.
//
// These arrays are the emulator's, not the processor's: an access that finds no usable entry in
// them is not by itself a TLB miss. The slow path asks the modelled TLB (countLookup): another
// 4 KiB page of a resident 4 MiB mapping, a write to a code page, a write to a page first read
// whose translation was filled dirty, and each half of a page-crossing access hit, as on the
// Pentium 4; only a translation the TLB lacks, and a write through a translation filled clean
// (the processor walks to set the dirty bit), walk the page tables and charge tlb_miss_refill.
// The unbounded TLB (0 entries) is a set that never evicts.
//
// Global pages: with CR4.PGE set, an entry made from a PTE (or 4 MiB PDE) with the G bit carries
// TLB_GLOBAL and survives a CR3 load, as on the Pentium 4; only invlpg, a CR4.PGE/PSE or CR0.PG/WP
// change flushes it. An address-space switch then refills only the non-global entries.
//
// Cache-cold DMA: a line a device wrote by DMA is not in the CPU's caches, so the CPU's first read
// of it is a memory access (l2_miss_to_memory); later reads hit. Lines are the Pentium 4's 128-byte
// L2 lines (COSTS.md §1). A page holding such lines keeps its read entry without TLB_VALID but with
// TLB_COLD, so reads there leave the hot path, pay for the lines they touch first, and the entry
// becomes valid again once the page has no cold line left (no page walk is charged for it).
//
// Capacity: with the profile's dtlb_entries / itlb_entries set, the TLB holds only as many
// translations as the Pentium 4's (tlb-capacity.ts): instruction fetches then translate through
// their own array (tlbX, the ITLB) and data accesses through tlbR/tlbW (the DTLB), each backed by a
// TlbSet; a fill that finds its set full drops the oldest translation's entries, so its next use
// walks the page tables again. With both at 0 the TLB is unbounded and fetches share tlbR.
import { CycleLedger } from './cycle-ledger.ts';
import { WIDE_COUNT } from '../clock.ts';
import type { Bus, AccessSize, CostTable } from '../types.ts';
import { CpuRegs } from './flags.ts';
import { cpuState } from '../guest-memory.ts';
import { CpuFault, PF as PF_VEC } from './fault.ts';
import type { CpuStats } from './stats.ts';
import type { Insn } from './decode.ts';
import type { Block } from './blocks.ts';
import { LARGE_TAG, TlbSet, UNBOUNDED } from './tlb-capacity.ts';

export const TLB_VALID = 2;
export const TLB_USER = 1;
/** Made from a global mapping (G bit with CR4.PGE): kept across CR3 loads. */
export const TLB_GLOBAL = 4;
/** A read entry of a page with DMA-written lines not yet read: translated, but not on the hot path. */
export const TLB_COLD = 8;
/** log2 of the cache line a DMA write leaves cold: 128 bytes, the Pentium 4's L2 line (COSTS.md §1). */
export const COLD_LINE_SHIFT = 7;
const PTE_G = 0x100;

export const CR0_PE = 0x1, CR0_MP = 0x2, CR0_EM = 0x4, CR0_TS = 0x8, CR0_ET = 0x10, CR0_NE = 0x20;
export const CR0_WP = 0x10000, CR0_AM = 0x40000, CR0_NW = 0x20000000, CR0_CD = 0x40000000;
export const CR0_PG = 0x80000000 | 0;
export const CR4_VME = 0x1, CR4_PVI = 0x2, CR4_TSD = 0x4, CR4_DE = 0x8, CR4_PSE = 0x10, CR4_PGE = 0x80;

const TLB_LIST_MAX = 16384;
/** Linear pages remembered per physical page beyond the first before coolReadEntries scans instead. */
const RMAP_ALIASES_MAX = 32;

export class CpuMemory extends CpuRegs {
  readonly ram: Uint8Array;
  /** RAM as 32-bit words for aligned accesses (the machine allocates RAM word-aligned). */
  readonly ram32: Int32Array;
  readonly ramSize: number;
  readonly bus: Bus;
  readonly costs: CostTable;
  stats: CpuStats;
  /** Starts as a double (clock.ts WIDE_COUNT): it passes 2^31 within a second of guest time. */
  cycles = WIDE_COUNT;
  /** Where the cycles go, by category (cycle-ledger.ts); MMIO accesses charge its device category. */
  readonly ledger: CycleLedger = new CycleLedger(this, 0);

  /** A port or MMIO access: its cycles, in the ledger's device category. */
  chargeDeviceAccess(n: number): void {
    this.cycles += n;
    this.ledger.chargeDevice(n);
  }

  cr0 = 0;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  /** Current privilege level (from CS.RPL). */
  cpl = 0;
  /** A CR3 load keeps global pages' entries (off only to measure what that contributes). */
  keepGlobalPages = true;
  /** TLB mask for the current access privilege: TLB_VALID, or TLB_VALID|TLB_USER at CPL 3. */
  tlbNeed = TLB_VALID;

  /** Data TLB entries by linear page, for reads and for writes (views in guest-memory.ts's memory). */
  readonly tlbR: Int32Array;
  readonly tlbW: Int32Array;
  /** Instruction-fetch entries: their own array (the ITLB) under a capacity model, else tlbR. */
  readonly tlbX: Int32Array;
  /**
   * The translations the data TLB holds (see tlb-capacity.ts; unbounded with the profile's 0
   * dtlb_entries, and then also the instruction fetches' when itlb_entries is 0 too), and the
   * instruction TLB's under a capacity model (else null).
   */
  readonly dtlb: TlbSet;
  readonly itlb: TlbSet | null;
  /** Linear page numbers with a TLB entry, so a flush touches only those. */
  private tlbList = new Int32Array(TLB_LIST_MAX);
  private tlbCount = 0;
  private tlbOverflow = false;
  /** 1 where a linear page is in tlbList already, so the list holds each page once. */
  private readonly tlbNoted = new Uint8Array(1 << 20);
  /**
   * Reverse map for coolReadEntries: rmap[ppn] is 1 + the first linear page given a read entry for
   * physical page ppn since the last full flush (0: none); rmapAliases holds the others, and a page
   * in rmapScan had too many to remember, so cooling it scans the TLB. Stale members are harmless
   * (cooling checks the entry still maps the page); a missing one would not be.
   */
  private readonly rmap: Int32Array;
  private readonly rmapAliases = new Map<number, number[]>();
  private readonly rmapScan: Uint8Array;
  /** The physical pages with something in the reverse map, so a reset touches only those. */
  private readonly rmapPages: Int32Array;
  private rmapCount = 0;

  /** Reads that found a DMA-written line cold and paid a memory access. */
  coldLineReads = 0;
  /** 1 where a RAM line was written by DMA and not read by the CPU since (loop functions read it: block-inline.ts loadStmt). */
  readonly coldLine: Uint8Array;
  /** Cold lines per RAM page (read by loop functions too). */
  readonly coldInPage: Uint16Array;
  /** Decoded instructions by physical page, indexed by offset within the page. */
  readonly codeCache: (Array<Insn | undefined> | undefined)[];
  /** The compiled blocks by physical page and offset of their first instruction, beside
   *  codeCache and dropped with its entries: the run loop finds a block without touching an Insn. */
  readonly blockCache: (Array<Block | undefined> | undefined)[];
  /** 1 where a physical RAM page holds decoded instructions. */
  readonly codePage: Uint8Array;
  /** Decoded code was just overwritten: a running compiled block must stop (see blocks.ts). */
  smc = false;
  /**
   * Bumped whenever a cached link from one compiled block to the next may have become wrong:
   * TLB flushes and invlpg (the linear-to-physical map), CPL and CS changes, dropped code.
   */
  codeEpoch = 0;

  constructor(bus: Bus, costs: CostTable, stats: CpuStats) {
    const state = cpuState(bus.ram);
    super(state.r);
    this.tlbR = state.tlbR;
    this.tlbW = state.tlbW;
    this.cycles = 0;
    this.bus = bus;
    this.costs = costs;
    this.stats = stats;
    this.ram = bus.ram;
    this.ramSize = bus.ram.length & ~0xfff;
    if (bus.ram.byteOffset & 3) throw new Error('RAM must be 4-byte aligned');
    this.ram32 = new Int32Array(bus.ram.buffer, bus.ram.byteOffset, bus.ram.length >> 2);
    const pages = this.ramSize >>> 12;
    this.codeCache = new Array(pages).fill(undefined);
    this.blockCache = new Array(pages).fill(undefined);
    this.codePage = new Uint8Array(pages);
    this.coldLine = new Uint8Array(this.ramSize >>> COLD_LINE_SHIFT);
    this.coldInPage = new Uint16Array(pages);
    this.rmap = new Int32Array(pages);
    this.rmapScan = new Uint8Array(pages);
    this.rmapPages = new Int32Array(pages);
    this.dtlb = new TlbSet(costs.dtlb_entries > 0 ? costs.dtlb_entries : UNBOUNDED);
    this.itlb = costs.itlb_entries > 0 ? new TlbSet(costs.itlb_entries) : null;
    this.tlbX = costs.dtlb_entries > 0 || costs.itlb_entries > 0 ? state.tlbX : this.tlbR;
  }

  // ---- cache-cold DMA ----------------------------------------------------------------------
  /** A device wrote physical bytes [p, p+len) by DMA: their lines are no longer in the CPU's caches. */
  markDmaWritten(p: number, len: number): void {
    if (len <= 0) return;
    const end = Math.min(p + len, this.ramSize);
    for (let line = p >>> COLD_LINE_SHIFT; line << COLD_LINE_SHIFT < end; line++) {
      if (this.coldLine[line]) continue;
      this.coldLine[line] = 1;
      const ppn = line >>> (12 - COLD_LINE_SHIFT);
      if (this.coldInPage[ppn]++ === 0) this.coolReadEntries(ppn);
    }
  }
  /** Takes the read entries mapping physical page ppn off the hot path (VALID becomes COLD). */
  private coolReadEntries(ppn: number): void {
    const base = ppn << 12;
    const cool = (lpn: number): void => {
      const e = this.tlbR[lpn]!;
      if ((e & TLB_VALID) && (e & ~0xfff) === base) this.tlbR[lpn] = (e & ~TLB_VALID) | TLB_COLD;
    };
    if (!this.rmapScan[ppn]) {
      // The reverse map names every linear page that may map ppn: no scan of the TLB.
      const first = this.rmap[ppn]!;
      if (first !== 0) cool(first - 1);
      const more = this.rmapAliases.get(ppn);
      if (more !== undefined) for (const lpn of more) cool(lpn);
      return;
    }
    if (this.tlbOverflow) { for (let lpn = 0; lpn < this.tlbR.length; lpn++) cool(lpn); return; }
    for (let i = 0; i < this.tlbCount; i++) cool(this.tlbList[i]!);
  }
  /** Records that linear page lpn got a read entry for physical page ppn (see rmap). */
  private noteRmap(lpn: number, ppn: number): void {
    const first = this.rmap[ppn]!;
    if (first === 0) { this.rmap[ppn] = lpn + 1; this.rmapPages[this.rmapCount++] = ppn; return; }
    if (first === lpn + 1 || this.rmapScan[ppn]) return;
    const more = this.rmapAliases.get(ppn);
    if (more === undefined) { this.rmapAliases.set(ppn, [lpn]); return; }
    if (more.includes(lpn)) return;
    if (more.length < RMAP_ALIASES_MAX) more.push(lpn);
    else { this.rmapScan[ppn] = 1; this.rmapAliases.delete(ppn); }
  }
  /**
   * Reads of physical [p, p+len) through the cache-cold read entry of linear page lpn, in one go:
   * the same charges, warming and return of the entry to the hot path as readSlow's cold case
   * gives the same bytes read element by element in order (string-copy bulk runs).
   */
  readColdRun(lpn: number, p: number, len: number): void {
    this.readCold(p, len);
    const e = this.tlbR[lpn]!;
    if (this.coldInPage[p >>> 12] === 0) this.tlbR[lpn] = (e & ~TLB_COLD) | TLB_VALID;
  }
  /** Charges a memory access for each cold line in physical [p, p+size) and warms them. */
  private readCold(p: number, size: number): void {
    const last = (p + size - 1) >>> COLD_LINE_SHIFT;
    for (let line = p >>> COLD_LINE_SHIFT; line <= last; line++) {
      if (!this.coldLine[line]) continue;
      this.coldLine[line] = 0;
      this.coldInPage[line >>> (12 - COLD_LINE_SHIFT)]--;
      this.cycles += this.costs.l2_miss_to_memory;
      this.coldLineReads++;
    }
  }
  /**
   * A read of `size` bytes within one page through the translated entry `e` of a page with
   * cache-cold lines: their charges and warming (readCold), the entry back on the hot path once
   * the page is warm, the TLB hit and the value. readSlow's first case, and rd32's own for the
   * guest's checksum of a received frame, which reads every dword of pages the NIC keeps cold.
   */
  private readColdEntry(lin: number, e: number, size: number): number {
    const page = (e & ~0xfff) >>> 0, p = (page | (lin & 0xfff)) >>> 0;
    this.readCold(p, size);
    if (this.coldInPage[page >>> 12] === 0) this.tlbR[lin >>> 12] = (e & ~TLB_COLD) | TLB_VALID;
    this.stats.tlbHits++;
    if (size === 1) return this.ram[p]!;
    if (size === 2) return this.ram[p]! | (this.ram[p + 1]! << 8);
    if ((p & 3) === 0) return this.ram32[p >>> 2]!;
    return this.ram[p]! | (this.ram[p + 1]! << 8) | (this.ram[p + 2]! << 16) | (this.ram[p + 3]! << 24);
  }

  // ---- physical access (page walks, descriptor tables go through linear access) ------------
  physRead32(p: number): number {
    p >>>= 0;
    if (p + 4 <= this.ramSize) {
      if ((p & 3) === 0) return this.ram32[p >>> 2]!;
      return this.ram[p]! | (this.ram[p + 1]! << 8) | (this.ram[p + 2]! << 16) | (this.ram[p + 3]! << 24);
    }
    this.chargeDeviceAccess(this.costs.mmio_read);
    return this.bus.mmioRead(p, 4) | 0;
  }
  physWrite32(p: number, v: number): void {
    p >>>= 0;
    if (p + 4 <= this.ramSize) {
      if (this.codePage[p >>> 12]) this.invalidateRange(p, 4);
      if ((p & 3) === 0) this.ram32[p >>> 2] = v;
      else { this.ram[p] = v; this.ram[p + 1] = v >> 8; this.ram[p + 2] = v >> 16; this.ram[p + 3] = v >> 24; }
      return;
    }
    this.chargeDeviceAccess(this.costs.mmio_write);
    this.bus.mmioWrite(p, 4, v >>> 0);
  }

  // ---- TLB ---------------------------------------------------------------------------------
  /** Drops every TLB entry, or (keepGlobal: a CR3 load) every entry not made from a global mapping. */
  flushTlb(keepGlobal = false): void {
    const overflow = this.tlbOverflow;
    const n = this.tlbCount;
    this.tlbCount = 0;
    this.tlbOverflow = false;
    let kept = 0;
    if (overflow) {
      this.tlbNoted.fill(0);
      if (!keepGlobal) {
        this.tlbR.fill(0);
        this.tlbW.fill(0);
        this.tlbX.fill(0);
      } else {
        for (let lpn = 0; lpn < this.tlbR.length; lpn++) kept += this.dropUnlessGlobal(lpn);
      }
    } else {
      for (let i = 0; i < n; i++) this.tlbNoted[this.tlbList[i]!] = 0;
      for (let i = 0; i < n; i++) {
        const lpn = this.tlbList[i]!;
        if (keepGlobal) kept += this.dropUnlessGlobal(lpn);
        else { this.tlbR[lpn] = 0; this.tlbW[lpn] = 0; this.tlbX[lpn] = 0; }
      }
    }
    this.dtlb.flush(keepGlobal);
    this.itlb?.flush(keepGlobal);
    if (kept === 0) this.resetRmap();
    this.codeEpoch++;
  }
  /** Returns 1 if the entry survives (a global mapping), else drops it and returns 0. */
  private dropUnlessGlobal(lpn: number): number {
    const r = this.tlbR[lpn]!, w = this.tlbW[lpn]!, x = this.tlbX[lpn]!;
    if (r === 0 && w === 0 && x === 0) return 0;
    if ((r | w | x) & TLB_GLOBAL) { this.noteTlb(lpn); return 1; }
    this.tlbR[lpn] = 0;
    this.tlbW[lpn] = 0;
    this.tlbX[lpn] = 0;
    return 0;
  }
  /** No read entry is left: the reverse map starts empty again. */
  private resetRmap(): void {
    for (let i = 0; i < this.rmapCount; i++) {
      const ppn = this.rmapPages[i]!;
      this.rmap[ppn] = 0;
      this.rmapScan[ppn] = 0;
    }
    this.rmapCount = 0;
    this.rmapAliases.clear();
  }
  invalidatePage(lin: number): void {
    const lpn = lin >>> 12;
    this.dtlb.remove(lpn);
    if (this.dtlb.remove(LARGE_TAG + (lpn >>> 10))) this.dropTag(LARGE_TAG + (lpn >>> 10), false);
    if (this.itlb !== null) {
      this.itlb.remove(lpn);
      if (this.itlb.remove(LARGE_TAG + (lpn >>> 10))) this.dropTag(LARGE_TAG + (lpn >>> 10), true);
    }
    this.tlbR[lpn] = 0;
    this.tlbW[lpn] = 0;
    this.tlbX[lpn] = 0;
    this.codeEpoch++;
  }
  /** Drops the entries of one translation (a tag of tlb-capacity.ts) from the ITLB's or the DTLB's arrays. */
  private dropTag(tag: number, fetch: boolean): void {
    const first = tag >= LARGE_TAG ? (tag - LARGE_TAG) << 10 : tag;
    const end = tag >= LARGE_TAG ? first + 1024 : first + 1;
    if (fetch) {
      for (let lpn = first; lpn < end; lpn++) this.tlbX[lpn] = 0;
      this.itlbEvicted();
    } else {
      for (let lpn = first; lpn < end; lpn++) { this.tlbR[lpn] = 0; this.tlbW[lpn] = 0; }
    }
  }
  /**
   * The last decoded instruction of physical page ppn was overwritten: the page holds data now (a
   * kernel frees its init code, a process's text page is reused), so its writes go back to the
   * fast path. The page is protected again when code is next fetched from it (Cpu.fetchSlow);
   * the CPU drops its cached fetch page, which may be this one, so that fetch comes.
   */
  protected codePageEmptied(ppn: number): void {
    this.codePage[ppn] = 0;
  }
  /** An instruction translation left the ITLB: cached fetch pages and block links may name it. */
  protected itlbEvicted(): void {
    this.codeEpoch++;
  }
  private noteTlb(lpn: number): void {
    if (this.tlbNoted[lpn]) return;
    if (this.tlbCount < TLB_LIST_MAX) { this.tlbList[this.tlbCount++] = lpn; this.tlbNoted[lpn] = 1; }
    else this.tlbOverflow = true;
  }
  /** A physical page just received decoded code: later writes to it must take the slow path. */
  protectCodePage(ppn: number): void {
    this.codePage[ppn] = 1;
    const base = ppn << 12;
    if (this.tlbOverflow) {
      for (let i = 0; i < this.tlbW.length; i++) if (this.tlbW[i] && (this.tlbW[i]! & ~0xfff) === base) this.tlbW[i] = 0;
      return;
    }
    for (let i = 0; i < this.tlbCount; i++) {
      const lpn = this.tlbList[i]!;
      if (this.tlbW[lpn] && (this.tlbW[lpn]! & ~0xfff) === base) this.tlbW[lpn] = 0;
    }
  }
  /** Drops decoded instructions overlapping physical bytes [p, p+len). */
  invalidateRange(p: number, len: number): void {
    const end = p + len;
    for (let page = p >>> 12; page <= (end - 1) >>> 12 && page < this.codePage.length; page++) {
      const cache = this.codeCache[page];
      if (!cache) continue;
      const pageBase = page << 12;
      const lo = Math.max(pageBase, p - 15) - pageBase;
      const hi = Math.min(end, pageBase + 4096) - pageBase;
      let dropped = false;
      for (let off = lo; off < hi; off++) {
        const insn = cache[off];
        if (insn !== undefined && pageBase + off + insn.len > p) {
          cache[off] = undefined;
          this.stats.codeInvalidations++;
          dropped = true;
        }
      }
      if (dropped) {
        // Compiled blocks may span the changed bytes: drop every block of the page.
        this.blockCache[page]?.fill(undefined);
        this.smc = true;
        this.codeEpoch++;
        if (!cache.some((insn) => insn !== undefined)) this.codePageEmptied(page);
      }
    }
  }

  private pageFault(lin: number, write: boolean, user: boolean, present: boolean): never {
    this.cr2 = lin | 0;
    throw new CpuFault(PF_VEC, (present ? 1 : 0) | (write ? 2 : 0) | (user ? 4 : 0), true);
  }

  /**
   * Translates a linear address for an access, raising #PF, setting accessed/dirty bits and
   * filling the TLB. Returns the physical address (unsigned).
   */
  translate(lin: number, write: boolean, user: boolean, fetch = false): number {
    lin >>>= 0;
    const lpn = lin >>> 12;
    let physPage: number, us: boolean, rw: boolean;
    let global = 0;
    let tag = lpn;
    /** The mapping's dirty bit after the walk: a DTLB entry filled from it holds it (countLookup). */
    let dirty = true;
    if (!(this.cr0 & CR0_PG)) {
      physPage = (lin & ~0xfff) >>> 0;
      us = true; rw = true;
    } else {
      const pdeAddr = ((this.cr3 & ~0xfff) >>> 0) + ((lin >>> 22) << 2);
      let pde = this.physRead32(pdeAddr);
      // A present 4 MiB mapping is one translation of the TLB (tlb-capacity.ts).
      if ((pde & 0x81) === 0x81 && (this.cr4 & CR4_PSE)) tag = LARGE_TAG + (lin >>> 22);
      this.countLookup(tag, write, fetch);
      if (!(pde & 1)) this.pageFault(lin, write, user, false);
      if ((pde & 0x80) && (this.cr4 & CR4_PSE)) {
        us = (pde & 4) !== 0; rw = (pde & 2) !== 0;
        this.checkAccess(lin, write, user, us, rw);
        const want = pde | 0x20 | (write ? 0x40 : 0);
        if (want !== pde) { pde = want; this.physWrite32(pdeAddr, pde); }
        physPage = ((pde & 0xffc00000) | (lin & 0x3ff000)) >>> 0;
        dirty = (pde & 0x40) !== 0;
        if ((pde & PTE_G) && (this.cr4 & CR4_PGE)) global = TLB_GLOBAL;
      } else {
        if (!(pde & 0x20)) { pde |= 0x20; this.physWrite32(pdeAddr, pde); }
        const pteAddr = ((pde & ~0xfff) >>> 0) + ((lpn & 0x3ff) << 2);
        let pte = this.physRead32(pteAddr);
        if (!(pte & 1)) this.pageFault(lin, write, user, false);
        us = (pde & pte & 4) !== 0; rw = (pde & pte & 2) !== 0;
        this.checkAccess(lin, write, user, us, rw);
        const want = pte | 0x20 | (write ? 0x40 : 0);
        if (want !== pte) { pte = want; this.physWrite32(pteAddr, pte); }
        physPage = (pte & ~0xfff) >>> 0;
        dirty = (pte & 0x40) !== 0;
        if ((pte & PTE_G) && (this.cr4 & CR4_PGE)) global = TLB_GLOBAL;
      }
    }
    if (physPage < this.ramSize) {
      if (fetch && this.tlbX !== this.tlbR) {
        // The ITLB of a capacity model: fetches fill only their own entry.
        this.tlbX[lpn] = physPage | TLB_VALID | (us ? TLB_USER : 0) | global;
        this.noteTlb(lpn);
        if (this.itlb !== null && (this.cr0 & CR0_PG)) {
          const victim = this.itlb.insert(tag, global !== 0, false);
          if (victim >= 0) this.dropTag(victim, true);
        }
        return (physPage | (lin & 0xfff)) >>> 0;
      }
      if (this.cr0 & CR0_PG) {
        const victim = this.dtlb.insert(tag, global !== 0, dirty);
        if (victim >= 0) this.dropTag(victim, false);
      }
      this.tlbR[lpn] = physPage | (this.coldInPage[physPage >>> 12] ? TLB_COLD : TLB_VALID) | (us ? TLB_USER : 0) | global;
      this.noteRmap(lpn, physPage >>> 12);
      if (write && !this.codePage[physPage >>> 12]) {
        const supOk = rw || !(this.cr0 & CR0_WP);
        this.tlbW[lpn] = supOk ? physPage | TLB_VALID | (us && rw ? TLB_USER : 0) | global : 0;
      }
      this.noteTlb(lpn);
    }
    return (physPage | (lin & 0xfff)) >>> 0;
  }
  /**
   * Counts one lookup of the modelled TLB by an access that found no usable entry in the
   * emulator's per-page arrays, for the translation `tag` (tlb-capacity.ts). Those arrays hold
   * a 4 KiB page's entry only once it was used, and a write entry only for a dirty page without
   * decoded code (code pages keep writes on the slow path to catch self-modifying code), so an
   * access can get here while the Pentium 4's TLB still holds its translation: another 4 KiB page
   * of a resident 4 MiB mapping, a write to a code page, a write to a page first read, either
   * half of a page-crossing access. Those hit, as on the processor; a miss, and a write that
   * finds its translation clean (the processor walks to set the dirty bit), walk the page tables
   * and charge tlb_miss_refill. The unbounded TLB follows the same rule (its set never evicts).
   */
  private countLookup(tag: number, write: boolean, fetch: boolean): void {
    // Fetches share the data TLB when both are unbounded (tlbX is tlbR), else use the ITLB's set.
    const set = fetch && this.tlbX !== this.tlbR ? this.itlb : this.dtlb;
    if (set !== null && set.has(tag) && (!write || set.isDirty(tag))) {
      this.stats.tlbHits++;
      return;
    }
    this.stats.tlbMisses++;
    this.cycles += this.costs.tlb_miss_refill;
  }
  private checkAccess(lin: number, write: boolean, user: boolean, us: boolean, rw: boolean): void {
    if (user && !us) this.pageFault(lin, write, user, true);
    if (write && !rw && (user || (this.cr0 & CR0_WP))) this.pageFault(lin, write, user, true);
  }

  // ---- linear access -------------------------------------------------------------------------
  // Hot paths: one TLB load and compare; everything else (misses, MMIO, page-crossing, code pages)
  // goes to the *Slow functions. Values are returned as signed 32-bit for dwords, unsigned below.
  rd8(lin: number): number {
    const e = this.tlbR[lin >>> 12]!;
    if ((e & this.tlbNeed) === this.tlbNeed) {
      this.stats.tlbHits++;
      return this.ram[(e & ~0xfff) | (lin & 0xfff)]!;
    }
    return this.readSlow(lin, 1, false);
  }
  rd16(lin: number): number {
    const e = this.tlbR[lin >>> 12]!;
    if ((e & this.tlbNeed) === this.tlbNeed && (lin & 0xfff) < 0xfff) {
      this.stats.tlbHits++;
      const p = ((e & ~0xfff) | (lin & 0xfff)) >>> 0;
      return this.ram[p]! | (this.ram[p + 1]! << 8);
    }
    return this.readSlow(lin, 2, false);
  }
  rd32(lin: number): number {
    const e = this.tlbR[lin >>> 12]!;
    if ((e & this.tlbNeed) === this.tlbNeed && (lin & 0xfff) < 0xffd) {
      this.stats.tlbHits++;
      const p = ((e & ~0xfff) | (lin & 0xfff)) >>> 0;
      if ((p & 3) === 0) return this.ram32[p >>> 2]!;
      return this.ram[p]! | (this.ram[p + 1]! << 8) | (this.ram[p + 2]! << 16) | (this.ram[p + 3]! << 24);
    }
    if ((e & TLB_COLD) && (lin & 0xfff) < 0xffd && (this.tlbNeed === TLB_VALID || (e & TLB_USER))) return this.readColdEntry(lin, e, 4);
    return this.readSlow(lin, 4, false);
  }
  rd(lin: number, size: number): number {
    return size === 4 ? this.rd32(lin) : size === 2 ? this.rd16(lin) : this.rd8(lin);
  }
  /** Read with write intent (read-modify-write): faults as a write would, before anything is written. */
  rdW(lin: number, size: number): number {
    const e = this.tlbW[lin >>> 12]!;
    if ((e & this.tlbNeed) === this.tlbNeed && (lin & 0xfff) <= 0x1000 - size) {
      this.stats.tlbHits++;
      const p = ((e & ~0xfff) | (lin & 0xfff)) >>> 0;
      if (size === 4) {
        if ((p & 3) === 0) return this.ram32[p >>> 2]!;
        return this.ram[p]! | (this.ram[p + 1]! << 8) | (this.ram[p + 2]! << 16) | (this.ram[p + 3]! << 24);
      }
      if (size === 2) return this.ram[p]! | (this.ram[p + 1]! << 8);
      return this.ram[p]!;
    }
    return this.readSlow(lin, size, true);
  }
  wr8(lin: number, v: number): void {
    const e = this.tlbW[lin >>> 12]!;
    if ((e & this.tlbNeed) === this.tlbNeed) {
      this.stats.tlbHits++;
      this.ram[(e & ~0xfff) | (lin & 0xfff)] = v;
      return;
    }
    this.writeSlow(lin, 1, v);
  }
  wr16(lin: number, v: number): void {
    const e = this.tlbW[lin >>> 12]!;
    if ((e & this.tlbNeed) === this.tlbNeed && (lin & 0xfff) < 0xfff) {
      this.stats.tlbHits++;
      const p = ((e & ~0xfff) | (lin & 0xfff)) >>> 0;
      this.ram[p] = v; this.ram[p + 1] = v >> 8;
      return;
    }
    this.writeSlow(lin, 2, v);
  }
  wr32(lin: number, v: number): void {
    const e = this.tlbW[lin >>> 12]!;
    if ((e & this.tlbNeed) === this.tlbNeed && (lin & 0xfff) < 0xffd) {
      this.stats.tlbHits++;
      const p = ((e & ~0xfff) | (lin & 0xfff)) >>> 0;
      if ((p & 3) === 0) this.ram32[p >>> 2] = v;
      else { this.ram[p] = v; this.ram[p + 1] = v >> 8; this.ram[p + 2] = v >> 16; this.ram[p + 3] = v >> 24; }
      return;
    }
    this.writeSlow(lin, 4, v);
  }
  wr(lin: number, size: number, v: number): void {
    if (size === 4) this.wr32(lin, v); else if (size === 2) this.wr16(lin, v); else this.wr8(lin, v);
  }

  private readSlow(lin: number, size: number, writeIntent: boolean): number {
    lin >>>= 0;
    const user = this.tlbNeed !== TLB_VALID;
    const off = lin & 0xfff;
    const e = this.tlbR[lin >>> 12]!;
    // Translated already; only the cache is cold.
    if (!writeIntent && (e & TLB_COLD) && (!user || (e & TLB_USER)) && off + size <= 0x1000) return this.readColdEntry(lin, e, size);
    if (off + size > 0x1000) {
      // Page-crossing: translate both pages first so a fault leaves nothing half done.
      const p1 = this.translate(lin, writeIntent, user);
      const p2 = this.translate(((lin & ~0xfff) + 0x1000) >>> 0, writeIntent, user);
      let v = 0;
      for (let i = 0; i < size; i++) {
        const a = off + i < 0x1000 ? p1 + i : (p2 + (off + i - 0x1000)) >>> 0;
        v |= this.physRead8(a) << (8 * i);
      }
      return size === 4 ? v : v >>> 0;
    }
    const p = this.translate(lin, writeIntent, user);
    if (p + size <= this.ramSize) {
      if (this.coldInPage[p >>> 12]) this.readCold(p, size);
      if (size === 1) return this.ram[p]!;
      if (size === 2) return this.ram[p]! | (this.ram[p + 1]! << 8);
      return this.ram[p]! | (this.ram[p + 1]! << 8) | (this.ram[p + 2]! << 16) | (this.ram[p + 3]! << 24);
    }
    this.chargeDeviceAccess(this.costs.mmio_read);
    const v = this.bus.mmioRead(p, size as AccessSize);
    return size === 4 ? v | 0 : v & (size === 2 ? 0xffff : 0xff);
  }
  private physRead8(p: number): number {
    if (p < this.ramSize) {
      if (this.coldInPage[p >>> 12]) this.readCold(p, 1);
      return this.ram[p]!;
    }
    this.chargeDeviceAccess(this.costs.mmio_read);
    return this.bus.mmioRead(p, 1) & 0xff;
  }
  private physWrite8(p: number, v: number): void {
    if (p < this.ramSize) {
      if (this.codePage[p >>> 12]) this.invalidateRange(p, 1);
      this.ram[p] = v;
      return;
    }
    this.chargeDeviceAccess(this.costs.mmio_write);
    this.bus.mmioWrite(p, 1, v & 0xff);
  }
  private writeSlow(lin: number, size: number, v: number): void {
    lin >>>= 0;
    const user = this.tlbNeed !== TLB_VALID;
    const off = lin & 0xfff;
    if (off + size > 0x1000) {
      const p1 = this.translate(lin, true, user);
      const p2 = this.translate(((lin & ~0xfff) + 0x1000) >>> 0, true, user);
      for (let i = 0; i < size; i++) {
        const a = off + i < 0x1000 ? p1 + i : (p2 + (off + i - 0x1000)) >>> 0;
        this.physWrite8(a, v >> (8 * i));
      }
      return;
    }
    const p = this.translate(lin, true, user);
    if (p + size <= this.ramSize) {
      if (this.codePage[p >>> 12]) this.invalidateRange(p, size);
      this.ram[p] = v;
      if (size > 1) this.ram[p + 1] = v >> 8;
      if (size > 2) { this.ram[p + 2] = v >> 16; this.ram[p + 3] = v >> 24; }
      return;
    }
    this.chargeDeviceAccess(this.costs.mmio_write);
    this.bus.mmioWrite(p, size as AccessSize, size === 4 ? v >>> 0 : v & (size === 2 ? 0xffff : 0xff));
  }

  /** Supervisor-mode access regardless of CPL (descriptor tables, TSS, IDT). */
  sysRd32(lin: number): number {
    const need = this.tlbNeed; this.tlbNeed = TLB_VALID;
    try { return this.rd32(lin); } finally { this.tlbNeed = need; }
  }
  sysRd16(lin: number): number {
    const need = this.tlbNeed; this.tlbNeed = TLB_VALID;
    try { return this.rd16(lin); } finally { this.tlbNeed = need; }
  }
  sysWr32(lin: number, v: number): void {
    const need = this.tlbNeed; this.tlbNeed = TLB_VALID;
    try { this.wr32(lin, v); } finally { this.tlbNeed = need; }
  }
}
