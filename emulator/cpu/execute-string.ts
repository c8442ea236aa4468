// String instructions (movs, cmps, stos, lods, scas, ins, outs) with rep/repe/repne. Each element
// updates ESI/EDI/ECX before the next, so a fault part-way leaves a resumable state as on hardware.
// A long rep runs at most REP_BUDGET elements per dispatch and then restarts itself, so interrupts
// and the run loop's cycle limit are honoured between chunks. What it costs is decided in
// profiles/string-costs.ts: a resumed instruction (same address, the ECX it was left with) does
// not pay its set-up again, and a bulk move is charged for the bytes moved since it started.
import type { Cpu } from './cpu.ts';
import type { Insn } from './decode.ts';
import { DF, ECX, ESI, EDI, EAX, EDX } from './flags.ts';
import { ES, CS } from './segments.ts';
import { alu } from './execute-alu.ts';
import { TLB_COLD, TLB_USER, TLB_VALID } from './mmu.ts';
import { repSetupCycles, bulkCycles, repElementCycles } from '../profiles/string-costs.ts';

const REP_BUDGET = 4096;

export function stringOp(cpu: Cpu, i: Insn): void {
  const size = i.os;
  const as32 = i.as32;
  const step = cpu.flags & DF ? -size : size;
  const kind = i.op & 0xfe; // a4 movs, a6 cmps, aa stos, ac lods, ae scas, 6c ins, 6e outs
  const rep = i.rep;
  if (kind === 0x6c) cpu.sens('ins');
  else if (kind === 0x6e) cpu.sens('outs');
  let count = 1;
  const bulk = kind === 0xa4 ? 'movs' : kind === 0xaa ? 'stos' : null;
  const lin = (cpu.segBase[CS]! + cpu.eip) | 0;
  let before = 0; // bytes this instruction moved in earlier pieces
  if (rep) {
    count = as32 ? cpu.r[ECX]! >>> 0 : cpu.r[ECX]! & 0xffff;
    if (count === 0) return;
    const r = cpu.repResume;
    // A resumption is the same instruction: no set-up, and its dispatch cost was paid at the start.
    if (r.lin === lin && r.ecx === count) { before = r.bytes; r.lin = -1; cpu.cycles -= i.cost; }
    else cpu.cycles += repSetupCycles(cpu.costs);
  }
  const srcSeg = i.seg;
  let n = 0;
  let finished = false;
  // Charges the bulk bytes of this piece, and remembers where a suspended instruction stands, on
  // every way out: done, chunk boundary, or a fault on an element.
  // Forward rep movs/stos with 32-bit addresses over base-0 expand-up segments (flat, or ending
  // below a hypervisor's hole) may move whole runs of elements at once (bulkRun), as far as the
  // limits let every element through; not while something waits at the boundary, where each
  // element is a dispatch.
  const fast = rep !== 0 && bulk !== null && as32 && step > 0 && cpu.segMaxW[ES]! >= 0 && (kind === 0xaa || cpu.segMaxR[srcSeg]! >= 0);
  try {
  for (;;) {
    if (fast && !cpu.attention) {
      const k = bulkRun(cpu, kind, size, Math.min(count, REP_BUDGET - n), srcSeg);
      if (k > 0) {
        count -= k;
        n += k;
        cpu.r[ECX] = count;
        if (count === 0) { finished = true; return; }
        if (n >= REP_BUDGET) { cpu.nextEip = cpu.eip; cpu.uncounted++; return; }
        continue;
      }
    }
    const si = as32 ? cpu.r[ESI]! : cpu.r[ESI]! & 0xffff;
    const di = as32 ? cpu.r[EDI]! : cpu.r[EDI]! & 0xffff;
    let stop = false;
    switch (kind) {
      case 0xa4: {
        const v = cpu.rd(cpu.linR(srcSeg, si, size), size);
        cpu.wr(cpu.linW(ES, di, size), size, v);
        advance(cpu, ESI, step, as32); advance(cpu, EDI, step, as32);
        break;
      }
      case 0xa6: {
        const a = cpu.rd(cpu.linR(srcSeg, si, size), size);
        const b = cpu.rd(cpu.linR(ES, di, size), size);
        alu(cpu, 7, a, b, size);
        advance(cpu, ESI, step, as32); advance(cpu, EDI, step, as32);
        stop = rep === 1 ? !cpu.getZF() : cpu.getZF();
        break;
      }
      case 0xaa:
        cpu.wr(cpu.linW(ES, di, size), size, cpu.getReg(size, EAX));
        advance(cpu, EDI, step, as32);
        break;
      case 0xac:
        cpu.setReg(size, EAX, cpu.rd(cpu.linR(srcSeg, si, size), size));
        advance(cpu, ESI, step, as32);
        break;
      case 0xae: {
        const b = cpu.rd(cpu.linR(ES, di, size), size);
        alu(cpu, 7, cpu.getReg(size, EAX), b, size);
        advance(cpu, EDI, step, as32);
        stop = rep === 1 ? !cpu.getZF() : cpu.getZF();
        break;
      }
      case 0x6c: {
        const port = cpu.r[EDX]! & 0xffff;
        cpu.ioCheck(port, size);
        const lin = cpu.linW(ES, di, size);
        cpu.rdW(lin, size); // a fault on the destination must come before the port read
        cpu.wr(lin, size, cpu.portIn(port, size));
        advance(cpu, EDI, step, as32);
        break;
      }
      default: {
        const port = cpu.r[EDX]! & 0xffff;
        cpu.ioCheck(port, size);
        cpu.portOut(port, size, cpu.rd(cpu.linR(srcSeg, si, size), size));
        advance(cpu, ESI, step, as32);
        break;
      }
    }
    if (!rep) { finished = true; return; }
    count--;
    n++;
    if (as32) cpu.r[ECX] = count; else cpu.setReg(2, ECX, count);
    if (bulk === null) cpu.cycles += repElementCycles(cpu.costs);
    if (count === 0 || stop) { finished = true; return; }
    if (n >= REP_BUDGET || cpu.attention) {
      // Not finished: run this instruction again (its retirement is counted once, at the end).
      cpu.nextEip = cpu.eip;
      cpu.uncounted++;
      return;
    }
  }
  } finally {
    if (rep) {
      const after = before + n * size;
      if (bulk !== null) cpu.cycles += bulkCycles(cpu.costs, bulk, after) - bulkCycles(cpu.costs, bulk, before);
      if (!finished) { const r = cpu.repResume; r.lin = lin; r.ecx = count; r.bytes = after; }
    } else if (bulk !== null) {
      cpu.cycles += bulkCycles(cpu.costs, bulk, size);
    }
  }
}

