// The afterburner proper: rewrites GNU as source so that every sensitive instruction is followed
// by the NOP padding of the published table and its location is recorded in section `.afterburn`
// (a position-independent record, see records.ts). All other text is left byte for byte as it was, and every
// insertion stays on the line of the instruction it belongs to, so the assembler's line numbers
// (and its error messages) still point into the original source.
// Page-table writes are the other kind of site (the slides' "sensitive memory"): a store the
// guest's source marks with the directive `.afterburn_pte` gets PT_PADDING NOPs and a begin/end
// record in section `.afterburn_pt`, so the wedge can turn it into its page-table path.
import { forEachStatement, type Statement } from './scan.ts';
import { recordWords } from './records.ts';
import { TABLE, PREFIXES, splitOperands, type SensitiveTable, type SiteKind } from './sensitive.ts';
import { normalizeSourcePath } from './feedback.ts';

export interface AfterburnResult {
  /** The rewritten assembly. */
  output: string;
  /** Sites recorded, per sensitive mnemonic (keys sorted). A site inside a `.macro` or `.rept`
   *  body is counted once, however often the assembler expands it. */
  sites: Record<string, number>;
  /** Page-table write sites recorded in `.afterburn_pt` (stores marked with `.afterburn_pte`). */
  pageTableSites: number;
  /** Device-memory accesses recorded in `.afterburn_mmio` (from profile feedback). */
  deviceSites: number;
}

/** What a statement is, as far as the rewriter cares. */
type Parsed =
  | { type: 'empty' } // labels only
  | { type: 'directive'; name: string; args: string }
  | { type: 'prefixes' } // prefixes with no instruction (`rep`, `lock`, `fs`)
  | { type: 'instruction'; mnemonic: string; operands: string }
  | { type: 'other' }; // assignments, macro calls we cannot see into, anything unknown

interface Line {
  statement: Statement;
  /** Offset in the source just after the statement's labels (where a site label goes). */
  body: number;
  parsed: Parsed;
}

const LABEL = /^(?:[A-Za-z_.$][\w.$]*|\d+|"(?:[^"\\]|\\.)*")[ \t]*:(?![:=])[ \t]*/;
const ASSIGNMENT = /^[A-Za-z_.$][\w.$]*[ \t]*==?/;
const WORD = /^[A-Za-z][A-Za-z0-9]*/;

const EMPTY: Parsed = { type: 'empty' };
const OTHER: Parsed = { type: 'other' };
const PREFIXES_ONLY: Parsed = { type: 'prefixes' };
/** Directives the rewriter acts on; every other one is passed over without a closer look. */
const WATCHED = /^\.(?:macro|rept|irpc?|endm|endr|intel_syntax|att_syntax|afterburn_noannotate|afterburn_annotate|afterburn_pte)\b/i;

function parse(s: Statement): Line {
  let code = s.code;
  let cut = 0;
  if (code.indexOf(':') >= 0) {
    for (let m = LABEL.exec(code); m; m = LABEL.exec(code)) {
      cut += m[0].length;
      code = code.slice(m[0].length);
    }
  }
  return { statement: s, body: s.start + cut, parsed: parseBody(code) };
}

function parseBody(code: string): Parsed {
  if (code === '') return EMPTY;
  if (code.charCodeAt(0) === 46 /* . */) {
    // Most statements of compiler output are directives (.loc, .cfi_*, .long...): one test each.
    if (!WATCHED.test(code)) return OTHER;
    const name = /^\.[\w.$]*/.exec(code)![0];
    return { type: 'directive', name: name.toLowerCase(), args: code.slice(name.length).trim() };
  }
  if (ASSIGNMENT.test(code)) return OTHER;
  let rest = code;
  let sawPrefix = false;
  for (;;) {
    rest = rest.trimStart();
    if (rest === '') return sawPrefix ? PREFIXES_ONLY : OTHER;
    if (rest[0] === '{') {
      // A pseudo-prefix such as {disp32} or {load}: no byte of its own.
      const close = rest.indexOf('}');
      if (close < 0) return OTHER;
      rest = rest.slice(close + 1);
      sawPrefix = true;
      continue;
    }
    const w = WORD.exec(rest);
    if (!w) return OTHER;
    const word = w[0];
    let after = rest.slice(word.length);
    const separated = after[0] === '/'; // `rep/insb`: the prefix separator of ELF i386 targets
    if (PREFIXES.has(word.toLowerCase()) && (separated || after === '' || /^[ \t]/.test(after))) {
      if (separated) after = after.slice(1);
      rest = after;
      sawPrefix = true;
      continue;
    }
    if (after !== '' && !/^[ \t]/.test(after)) return OTHER;
    return { type: 'instruction', mnemonic: word, operands: after.trim() };
  }
}

