// Symbols of a kernel that is not booted as an ELF: a Linux bzImage carries no symbol table, so
// the hole report names its sites from the System.map Linux's build writes beside it (`nm -n`
// output: `ADDRESS TYPE NAME` per line). Only text symbols are kept (types t and T), as a hole is
// always an instruction; a map has no sizes, so a site is named by the nearest symbol below it.
// Linux's first instructions run at their physical addresses, before it turns paging on: when the
// map has `phys_startup_32` (the physical address of `startup_32`), every text symbol is also
// entered at its physical address, so those sites are named too.
import type { ElfSymbol } from './elf.ts';

/** Parses System.map text into symbols sorted by address; throws on a line that is not `hex type name`. */
export function parseSystemMap(text: string, name = 'System.map'): ElfSymbol[] {
  const out: ElfSymbol[] = [];
  let physStart: number | null = null, virtStart: number | null = null;
  text.split('\n').forEach((line, n) => {
    if (line.trim() === '') return;
    const m = /^([0-9a-fA-F]{1,8})\s+(\S)\s+(\S+)/.exec(line);
    if (!m) throw new Error(`${name}:${n + 1}: not a System.map line (ADDRESS TYPE NAME): ${line.slice(0, 80)}`);
    const value = parseInt(m[1]!, 16) >>> 0;
    if (m[3] === 'phys_startup_32') physStart = value;
    if (m[3] === 'startup_32') virtStart = value;
    if (m[2] === 't' || m[2] === 'T') out.push({ name: m[3]!, value, size: 0 });
  });
  if (physStart !== null && virtStart !== null && virtStart > physStart) {
    const offset = virtStart - physStart;
    for (const s of [...out]) if (s.value >= virtStart) out.push({ name: s.name, value: s.value - offset, size: 0 });
  }
  return out.sort((a, b) => a.value - b.value);
}