/**
 * Moves up to `max` elements of a forward rep movs (kind 0xa4) or rep stos (0xaa) at ESI/EDI in one
 * TypedArray operation, when every one of them would take the TLB-hit path of rd/wr: the source and
 * destination elements lie within one page each whose entries are on the hot path (RAM, translated,
 * no decoded code; a cache-cold source is warmed as readSlow would), within the segments' limits
 * (segMaxR/segMaxW: the element loop's segCheck faults on the first element beyond), and a copy
 * does not overlap its destination ahead of its source (where element-by-element differs from a
 * block move). Counts the TLB hits and advances ESI/EDI as the element loop would; returns the
 * elements moved (0: take the element loop).
 */
function bulkRun(cpu: Cpu, kind: number, size: number, max: number, srcSeg: number): number {
  const need = cpu.tlbNeed;
  const di = cpu.r[EDI]!;
  const ew = cpu.tlbW[di >>> 12]!;
  if ((ew & need) !== need) return 0;
  let k = Math.min(max, ((0x1000 - (di & 0xfff)) / size) | 0, Math.floor((cpu.segMaxW[ES]! - (di >>> 0) + 1) / size));
  const pd = ((ew & ~0xfff) | (di & 0xfff)) >>> 0;
  const ram = cpu.ram;
  if (kind === 0xa4) {
    const si = cpu.r[ESI]!;
    const er = cpu.tlbR[si >>> 12]!;
    // A cache-cold source page (DMA-written lines not yet read) takes readSlow's cold case per element;
    // its charges and warming over the whole run are those of readColdRun.
    const cold = (er & need) !== need;
    if (cold && !((er & TLB_COLD) && (need === TLB_VALID || (er & TLB_USER)))) return 0;
    k = Math.min(k, ((0x1000 - (si & 0xfff)) / size) | 0, Math.floor((cpu.segMaxR[srcSeg]! - (si >>> 0) + 1) / size));
    if (k <= 0) return 0;
    const ps = ((er & ~0xfff) | (si & 0xfff)) >>> 0;
    const bytes = k * size;
    if (pd > ps && pd < ps + bytes) return 0;
    if (cold) cpu.readColdRun(si >>> 12, ps, bytes);
    ram.copyWithin(pd, ps, ps + bytes);
    cpu.stats.tlbHits += 2 * k;
    cpu.r[ESI] = (si + bytes) | 0;
    cpu.r[EDI] = (di + bytes) | 0;
    return k;
  }
  if (k <= 0) return 0;
  const v = cpu.getReg(size, EAX);
  if (size === 1) ram.fill(v, pd, pd + k);
  else if (size === 4 && (pd & 3) === 0) cpu.ram32.fill(v, pd >>> 2, (pd >>> 2) + k);
  else {
    for (let j = 0; j < k * size; j++) ram[pd + j] = v >>> (8 * (j % size));
  }
  cpu.stats.tlbHits += k;
  cpu.r[EDI] = (di + k * size) | 0;
  return k;
}

function advance(cpu: Cpu, reg: number, step: number, as32: boolean): void {
  if (as32) cpu.r[reg] = (cpu.r[reg]! + step) | 0;
  else cpu.r[reg] = (cpu.r[reg]! & ~0xffff) | ((cpu.r[reg]! + step) & 0xffff);
}
