// Page-table validation: Xen's frame types (none, L1, L2, GDT) with reference counts, so that
// a domain can never map hypervisor memory and never holds a writable mapping of a frame the CPU
// uses as a page table or descriptor table. Every change to a typed frame goes through here;
// a refused change throws XenRefusal, which Xen turns into "domain crashed: <message>".
import type { Cpu } from '../../cpu/cpu.ts';
import { hex } from '../../hex.ts';
import { HOLE_FIRST_SLOT, PAGE } from './layout.ts';

export const T_NONE = 0, T_L1 = 1, T_L2 = 2, T_GDT = 3;
const TYPE_NAMES = ['ordinary', 'L1 page table', 'L2 page directory', 'GDT'];

export class XenRefusal extends Error {}


export interface PagingCosts { perEntry: number; perValidatedEntry: number }

export class PageTypes {
  readonly type: Uint8Array;
  /** L1: validated L2 entries pointing at it; L2: 1 while it is the base pointer. */
  private readonly refs: Uint32Array;
  private readonly pinned: Uint8Array;
  /** Writable present entries of typed L1 frames mapping each frame. */
  readonly writable: Uint32Array;
  /** Entries scanned or checked, for the statistics and the cost. */
  entriesChecked = 0;
  /** Xen's own slot-0x3F0 entry, written into every L2 it validates. */
  holeEntry = 0;
  /**
   * Called when a frame becomes a table: a stale writable TLB entry for it must not survive, so
   * Xen flushes the TLB then (the only flush it does on its own; updates leave flushing to the guest).
   */
  onTyped: () => void = () => {};

  constructor(
    private readonly cpu: Cpu,
    /** Frames [0, domainFrames) belong to the domain. */
    readonly domainFrames: number,
    /** Hypervisor frames the domain may map (the shared-info page). */
    readonly mappableXenFrames: Set<number>,
    /** Is this machine frame inside an assigned device's MMIO range? */
    readonly isDeviceFrame: (frame: number) => boolean,
    private readonly ramFrames: number,
  ) {
    const n = ramFrames;
    this.type = new Uint8Array(n);
    this.refs = new Uint32Array(n);
    this.pinned = new Uint8Array(n);
    this.writable = new Uint32Array(n);
  }

  private entry(frame: number, i: number): number {
    return this.cpu.physRead32(frame * PAGE + i * 4);
  }

  typeName(frame: number): string {
    return frame < this.ramFrames ? TYPE_NAMES[this.type[frame]!]! : 'not RAM';
  }

  /** Checks that an L1 entry may exist; `where` describes it for the message. */
  checkL1Entry(e: number, where: string): void {
    this.entriesChecked++;
    if (!(e & 1)) return;
    const f = e >>> 12;
    if (f < this.domainFrames) {
      if ((e & 2) && this.type[f] !== T_NONE) {
        throw new XenRefusal(`${where} := ${hex(e)} is a writable mapping of machine frame ${hex(f)}, which is a ${this.typeName(f)} (page tables are changed through mmu_update, never written directly)`);
      }
      return;
    }
    if (this.mappableXenFrames.has(f)) return;
    if (f >= this.ramFrames && this.isDeviceFrame(f)) return;
    if (f < this.ramFrames) {
      throw new XenRefusal(`${where} := ${hex(e)} maps machine frame ${hex(f)}, which is hypervisor memory (${hex(this.domainFrames * PAGE)}-${hex(this.ramFrames * PAGE - 1)})`);
    }
    throw new XenRefusal(`${where} := ${hex(e)} maps machine frame ${hex(f)}, which is neither RAM of the domain nor an assigned device`);
  }

  private checkFrameNumber(f: number, what: string): void {
    if (f >= this.domainFrames) throw new XenRefusal(`${what}: machine frame ${hex(f)} is not the domain's (domain frames end at ${hex(this.domainFrames)})`);
  }

  /** Gives frame `f` type L1 (validating it) or adds a reference if it has it already. */
  private getL1(f: number, what: string): void {
    this.checkFrameNumber(f, what);
    const t = this.type[f]!;
    if (t === T_L1) { this.refs[f]!++; return; }
    if (t !== T_NONE) throw new XenRefusal(`${what}: frame ${hex(f)} is a ${this.typeName(f)} and cannot also be an L1 page table`);
    this.becomeTable(f, T_L1, what);
    this.refs[f] = 1;
  }
  private putL1(f: number): void {
    if (this.type[f] !== T_L1) return;
    if (this.refs[f]! > 0) this.refs[f]!--;
    if (this.refs[f] === 0 && !this.pinned[f]) this.untype(f);
  }

