// Reads a GNU as command line just far enough to know what the `as` drop-in must do: whether the
// call assembles 32-bit code at all, which arguments are input files, whether standard input is
// read, and where the object goes. Response files (`@file`) are expanded the way libiberty does,
// and can be written back with some of their arguments replaced, so the real assembler receives
// exactly the command line it was given except for the rewritten inputs.

/** One argument as given: a plain word, or an `@file` with the arguments it expands to. */
export type Arg =
  | { kind: 'plain'; value: string }
  | { kind: 'response'; raw: string; items: Arg[] };

/** What the drop-in needs to know about one invocation. */
export interface AsInvocation {
  /** Rewrite this invocation's inputs (32-bit, and it assembles something)? */
  target: boolean;
  /** Why not, when `target` is false. */
  reason?: string;
  /** Indices, in the flattened argument list, of the input files. */
  inputs: number[];
  /** Does the assembler read standard input (no input files, or `-` / `--`)? */
  readsStdin: boolean;
  /** The object file (`-o`, default `a.out`). */
  output: string;
}

// Long options (either dash count: as parses with getopt_long_only) whose value may be the
// next argument. The i386 ones are the target's, all declared with a required argument.
const LONG_WITH_VALUE = new Set([
  'debug-prefix-map', 'defsym', 'MD', 'size-check', 'elf-stt-common',
  'generate-missing-build-notes', 'gdwarf-cie-version', 'hash-size', 'multibyte-handling',
  'listing-lhs-width', 'listing-lhs-width2', 'listing-rhs-width', 'listing-cont-lines',
  'march', 'mtune', 'msse-check', 'moperand-check', 'mavxscalar', 'mvexwig', 'mevexlig',
  'mevexwig', 'mevexrcig', 'mmnemonic', 'msyntax', 'mx86-used-note', 'momit-lock-prefix',
  'mfence-as-lock-add', 'mrelax-relocations', 'malign-branch-boundary', 'malign-branch',
  'malign-branch-prefix-size', 'mlfence-after-load', 'mlfence-before-indirect-branch',
  'mlfence-before-ret',
]);
/** Short options whose value is attached or the next argument. */
const SHORT_WITH_VALUE = new Set(['o', 'I', 'Q']);
/** Options after which as prints something and exits without assembling. */
const EXITS_EARLY = new Set(['version', 'help', 'target-help', 'dump-config']);

/** Splits a response file's text into arguments: blanks separate, quotes group, `\` escapes. */
export function splitResponseFile(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      has = true;
    } else if (quote) {
      if (c === quote) quote = '';
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}

/** Writes arguments so that splitResponseFile reads them back unchanged. */
export function joinResponseFile(args: string[]): string {
  return args.map((a) => (a === '' ? "''" : a.replace(/[\s'"\\]/g, (c) => '\\' + c))).join(' ') + '\n';
}

/** Expands `@file` arguments (recursively). An unreadable `@file` stays a plain argument,
 *  as libiberty leaves it. */
export function expandArgs(args: string[], read: (path: string) => string | null, depth = 0): Arg[] {
  return args.map((a): Arg => {
    if (a.length > 1 && a[0] === '@' && depth < 32) {
      const text = read(a.slice(1));
      if (text !== null) return { kind: 'response', raw: a, items: expandArgs(splitResponseFile(text), read, depth + 1) };
    }
    return { kind: 'plain', value: a };
  });
}

export function flatten(args: Arg[]): string[] {
  return args.flatMap((a) => (a.kind === 'plain' ? [a.value] : flatten(a.items)));
}

/** Reads the flattened command line. */
export function parseAsCommandLine(flat: string[]): AsInvocation {
  let mode: string | undefined;
  let exitsEarly = false;
  let output = 'a.out';
  let readsStdin = false;
  let optionsDone = false;
  const inputs: number[] = [];
  for (let i = 0; i < flat.length; i++) {
    const a = flat[i]!;
    if (optionsDone || a === '-' || !a.startsWith('-')) {
      if (a === '-') readsStdin = true;
      else inputs.push(i);
      continue;
    }
    if (a === '--') {
      readsStdin = true;
      optionsDone = true;
      continue;
    }
    const long = a.startsWith('--') ? a.slice(2) : a.slice(1);
    const eq = long.indexOf('=');
    const name = eq < 0 ? long : long.slice(0, eq);
    if (name === '32' || name === '64' || name === 'x32') mode = name;
    else if (EXITS_EARLY.has(name) && a.startsWith('--')) exitsEarly = true;
    else if (LONG_WITH_VALUE.has(name)) {
      if (eq < 0) i++;
    } else if (!a.startsWith('--') && SHORT_WITH_VALUE.has(a[1]!)) {
      const attached = a.slice(2);
      const value = attached !== '' ? attached : flat[++i];
      if (a[1] === 'o' && value !== undefined) output = value;
    }
  }
  if (inputs.length === 0) readsStdin = true;
  const base = { inputs, readsStdin, output };
  if (exitsEarly) return { ...base, target: false, reason: 'prints information and exits' };
  if (mode !== '32') return { ...base, target: false, reason: mode ? `--${mode} code` : 'no --32 (not 32-bit code)' };
  return { ...base, target: true };
}

/**
 * Rebuilds the command line with some flattened arguments replaced. An `@file` whose expansion
 * holds a replaced argument is written anew (through `writeResponse`, which returns its path);
 * every other argument is passed as it was given. Nested `@file`s stay nested.
 */
export function substituteArgs(
  args: Arg[],
  replace: Map<number, string>,
  writeResponse: (args: string[]) => string,
): string[] {
  let index = 0;
  const rebuild = (list: Arg[]): { out: string[]; changed: boolean } => {
    const out: string[] = [];
    let changed = false;
    for (const a of list) {
      if (a.kind === 'plain') {
        const r = replace.get(index++);
        out.push(r ?? a.value);
        if (r !== undefined) changed = true;
      } else {
        const inner = rebuild(a.items);
        out.push(inner.changed ? '@' + writeResponse(inner.out) : a.raw);
        changed ||= inner.changed;
      }
    }
    return { out, changed };
  };
  return rebuild(args).out;
}
