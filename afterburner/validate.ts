// Checks an afterburnt, linked 32-bit ELF against its own `.afterburn` section, with GNU objdump
// as the independent decoder and oracle.ts (not the rewriter's table) as the independent judge of
// what is sensitive and how much padding it gets: every recorded range must begin with a
// sensitive instruction that is followed only by NOPs (as many as the published table says) up to
// the range's end, and no sensitive instruction in an executable section may lie outside a
// recorded range.
import { hex } from '../emulator/hex.ts';
import { decodeRecords, type SiteRange } from './records.ts';
import { expectedPadding, sensitiveKindOfBytes } from './oracle.ts';

/** Runs objdump. execa is imported on first use: recipes import this module, and a no-op build,
 *  which loads every recipe, should not pay for execa's hundred-odd modules. */
async function objdump(args: string[], options: { reject?: boolean } = {}): Promise<{ exitCode?: number; stdout: string; stderr: string }> {
  const { execa } = await import('execa');
  return execa('objdump', args, { ...options, maxBuffer: 1 << 30 });
}

export type ViolationKind =
  | 'bad-range' // end not after begin, or the range overlaps another
  | 'no-instruction' // no instruction starts at the range's begin
  | 'not-sensitive' // the instruction at begin is not sensitive
  | 'not-padded' // something other than NOPs follows, or the NOPs do not reach the end exactly
  | 'wrong-padding' // NOP count differs from the padding table
  | 'unlisted'; // a sensitive instruction outside every range

export interface Violation {
  kind: ViolationKind;
  address: number;
  message: string;
  /** The sensitive kind of the instruction concerned, when it is one. */
  site?: string;
}

export interface Instruction {
  address: number;
  length: number;
  /** The instruction's bytes, as objdump prints them. */
  bytes: number[];
  /** objdump's text, e.g. `rep insb (%dx),%es:(%edi)`. */
  text: string;
  section: string;
  symbol: string;
}

export interface ValidationResult {
  ranges: SiteRange[];
  /** Sensitive instructions found by disassembly, per kind. */
  sensitive: Record<string, number>;
  violations: Violation[];
}


/** Reads the site ranges recorded in `.afterburn` (none when the section is missing), with
 *  objdump -s as the reader of the section's bytes and address. */
export async function readAfterburnRanges(elf: string): Promise<SiteRange[]> {
  const r = await objdump(['-s', '-j', '.afterburn', elf], { reject: false });
  if (r.exitCode !== 0 || !/Contents of section \.afterburn:/.test(r.stdout)) {
    if (/not found in any input file|mentioned in a -j option/.test(r.stderr) || r.exitCode === 0) return [];
    throw new Error(`objdump -s -j .afterburn ${elf}: ${r.stderr.trim()}`);
  }
  const bytes: number[] = [];
  let address = -1;
  const body = r.stdout.slice(r.stdout.indexOf('Contents of section .afterburn:'));
  for (const line of body.split('\n').slice(1)) {
    const m = /^ ([0-9a-f]+) ((?:[0-9a-f]{2,8} ?){1,4})/.exec(line);
    if (!m) continue;
    if (address < 0) address = parseInt(m[1]!, 16);
    for (const group of m[2]!.trim().split(' ')) {
      for (let i = 0; i < group.length; i += 2) bytes.push(parseInt(group.slice(i, i + 2), 16));
    }
  }
  return decodeRecords(Math.max(address, 0), Uint8Array.from(bytes));
}

