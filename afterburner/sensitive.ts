// Which IA-32 instructions are virtualization-sensitive, and how many NOP bytes follow each one.
// The list and the padding table are the published afterburner's (PAPER.md §3); this file only
// spells out every assembler form (size suffixes, Intel-syntax aliases) that names the same
// instruction, so the rewriter can recognise them however the source writes them.

/** The canonical name of a sensitive instruction: the key of reports and of the padding table. */
export type SiteKind =
  | 'popf' | 'pushf' | 'lgdt' | 'sgdt' | 'lidt' | 'sidt' | 'ljmp' | 'lcall'
  | 'lds' | 'les' | 'lfs' | 'lgs' | 'lss' | 'clts' | 'hlt' | 'cli' | 'sti'
  | 'lldt' | 'sldt' | 'ltr' | 'str' | 'in' | 'ins' | 'out' | 'outs' | 'invlpg'
  | 'iret' | 'lret' | 'cpuid' | 'wrmsr' | 'rdmsr' | 'int' | 'ud2' | 'invd'
  | 'wbinvd' | 'smsw' | 'lmsw' | 'arpl' | 'lar' | 'lsl' | 'rsm'
  | 'push' | 'pop' | 'mov';

/** NOP bytes appended after each kind on ia32 (the published table; everything else gets 8).
 *  `ins` and `outs` share the entries of `in` and `out`: the list names them together
 *  ("in/ins", "out/outs") and the table has one figure for each pair. */
const PADDING: Partial<Record<SiteKind, number>> = {
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
const DEFAULT_PADDING = 8;

export function paddingFor(kind: SiteKind): number {
  return PADDING[kind] ?? DEFAULT_PADDING;
}

// Every mnemonic GNU as accepts for each kind. Suffixes: l/w select the operand size; the
// Intel names (pushfd, iretd, insd, retf...) are accepted too, since `.intel_syntax` regions
// may use them. Decisions on near-misses:
// - `int3`, `into` and `int1` are not recorded. The list names `int` (opcode CD ib, which
//   includes `int $3`); the one-byte breakpoint, overflow and ICE traps are separate opcodes
//   and mnemonics absent from it, and they always raise an exception the hypervisor sees.
//   Debuggers also write `int3` over code at run time, where a recorded site would mislead.
//   GNU as encodes `int $3` as that same one-byte int3, so it is not recorded either.
// - `lcall` is recorded although the published list omits it: a far call loads CS and checks
//   privilege exactly like `ljmp`, which the list does include, so it misbehaves the same way
//   in a de-privileged kernel. It takes the table's default padding (8), as it has no entry.
// - `ud2b` (an alias of ud1) and `ud0` are other opcodes; only ud2/ud2a are recorded.
const FORMS: Record<string, SiteKind> = {};
function forms(kind: SiteKind, names: string[]): void {
  for (const n of names) FORMS[n] = kind;
}
forms('popf', ['popf', 'popfl', 'popfw', 'popfd']);
forms('pushf', ['pushf', 'pushfl', 'pushfw', 'pushfd']);
for (const k of ['lgdt', 'sgdt', 'lidt', 'sidt'] as const) forms(k, [k, k + 'l', k + 'w']);
forms('ljmp', ['ljmp', 'ljmpl', 'ljmpw']);
forms('lcall', ['lcall', 'lcalll', 'lcallw']);
for (const k of ['lds', 'les', 'lfs', 'lgs', 'lss'] as const) forms(k, [k, k + 'l', k + 'w']);
for (const k of ['clts', 'hlt', 'cli', 'sti', 'invlpg', 'cpuid', 'wrmsr', 'rdmsr', 'invd', 'wbinvd', 'rsm'] as const) {
  forms(k, [k]);
}
forms('lldt', ['lldt', 'lldtw']);
forms('ltr', ['ltr', 'ltrw']);
forms('sldt', ['sldt', 'sldtl', 'sldtw']);
forms('str', ['str', 'strl', 'strw']);
forms('in', ['in', 'inb', 'inw', 'inl']);
forms('ins', ['ins', 'insb', 'insw', 'insl', 'insd']);
forms('out', ['out', 'outb', 'outw', 'outl']);
forms('outs', ['outs', 'outsb', 'outsw', 'outsl', 'outsd']);
forms('iret', ['iret', 'iretl', 'iretw', 'iretd']);
forms('lret', ['lret', 'lretl', 'lretw', 'retf', 'retfl', 'retfw']);
forms('int', ['int']);
forms('ud2', ['ud2', 'ud2a']);
forms('smsw', ['smsw', 'smswl', 'smsww']);
forms('lmsw', ['lmsw', 'lmsww']);
forms('arpl', ['arpl', 'arplw']);
forms('lar', ['lar', 'larl', 'larw']);
forms('lsl', ['lsl', 'lsll', 'lslw']);

/** Sensitive only with a bare segment, control or debug register operand. */
const REGISTER_FORMS: Record<string, SiteKind> = {
  push: 'push', pushl: 'push', pushw: 'push',
  pop: 'pop', popl: 'pop', popw: 'pop',
  mov: 'mov', movl: 'mov', movw: 'mov',
};

/** `jmp $sel,$off` and `call $sel,$off` are the far forms in AT&T syntax. */
const FAR_WITH_TWO_OPERANDS: Record<string, SiteKind> = {
  jmp: 'ljmp', jmpl: 'ljmp', jmpw: 'ljmp',
  call: 'lcall', calll: 'lcall', callw: 'lcall',
};

/** Every mnemonic spelling the classifier knows, for tests and documentation. */
export const sensitiveForms: Readonly<Record<string, SiteKind>> = FORMS;
export const registerForms: Readonly<Record<string, SiteKind>> = REGISTER_FORMS;

/** Instruction prefixes GNU as accepts as separate words before a mnemonic (or alone). */
export const PREFIXES = new Set([
  'rep', 'repe', 'repz', 'repne', 'repnz', 'lock', 'data16', 'data32', 'addr16', 'addr32',
  'cs', 'ds', 'es', 'fs', 'gs', 'ss', 'notrack', 'bnd', 'xacquire', 'xrelease',
]);

/** `$3` in any radix: GNU as emits the one-byte int3 for it. */
const INT3_OPERAND = /^\$?\s*(?:0x0*3|0*3|0b0*11)$/i;

const SPECIAL_REGISTER = /^(?:cs|ds|es|fs|gs|ss|cr[0-8]|db[0-7]|dr[0-7])$/;

/** Splits an operand list at top-level commas (commas inside parentheses or brackets stay). */
export function splitOperands(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(from, i).trim());
      from = i + 1;
    }
  }
  const last = text.slice(from).trim();
  if (last !== '' || out.length > 0) out.push(last);
  return out;
}