/** Directives that open a body the assembler may expand several times. */
const BODY_OPEN = new Set(['.macro', '.rept', '.irp', '.irpc']);
const BODY_CLOSE = new Set(['.endm', '.endr']);

export interface AfterburnOptions {
  /** Prefix of the generated site labels; inputs assembled together need different ones. */
  labelPrefix?: string;
  /** Profile feedback (feedback.ts): source locations `file:line` whose 32-bit `mov` stores are
   *  page-table writes. Read from the assembly's `.file`/`.loc` (a build with -g). */
  pageTableLines?: ReadonlySet<string>;
  /** Profile feedback: source locations whose memory accesses reach device memory; each such
   *  instruction gets a [begin, end) record in `.afterburn_mmio` and no padding. */
  deviceLines?: ReadonlySet<string>;
  /** The sensitive-instruction table (default: sensitive.ts's); tests pass deliberately wrong ones. */
  table?: SensitiveTable;
}

/** `.file N "name"` or `.file N "dir" "name"` (DWARF 5), and `.loc N LINE`. */
const FILE_DIRECTIVE = /^\.file\s+(\d+)\s+"((?:[^"\\]|\\.)*)"(?:\s+"((?:[^"\\]|\\.)*)")?/;
const LOC_DIRECTIVE = /^\.loc\s+(\d+)\s+(\d+)/;

/** An instruction with a memory operand (not `lea`, which only computes an address). */
function isMemoryAccess(mnemonic: string, operands: string): boolean {
  return !/^lea/i.test(mnemonic) && splitOperands(operands).some((o) => o.includes('(') || /^-?(?:0x)?[0-9a-f]+$/i.test(o));
}

/** A 32-bit store the wedge's page-table path takes (`movl %reg|$imm, mem`): what profile
 *  feedback may turn into a page-table site. A store addressed through %esp is left alone: a
 *  stack slot is no page-table entry, and the wedge refuses such a site (its pushes would move
 *  the operand, guests/wedge/ia32/ptsites.c), which a header line inlined in many functions
 *  (Linux's native_set_pte) could otherwise bring. */
function isWordStore(mnemonic: string, operands: string): boolean {
  const m = mnemonic.toLowerCase();
  if (m !== 'mov' && m !== 'movl') return false;
  const ops = splitOperands(operands);
  if (ops.length !== 2) return false;
  const [src, dst] = ops as [string, string];
  if (dst.startsWith('%') || dst.startsWith('$') || /%[cdefgs]s:/.test(dst) || /%esp\b/.test(dst)) return false;
  return /^%e(?:ax|bx|cx|dx|si|di|bp)$/.test(src) || (m === 'movl' && src.startsWith('$'));
}

export function afterburnAssembly(source: string, options: AfterburnOptions = {}): AfterburnResult {
  const prefix = options.labelPrefix ?? '.Lab_site_';
  const table = options.table ?? TABLE;
  const edits: { at: number; to: number; text: string }[] = [];
  const sites = new Map<SiteKind, number>();
  let annotate = true;
  let noPrefix = false;
  let bodyDepth = 0;
  let counter = 0;
  // A `.afterburn_pte` was seen: the next instruction is a page-table store.
  let pteMark = false;
  let pageTableSites = 0;
  const feedback = options.pageTableLines && options.pageTableLines.size > 0 ? options.pageTableLines : null;
  const devices = options.deviceLines && options.deviceLines.size > 0 ? options.deviceLines : null;
  let deviceSites = 0;
  const files = new Map<string, string>();
  let loc = '';                          // the source location of the statements that follow

  // Prefix-only statements seen since the last other statement (`rep` on the line above).
  let pendingPrefixes: Line[] = [];
  forEachStatement(source, (s) => {
    if ((feedback || devices) && s.code.charCodeAt(0) === 46 /* . */) {
      const l = LOC_DIRECTIVE.exec(s.code);
      if (l) {
        loc = `${files.get(l[1]!) ?? '?'}:${l[2]}`;
        return;
      }
      const f = FILE_DIRECTIVE.exec(s.code);
      if (f) {
        files.set(f[1]!, normalizeSourcePath(f[3] ?? f[2]!));
        return;
      }
    }
    const line = parse(s);
    const { statement, body, parsed } = line;
    if (parsed.type === 'prefixes') {
      pendingPrefixes.push(line);
      return;
    }
    const prefixes = pendingPrefixes;
    if (prefixes.length) pendingPrefixes = [];
    if (parsed.type === 'directive') {
      const { name, args } = parsed;
      if (name === '.afterburn_noannotate' || name === '.afterburn_annotate') {
        annotate = name === '.afterburn_annotate';
        edits.push({ at: body, to: statement.end, text: '' }); // not a GNU as directive
      } else if (name === '.afterburn_pte') {
        pteMark = true;
        edits.push({ at: body, to: statement.end, text: '' });
      } else if (BODY_OPEN.has(name)) bodyDepth++;
      else if (BODY_CLOSE.has(name)) bodyDepth = Math.max(0, bodyDepth - 1);
      else if (name === '.intel_syntax' || name === '.att_syntax') noPrefix = /\bnoprefix\b/i.test(args);
      return;
    }
    if (parsed.type !== 'instruction' || !annotate) return;
    if (devices && devices.has(loc) && prefixes.length === 0 && bodyDepth === 0 && isMemoryAccess(parsed.mnemonic, parsed.operands)) {
      const l = `${prefix}io${deviceSites++}`;
      edits.push({ at: line.body, to: line.body, text: `${l}: ` });
      edits.push({ at: line.statement.end, to: line.statement.end, text: `; ${l}_end: .pushsection .afterburn_mmio,"a"; .balign 4; .long ${recordWords(l, `${l}_end`)}; .popsection` });
    }
    if (pteMark || (feedback && feedback.has(loc) && prefixes.length === 0 && isWordStore(parsed.mnemonic, parsed.operands))) {
      pteMark = false;
      const labels = bodyDepth > 0 ? null : `${prefix}pt${pageTableSites}`;
      edits.push(...pageTableSite(line, prefixes, labels));
      pageTableSites++;
      return;
    }
    const kind = table.classify(parsed.mnemonic, parsed.operands, noPrefix);
    if (!kind) return;

    // Prefixes written as statements of their own just before (`rep; insb`, `lock` on the line
    // above) belong to the instruction: the site begins at the first of them.
    let begin = body;
    for (let j = prefixes.length - 1; j >= 0; j--) {
      const prev = prefixes[j]!;
      begin = prev.body;
      if (prev.body !== prev.statement.start) break; // a label on the prefix: jumps land there
    }
    // Inside bodies the assembler may expand more than once, a generated label would be defined
    // twice, so sites there use numeric local labels (like the original's 9998/9999).
    const [open, close, refs] = bodyDepth > 0
      ? ['9998', '9999', recordWords('9998b', '9999b')]
      : [`${prefix}${counter}`, `${prefix}${counter}_end`, recordWords(`${prefix}${counter}`, `${prefix}${counter}_end`)];
    counter++;
    edits.push({ at: begin, to: begin, text: `${open}: ` });
    edits.push({
      at: statement.end,
      to: statement.end,
      text: `; .fill ${table.paddingFor(kind)},1,0x90; ${close}: .pushsection .afterburn,"a"; .balign 4; .long ${refs}; .popsection`,
    });
    sites.set(kind, (sites.get(kind) ?? 0) + 1);
  });

  edits.sort((a, b) => a.at - b.at);
  const parts: string[] = [];
  let from = 0;
  for (const e of edits) {
    parts.push(source.slice(from, e.at), e.text);
    from = e.to;
  }
  parts.push(source.slice(from));
  return { output: parts.join(''), sites: sortedCounts(sites), pageTableSites, deviceSites };
}

/** NOPs after a page-table store: the wedge's replacement (push the value, save EAX, `lea` the
 *  entry's address into EAX, call the page-table stub) is 8 bytes longer than the store itself,
 *  with a register or an immediate source alike (guests/wedge/ia32/ptsites.c). */
export const PT_PADDING = 8;

/** The edits that make one page-table site: a label before the store (and its prefixes), the
 *  padding and an end label after it, and the begin/end record in `.afterburn_pt`. Inside a
 *  macro or repeat body (labels null) the numeric labels 9996/9997 are used, as for other sites. */
function pageTableSite(line: Line, prefixes: Line[], labels: string | null): { at: number; to: number; text: string }[] {
  const begin = prefixes.length > 0 ? prefixes[0]!.body : line.body;
  const [open, close, refs] = labels === null
    ? ['9996', '9997', recordWords('9996b', '9997b')]
    : [labels, `${labels}_end`, recordWords(labels, `${labels}_end`)];
  return [
    { at: begin, to: begin, text: `${open}: ` },
    {
      at: line.statement.end,
      to: line.statement.end,
      text: `; .fill ${PT_PADDING},1,0x90; ${close}: .pushsection .afterburn_pt,"a"; .balign 4; .long ${refs}; .popsection`,
    },
  ];
}

function sortedCounts(counts: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of [...counts.keys()].sort()) out[key] = counts.get(key)!;
  return out;
}