/** Disassembles every executable section with objdump. */
export async function disassemble(elf: string): Promise<Instruction[]> {
  const r = await objdump(['-d', '-w', elf]);
  const out: Instruction[] = [];
  let section = '';
  let symbol = '';
  for (const line of r.stdout.split('\n')) {
    let m = /^Disassembly of section (\S+):/.exec(line);
    if (m) {
      section = m[1]!;
      continue;
    }
    m = /^[0-9a-f]+ <(.+)>:$/.exec(line);
    if (m) {
      symbol = m[1]!;
      continue;
    }
    m = /^\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t?(.*)$/.exec(line);
    if (!m) continue;
    const bytes = m[2]!.trim().split(' ').map((b) => parseInt(b, 16));
    out.push({
      address: parseInt(m[1]!, 16),
      length: bytes.length,
      bytes,
      text: m[3]!.replace(/\s+#.*$/, '').replace(/\s+/g, ' ').trim(),
      section,
      symbol,
    });
  }
  return out;
}

const isNop = (i: Instruction): boolean => i.text === 'nop' && i.length === 1;

/** Validates a linked ELF; returns every violation found (empty when the ELF is consistent). */
export async function validateAfterburnt(elf: string): Promise<ValidationResult> {
  const info = await objdump(['-f', elf]);
  if (!/file format elf32-i386/.test(info.stdout)) throw new Error(`${elf}: not a 32-bit i386 ELF`);
  if (!/EXEC_P|DYNAMIC/.test(info.stdout)) throw new Error(`${elf}: a relocatable object; link it first (addresses in .afterburn are relocations until then)`);
  const [ranges, code] = await Promise.all([readAfterburnRanges(elf), disassemble(elf)]);
  const at = new Map<number, number>();
  code.forEach((ins, i) => at.set(ins.address, i));
  const violations: Violation[] = [];
  const where = (ins: Instruction): string => `${hex(ins.address)} <${ins.symbol}> in ${ins.section}: ${ins.text}`;

  const sorted = [...ranges].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let r = 0; r < sorted.length; r++) {
    const { begin, end } = sorted[r]!;
    if (end <= begin) {
      violations.push({ kind: 'bad-range', address: begin, message: `range [${hex(begin)}, ${hex(end)}) is empty or reversed` });
      continue;
    }
    const next = sorted[r + 1];
    if (next && next.begin < end) {
      violations.push({ kind: 'bad-range', address: begin, message: `range [${hex(begin)}, ${hex(end)}) overlaps the one at ${hex(next.begin)}` });
    }
    const first = at.get(begin);
    if (first === undefined) {
      violations.push({ kind: 'no-instruction', address: begin, message: `no instruction starts at range begin ${hex(begin)}` });
      continue;
    }
    const ins = code[first]!;
    const kind = sensitiveKindOfBytes(ins.bytes);
    if (!kind) {
      violations.push({ kind: 'not-sensitive', address: begin, message: `range begins with a non-sensitive instruction: ${where(ins)}` });
      continue;
    }
    let pos = begin + ins.length;
    let nops = 0;
    let j = first + 1;
    while (pos < end && j < code.length && code[j]!.address === pos && isNop(code[j]!)) {
      pos += 1;
      nops++;
      j++;
    }
    if (pos !== end) {
      const stop = code[j];
      violations.push({
        kind: 'not-padded',
        address: begin,
        message: `range [${hex(begin)}, ${hex(end)}) of ${where(ins)}: NOPs stop at ${hex(pos)}` + (stop ? ` (${stop.text})` : ''),
      });
    } else if (nops !== expectedPadding(kind)) {
      violations.push({ kind: 'wrong-padding', address: begin, site: kind, message: `${where(ins)}: ${nops} NOPs, the published table says ${expectedPadding(kind)} for ${kind}` });
    }
  }

  const begins = new Set(ranges.map((r) => r.begin));
  const sensitive: Record<string, number> = {};
  for (const ins of code) {
    const kind = sensitiveKindOfBytes(ins.bytes);
    if (!kind) continue;
    sensitive[kind] = (sensitive[kind] ?? 0) + 1;
    if (!begins.has(ins.address)) {
      violations.push({ kind: 'unlisted', address: ins.address, site: kind, message: `sensitive instruction outside every .afterburn range: ${where(ins)}` });
    }
  }
  const sortedSensitive: Record<string, number> = {};
  for (const k of Object.keys(sensitive).sort()) sortedSensitive[k] = sensitive[k]!;
  violations.sort((a, b) => a.address - b.address);
  return { ranges, sensitive: sortedSensitive, violations };
}
