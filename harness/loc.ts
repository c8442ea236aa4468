// Lines of code of the wedge, for the slides' third table: per component directory of
// guests/wedge/, header lines (.h) and source lines (.c and .S). The rule: a line counts when
// anything but white space is left on it after removing comments (/* */ across lines, // to the
// end of a line, and in .S files a # followed by a space or the end of the line, which GNU as
// reads as a comment; preprocessor directives such as #include count). Files are read in sorted
// order; nothing else in the tree matters, so the count is a pure function of the sources.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LocCount } from './results.ts';

export const LOC_RULE = 'non-blank lines outside comments (/* */, //, and "# " comments in .S); .h = headers, .c and .S = sources; each component is a directory of guests/wedge/ holding such files';

/** Counts the lines of one file's text that hold code. */
export function codeLines(text: string, asm: boolean): number {
  let count = 0;
  let inBlock = false;
  for (const line of text.split('\n')) {
    let code = '';
    let i = 0;
    while (i < line.length) {
      if (inBlock) {
        const end = line.indexOf('*/', i);
        if (end < 0) { i = line.length; break; }
        inBlock = false;
        i = end + 2;
        continue;
      }
      const ch = line[i]!;
      if (ch === '/' && line[i + 1] === '*') { inBlock = true; i += 2; continue; }
      if (ch === '/' && line[i + 1] === '/') break;
      if (asm && ch === '#' && (i + 1 === line.length || line[i + 1] === ' ' || line[i + 1] === '\t')) break;
      if (ch === '"' || ch === "'") {
        // A string or character literal: comment markers inside it are text.
        let j = i + 1;
        while (j < line.length && line[j] !== ch) j += line[j] === '\\' ? 2 : 1;
        code += line.slice(i, j + 1);
        i = j + 1;
        continue;
      }
      code += ch;
      i++;
    }
    if (code.trim() !== '') count++;
  }
  return count;
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
}

/** Counts the given components of a wedge tree; null when the tree does not exist. */
export function countWedge(wedgeDir: string, components: readonly string[]): Record<string, LocCount> | null {
  if (!existsSync(wedgeDir)) return null;
  const out: Record<string, LocCount> = {};
  for (const comp of components) {
    const dir = join(wedgeDir, comp);
    if (!existsSync(dir)) continue;
    const files: string[] = [];
    walk(dir, files);
    const c: LocCount = { headers: 0, sources: 0 };
    // A component with no C or assembly yet (a README only) is not counted: "—", not 0.
    if (!files.some((f) => /\.(h|c|S)$/.test(f))) continue;
    for (const f of files) {
      if (f.endsWith('.h')) c.headers += codeLines(readFileSync(f, 'utf8'), false);
      else if (f.endsWith('.c')) c.sources += codeLines(readFileSync(f, 'utf8'), false);
      else if (f.endsWith('.S')) c.sources += codeLines(readFileSync(f, 'utf8'), true);
    }
    out[comp] = c;
  }
  return out;
}
