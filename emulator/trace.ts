// One line per instruction for `world boot --trace`: the cycle, CS:EIP, the instruction's bytes
// and the general registers, taken before the instruction runs. Reads guest memory without side
// effects (its own page walk, no TLB fill, no accessed bits), so tracing never changes a run.
import type { MachineCpu } from './machine.ts';
import type { CostTable } from './types.ts';
import { decode } from './cpu/decode.ts';
import { hexDigits } from './hex.ts';

/** CPU state the trace reads beyond the machine's contract (present on emulator/cpu's Cpu). */
interface TraceView {
  r: Int32Array;
  eip: number;
  cpl: number;
  cr0: number;
  cr3: number;
  cr4: number;
  sel: Int32Array;
  segBase: Int32Array;
  code32: boolean;
  costs: CostTable;
  getEflags(): number;
}

const CS = 1; // segment register order ES, CS, SS, DS, FS, GS
const CR0_PG = 0x80000000;
const CR4_PSE = 0x10;
const MAX_INSN = 15;
const NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];

export function traceLine(cpu: MachineCpu, ram: Uint8Array): string {
  const v = cpu as unknown as Partial<TraceView>;
  if (!v.r || !v.segBase || !v.sel || !v.getEflags) return `${cpu.cycles} ${cpu.dumpState().replace(/\s*\n\s*/g, ' ')}`;
  const eip = v.eip! >>> 0;
  const linear = (v.segBase[CS]! + eip) >>> 0;
  const bytes: string[] = [];
  for (let i = 0; i < MAX_INSN; i++) {
    const p = physical(v as TraceView, ram, (linear + i) >>> 0);
    if (p === null || p >= ram.length) break;
    bytes.push(ram[p]!.toString(16).padStart(2, '0'));
  }
  const raw = bytes.map((b) => parseInt(b, 16));
  bytes.length = insnLength(v as TraceView, raw);
  const regs = NAMES.map((n, i) => `${n}=${hexDigits(v.r![i]!, 8)}`).join(' ');
  const cs = (v.sel[CS]! & 0xffff).toString(16).padStart(4, '0');
  return `${cpu.cycles} ${cs}:${hexDigits(eip, 8)} ${bytes.join(' ').padEnd(23)} ${regs} eflags=${hexDigits(v.getEflags(), 8)} cpl=${v.cpl}`;
}

/** The instruction's length by the CPU's own decoder, or every byte read when it cannot decode. */
function insnLength(v: TraceView, raw: number[]): number {
  try {
    const insn = decode({ byte: (n) => { if (n >= raw.length) throw new RangeError('past the readable bytes'); return raw[n]!; } }, v.code32, v.costs, () => {});
    return Math.min(insn.len, raw.length);
  } catch {
    return raw.length;
  }
}

/** Linear to physical through the guest's page tables as they are in RAM; null if not present. */
function physical(v: TraceView, ram: Uint8Array, lin: number): number | null {
  if (!(v.cr0 & CR0_PG)) return lin;
  const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  const pdeAt = ((v.cr3 & ~0xfff) >>> 0) + (lin >>> 22) * 4;
  if (pdeAt + 4 > ram.length) return null;
  const pde = dv.getUint32(pdeAt, true);
  if (!(pde & 1)) return null;
  if (pde & 0x80 && v.cr4 & CR4_PSE) return ((pde & 0xffc00000) >>> 0) + (lin & 0x3fffff);
  const pteAt = ((pde & ~0xfff) >>> 0) + ((lin >>> 12) & 0x3ff) * 4;
  if (pteAt + 4 > ram.length) return null;
  const pte = dv.getUint32(pteAt, true);
  if (!(pte & 1)) return null;
  return ((pte & ~0xfff) >>> 0) + (lin & 0xfff);
}

