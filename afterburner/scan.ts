// Splits GNU as source (i386, AT&T or Intel syntax) into statements the way the assembler's own
// preprocessor does: statements end at a newline or `;`; `#` starts a comment anywhere and `/`
// starts one in the first column; `/* */` comments may span lines, and a newline inside one ends
// the statement; strings ("...", with backslash escapes) and character constants ('c, 'c')
// are opaque, so a `;`, `#` or mnemonic inside them is just text.

export interface Statement {
  /** Offset of the statement's first code character in the source. */
  start: number;
  /** Offset just after its last code character (trailing blanks and comments excluded). */
  end: number;
  /** The source text of [start, end) with any comment inside it blanked to spaces (same length). */
  code: string;
  /** 1-based line number of `start`. */
  line: number;
}

/** Calls `visit` for each statement in source order (no array: sources can be megabytes). */
export function forEachStatement(src: string, visit: (s: Statement) => void): void {
  const n = src.length;
  let first = -1; // first code offset of the current statement
  let last = -1; // offset after its last code character
  let firstLine = 0;
  let blanks: number[] = []; // comment ranges inside the current statement: [a0, b0, a1, b1...]
  let line = 1;
  let lineStart = true;

  const finish = (): void => {
    if (first >= 0) {
      let code = src.slice(first, last);
      for (let k = blanks.length - 2; k >= 0; k -= 2) {
        const a = Math.max(blanks[k]! - first, 0);
        const b = Math.min(blanks[k + 1]! - first, code.length);
        if (a < b) code = code.slice(0, a) + ' '.repeat(b - a) + code.slice(b);
      }
      visit({ start: first, end: last, code, line: firstLine });
    }
    first = -1;
    last = -1;
    blanks = [];
  };
  const mark = (from: number, to: number): void => {
    if (first < 0) {
      first = from;
      firstLine = line;
    }
    last = to;
  };

  let i = 0;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 10 /* \n */) {
      finish();
      line++;
      i++;
      lineStart = true;
      continue;
    }
    const atColumn0 = lineStart;
    lineStart = false;
    if (c === 35 /* # */ || (atColumn0 && c === 47 /* / */ && src.charCodeAt(i + 1) !== 42)) {
      const nl = src.indexOf('\n', i);
      i = nl < 0 ? n : nl;
      continue;
    }
    if (c === 47 /* / */ && src.charCodeAt(i + 1) === 42 /* * */) {
      const close = src.indexOf('*/', i + 2);
      const stop = close < 0 ? n : close + 2;
      let from = i;
      for (let nl = src.indexOf('\n', i); nl >= 0 && nl < stop; nl = src.indexOf('\n', nl + 1)) {
        blanks.push(from, nl);
        finish();
        line++;
        from = nl + 1;
      }
      blanks.push(from, stop);
      i = stop;
      continue;
    }
    if (c === 59 /* ; */) {
      finish();
      i++;
      continue;
    }
    if (c === 34 /* " */) {
      let j = i + 1;
      while (j < n) {
        const d = src.charCodeAt(j);
        if (d === 34 || d === 10) break;
        j += d === 92 /* \ */ && src.charCodeAt(j + 1) !== 10 ? 2 : 1;
      }
      if (j < n && src.charCodeAt(j) === 34) j++;
      j = Math.min(j, n);
      mark(i, j);
      i = j;
      continue;
    }
    if (c === 39 /* ' */) {
      let j = i + 1;
      if (j < n && src.charCodeAt(j) === 92) j += 2;
      else if (j < n && src.charCodeAt(j) !== 10) j++;
      if (j < n && src.charCodeAt(j) === 39) j++;
      j = Math.min(j, n);
      mark(i, j);
      i = j;
      continue;
    }
    if (c !== 32 && c !== 9 && c !== 13 && c !== 12 && c !== 11) mark(i, i + 1);
    i++;
  }
  finish();
}

export function scanStatements(src: string): Statement[] {
  const out: Statement[] = [];
  forEachStatement(src, (s) => out.push(s));
  return out;
}