  private becomeTable(f: number, t: number, what: string): void {
    if (this.writable[f]! > 0) {
      throw new XenRefusal(`${what}: frame ${hex(f)} cannot become a ${TYPE_NAMES[t]}: ${this.writable[f]} writable mapping(s) of it exist`);
    }
    this.onTyped();
    if (t === T_L1) {
      for (let i = 0; i < 1024; i++) this.checkL1Entry(this.entry(f, i), `L1 frame ${hex(f)} entry ${i}`);
      // A frame may map itself or a sibling table only read-only, which the check above ensured.
      for (let i = 0; i < 1024; i++) {
        const e = this.entry(f, i);
        if ((e & 3) === 3 && (e >>> 12) < this.ramFrames) this.writable[e >>> 12]!++;
      }
      this.type[f] = T_L1;
    } else if (t === T_L2) {
      this.type[f] = T_L2; // set first: an entry pointing back at its own directory is refused as a type clash
      const taken: number[] = [];
      try {
        for (let i = 0; i < 1024; i++) {
          const e = this.entry(f, i);
          this.entriesChecked++;
          if (i >= HOLE_FIRST_SLOT) {
            if ((e & 1) && e !== this.holeEntry) throw new XenRefusal(`${what}: L2 frame ${hex(f)} entry ${i} (${hex(i << 22)}) := ${hex(e)} lies in the hypervisor hole (0xfc000000 up)`);
            continue;
          }
          if (!(e & 1)) continue;
          if (e & 0x80) throw new XenRefusal(`${what}: L2 frame ${hex(f)} entry ${i} := ${hex(e)} is a 4 MiB page (not supported)`);
          this.getL1(e >>> 12, `${what}: L2 frame ${hex(f)} entry ${i}`);
          taken.push(e >>> 12);
        }
      } catch (err) {
        for (const l1 of taken) this.putL1(l1);
        this.type[f] = T_NONE;
        throw err;
      }
      this.cpu.physWrite32(f * PAGE + HOLE_FIRST_SLOT * 4, this.holeEntry);
    } else {
      this.type[f] = t;
    }
  }

  private untype(f: number): void {
    const t = this.type[f]!;
    this.type[f] = T_NONE;
    if (t === T_L1) {
      for (let i = 0; i < 1024; i++) {
        const e = this.entry(f, i);
        if ((e & 3) === 3 && (e >>> 12) < this.ramFrames && this.writable[e >>> 12]! > 0) this.writable[e >>> 12]!--;
      }
    } else if (t === T_L2) {
      for (let i = 0; i < HOLE_FIRST_SLOT; i++) {
        const e = this.entry(f, i);
        if (e & 1) this.putL1(e >>> 12);
      }
    }
  }

  pin(f: number, t: typeof T_L1 | typeof T_L2, what: string): void {
    this.checkFrameNumber(f, what);
    if (this.pinned[f]) throw new XenRefusal(`${what}: frame ${hex(f)} is already pinned`);
    if (this.type[f] === T_NONE) this.becomeTable(f, t, what);
    else if (this.type[f] !== t) throw new XenRefusal(`${what}: frame ${hex(f)} is a ${this.typeName(f)}, not a ${TYPE_NAMES[t]}`);
    this.pinned[f] = 1;
  }

  unpin(f: number, current: number, what: string): void {
    if (f >= this.ramFrames || !this.pinned[f]) throw new XenRefusal(`${what}: frame ${hex(f)} is not pinned`);
    if (f === current) throw new XenRefusal(`${what}: frame ${hex(f)} is the current page directory`);
    this.pinned[f] = 0;
    if (this.type[f] === T_L1 && this.refs[f]! > 0) return;
    this.untype(f);
  }

  /** NEW_BASEPTR: the frame must validate as an L2; returns nothing, the caller loads CR3. */
  useAsBase(f: number, old: number, what: string): void {
    this.checkFrameNumber(f, what);
    if (this.type[f] === T_NONE) this.becomeTable(f, T_L2, what);
    else if (this.type[f] !== T_L2) throw new XenRefusal(`${what}: frame ${hex(f)} is a ${this.typeName(f)}, not an L2 page directory`);
    this.refs[f]!++;
    if (old >= 0 && old < this.ramFrames && this.type[old] === T_L2) {
      if (this.refs[old]! > 0) this.refs[old]!--;
      if (this.refs[old] === 0 && !this.pinned[old]) this.untype(old);
    }
  }

  /** One MMU_NORMAL_PT_UPDATE: `ptr` is the machine address of the entry. */
  update(ptr: number, val: number, what: string): void {
    const f = ptr >>> 12;
    const i = (ptr & 0xfff) >>> 2;
    if (f >= this.ramFrames || (ptr & 3)) throw new XenRefusal(`${what}: ${hex(ptr)} is not an entry of a page-table frame`);
    const t = this.type[f]!;
    const old = this.entry(f, i);
    const where = `${what}: ${t === T_L2 ? 'L2' : 'L1'} entry ${hex(ptr)}`;
    if (t === T_L1) {
      this.checkL1Entry(val, where);
      if ((val & 3) === 3 && (val >>> 12) < this.ramFrames) this.writable[val >>> 12]!++;
      if ((old & 3) === 3 && (old >>> 12) < this.ramFrames && this.writable[old >>> 12]! > 0) this.writable[old >>> 12]!--;
    } else if (t === T_L2) {
      this.entriesChecked++;
      if (i >= HOLE_FIRST_SLOT) throw new XenRefusal(`${where} := ${hex(val)} lies in the hypervisor hole (0xfc000000 up)`);
      if (val & 1) {
        if (val & 0x80) throw new XenRefusal(`${where} := ${hex(val)} is a 4 MiB page (not supported)`);
        if (!((old & 1) && (old >>> 12) === (val >>> 12))) this.getL1(val >>> 12, where);
        else { this.cpu.physWrite32(ptr, val); return; }
      }
      if (old & 1) this.putL1(old >>> 12);
    } else {
      throw new XenRefusal(`${what}: ${hex(ptr)} lies in frame ${hex(f)}, a ${this.typeName(f)} frame, not a page table (pin it first)`);
    }
    this.cpu.physWrite32(ptr, val);
  }
}
