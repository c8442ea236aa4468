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
  try {
  for (;;) {
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

function advance(cpu: Cpu, reg: number, step: number, as32: boolean): void {
  if (as32) cpu.r[reg] = (cpu.r[reg]! + step) | 0;
  else cpu.r[reg] = (cpu.r[reg]! & ~0xffff) | ((cpu.r[reg]! + step) & 0xffff);
}
