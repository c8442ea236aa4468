// The validator's own idea of what is sensitive and how much padding it gets, kept apart from the
// rewriter's table (sensitive.ts) on purpose: the validator is the oracle for the rewriter, so a
// wrong entry there must show up here as a violation instead of being copied.
//
// It works on machine code, not on mnemonics: the kind of an instruction follows from its opcode
// bytes (as GNU objdump prints them) read against the one- and two-byte opcode maps of the
// Intel SDM, vol. 2, appendix A, for the instructions the published afterburner lists
// (PAPER.md §3), plus the far call, which loads CS with the same privilege checks as the far
// jump the list does name. The padding figures are the published table, written down again here.

/** NOP bytes after each kind, as published for ia32; any other kind gets DEFAULT_PAD. */
const PAD: Record<string, number> = {
  iret: 4, lret: 4,
  pushf: 5, push: 5, pop: 5,
  hlt: 6, sldt: 6, invlpg: 6,
  cli: 7,
  lgdt: 9, lidt: 9, ljmp: 9, str: 9,
  int: 11,
  mov: 12,
  in: 13, ins: 13,
  clts: 14,
  lds: 16, les: 16, lfs: 16, lgs: 16, lss: 16, lldt: 16, ltr: 16, out: 16, outs: 16,
  popf: 21,
  sti: 23,
};
const DEFAULT_PAD = 8;

export function expectedPadding(kind: string): number {
  return PAD[kind] ?? DEFAULT_PAD;
}

/** Legacy prefixes (SDM vol. 2, 2.1.1): lock, rep/repne, segment overrides, operand and address size. */
const PREFIX = new Set([0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65, 0x66, 0x67]);

/** One-byte opcodes that are sensitive whatever their operands. */
const ONE: Record<number, string> = {
  0x9d: 'popf', 0x9c: 'pushf', 0xfa: 'cli', 0xfb: 'sti', 0xf4: 'hlt', 0xcf: 'iret',
  0xca: 'lret', 0xcb: 'lret', 0xcd: 'int',
  0xe4: 'in', 0xe5: 'in', 0xec: 'in', 0xed: 'in', 0x6c: 'ins', 0x6d: 'ins',
  0xe6: 'out', 0xe7: 'out', 0xee: 'out', 0xef: 'out', 0x6e: 'outs', 0x6f: 'outs',
  0xea: 'ljmp', 0x9a: 'lcall', 0x63: 'arpl',
  0x06: 'push', 0x0e: 'push', 0x16: 'push', 0x1e: 'push', // push es/cs/ss/ds
  0x07: 'pop', 0x17: 'pop', 0x1f: 'pop', // pop es/ss/ds
  0x8c: 'mov', 0x8e: 'mov', // mov from / to a segment register
};

/** Two-byte opcodes (0F xx) that are sensitive whatever their operands. */
const TWO: Record<number, string> = {
  0x02: 'lar', 0x03: 'lsl', 0x06: 'clts', 0x08: 'invd', 0x09: 'wbinvd', 0x0b: 'ud2',
  0x20: 'mov', 0x21: 'mov', 0x22: 'mov', 0x23: 'mov', // control and debug registers
  0x30: 'wrmsr', 0x32: 'rdmsr', 0xa2: 'cpuid', 0xaa: 'rsm',
  0xa0: 'push', 0xa8: 'push', 0xa1: 'pop', 0xa9: 'pop', // fs, gs
  0xb2: 'lss', 0xb4: 'lfs', 0xb5: 'lgs',
};

/** Group 6 (0F 00 /r) and group 7 (0F 01 /r, memory forms; the register forms are other instructions). */
const GROUP6 = ['sldt', 'str', 'lldt', 'ltr', null, null, null, null] as const;
const GROUP7_MEM = ['sgdt', 'sidt', 'lgdt', 'lidt', 'smsw', null, 'lmsw', 'invlpg'] as const;
const GROUP7_REG = [null, null, null, null, 'smsw', null, 'lmsw', null] as const;

/** The sensitive kind of one instruction given its bytes, or null. */
export function sensitiveKindOfBytes(bytes: readonly number[]): string | null {
  let i = 0;
  while (i < bytes.length && PREFIX.has(bytes[i]!)) i++;
  const op = bytes[i];
  if (op === undefined) return null;
  const modrm = bytes[i + 1];
  const reg = modrm === undefined ? -1 : (modrm >> 3) & 7;
  const mem = modrm !== undefined && modrm >> 6 !== 3;
  if (op !== 0x0f) {
    if (ONE[op]) return ONE[op]!;
    if (op === 0xc5) return mem ? 'lds' : null; // C5 with a register operand is not lds
    if (op === 0xc4) return mem ? 'les' : null;
    if (op === 0xff && mem && reg === 3) return 'lcall'; // call far m16:32
    if (op === 0xff && mem && reg === 5) return 'ljmp'; // jmp far m16:32
    return null;
  }
  const op2 = bytes[i + 1];
  if (op2 === undefined) return null;
  if (TWO[op2]) return TWO[op2]!;
  const m2 = bytes[i + 2];
  if (m2 === undefined) return null;
  const reg2 = (m2 >> 3) & 7;
  if (op2 === 0x00) return GROUP6[reg2] ?? null;
  if (op2 === 0x01) return (m2 >> 6 !== 3 ? GROUP7_MEM[reg2] : GROUP7_REG[reg2]) ?? null;
  return null;
}