/** Is this operand a bare segment/control/debug register (`%ds`, `%cr3`, `%db7`)? Without the
 *  `%` only in `.intel_syntax noprefix`, where a plain `ds` cannot be a symbol. */
function isSpecialRegister(operand: string, noPrefix: boolean): boolean {
  let op = operand.trim().toLowerCase();
  if (op.startsWith('%')) op = op.slice(1).trim();
  else if (!noPrefix) return false;
  return SPECIAL_REGISTER.test(op);
}

/**
 * Classifies one instruction: its mnemonic (any case, prefixes already removed) and the text of
 * its operands. Returns the site kind when the instruction is sensitive, else null.
 */
export function classify(mnemonic: string, operands: string, noPrefix = false): SiteKind | null {
  const m = mnemonic.toLowerCase();
  if (m === 'int' && INT3_OPERAND.test(operands.trim())) return null;
  const direct = FORMS[m];
  if (direct) return direct;
  const reg = REGISTER_FORMS[m];
  if (reg) {
    return splitOperands(operands).some((op) => isSpecialRegister(op, noPrefix)) ? reg : null;
  }
  const far = FAR_WITH_TWO_OPERANDS[m];
  if (far && splitOperands(operands).length === 2) return far;
  return null;
}

/** What the rewriter asks of a table: the kind of a statement, the padding of a kind. */
export interface SensitiveTable {
  classify(mnemonic: string, operands: string, noPrefix?: boolean): SiteKind | null;
  paddingFor(kind: SiteKind): number;
}

/** This file's table: the one every build uses (tests hand the rewriter wrong ones, to check
 *  that the validator notices). */
export const TABLE: SensitiveTable = { classify, paddingFor };
