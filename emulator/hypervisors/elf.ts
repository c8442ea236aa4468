// ELF32 reading for the hypervisor models: program headers (the domain builder), named sections
// (`__xen_guest`) and the symbol table (the hole report names addresses by function). Only what
// those need; the multiboot loader (emulator/boot.ts) has its own checks for native kernels.

export interface ElfSegment { vaddr: number; paddr: number; memsz: number; data: Uint8Array }
export interface ElfSymbol { name: string; value: number; size: number }

export class ElfError extends Error {}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Checks the ELF32 i386 executable header; throws naming `name` and what is wrong. */
export function checkElf32(image: Uint8Array, name: string): void {
  const bad = (what: string): never => { throw new ElfError(`${name}: ${what}`); };
  if (image.length < 52 || image[0] !== 0x7f || image[1] !== 0x45 || image[2] !== 0x4c || image[3] !== 0x46) bad('not an ELF file');
  if (image[4] !== 1) bad('not a 32-bit ELF (EI_CLASS is not ELFCLASS32)');
  const dv = view(image);
  if (dv.getUint16(16, true) !== 2) bad('not an executable ELF (e_type is not ET_EXEC)');
  if (dv.getUint16(18, true) !== 3) bad('not an i386 ELF (e_machine is not EM_386)');
}

export function elfEntry(image: Uint8Array): number {
  return view(image).getUint32(24, true);
}

/** PT_LOAD segments with non-zero memory size. */
export function elfSegments(image: Uint8Array, name: string): ElfSegment[] {
  const dv = view(image);
  const phoff = dv.getUint32(28, true), phentsize = dv.getUint16(42, true), phnum = dv.getUint16(44, true);
  if (phentsize < 32 || phoff + phentsize * phnum > image.length) throw new ElfError(`${name}: program header table lies outside the file`);
  const out: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (dv.getUint32(ph, true) !== 1) continue;
    const offset = dv.getUint32(ph + 4, true), vaddr = dv.getUint32(ph + 8, true), paddr = dv.getUint32(ph + 12, true);
    const filesz = dv.getUint32(ph + 16, true), memsz = dv.getUint32(ph + 20, true);
    if (memsz === 0) continue;
    if (filesz > memsz || offset + filesz > image.length) throw new ElfError(`${name}: segment ${i}: file data lies outside the file or exceeds p_memsz`);
    out.push({ vaddr, paddr, memsz, data: image.subarray(offset, offset + filesz) });
  }
  if (out.length === 0) throw new ElfError(`${name}: no loadable (PT_LOAD) segments`);
  return out;
}

interface Section { name: string; type: number; offset: number; size: number; link: number; entsize: number }

function sections(image: Uint8Array): Section[] {
  const dv = view(image);
  const shoff = dv.getUint32(32, true), shentsize = dv.getUint16(46, true), shnum = dv.getUint16(48, true);
  const shstrndx = dv.getUint16(50, true);
  if (shoff === 0 || shnum === 0 || shoff + shentsize * shnum > image.length) return [];
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const sh = shoff + i * shentsize;
    raw.push({ nameOff: dv.getUint32(sh, true), type: dv.getUint32(sh + 4, true), offset: dv.getUint32(sh + 16, true),
      size: dv.getUint32(sh + 20, true), link: dv.getUint32(sh + 24, true), entsize: dv.getUint32(sh + 36, true) });
  }
  const strtab = raw[shstrndx];
  return raw.map((s) => ({ ...s, name: strtab ? cstring(image, strtab.offset + s.nameOff) : '' }));
}

function cstring(image: Uint8Array, at: number): string {
  let end = at;
  while (end < image.length && image[end] !== 0) end++;
  return new TextDecoder().decode(image.subarray(at, end));
}

/** Contents of the section called `name`, or null. */
export function elfSection(image: Uint8Array, name: string): Uint8Array | null {
  const s = sections(image).find((x) => x.name === name);
  if (!s || s.offset + s.size > image.length) return null;
  return image.subarray(s.offset, s.offset + s.size);
}

/** Function and object symbols with a name, sorted by address. */
export function elfSymbols(image: Uint8Array): ElfSymbol[] {
  const secs = sections(image);
  const symtab = secs.find((s) => s.type === 2);
  if (!symtab) return [];
  const strtab = secs[symtab.link];
  if (!strtab) return [];
  const dv = view(image);
  const out: ElfSymbol[] = [];
  for (let off = symtab.offset; off + 16 <= symtab.offset + symtab.size; off += 16) {
    const type = image[off + 12]! & 0xf;
    if (type !== 0 && type !== 1 && type !== 2) continue; // NOTYPE (asm labels), OBJECT, FUNC
    const shndx = dv.getUint16(off + 14, true);
    if (shndx === 0 || shndx >= 0xff00) continue;
    const name = cstring(image, strtab.offset + dv.getUint32(off, true));
    if (name === '' || name.startsWith('.L')) continue;
    out.push({ name, value: dv.getUint32(off + 4, true), size: dv.getUint32(off + 8, true) });
  }
  return out.sort((a, b) => a.value - b.value || b.size - a.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** `symbol+0xoff` for an address: the nearest symbol at or below it (inside its size when it has one). */
export function symbolize(symbols: ElfSymbol[], addr: number): string {
  addr >>>= 0;
  let lo = 0, hi = symbols.length - 1, best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (symbols[mid]!.value <= addr) { best = mid; lo = mid + 1; } else hi = mid - 1;
  }
  // Prefer a sized symbol that contains the address among those at the same or lower address.
  for (let i = best; i >= 0 && i > best - 8; i--) {
    const s = symbols[i]!;
    if (s.size > 0 && addr < s.value + s.size) return addr === s.value ? s.name : `${s.name}+0x${(addr - s.value).toString(16)}`;
  }
  if (best < 0) return '?';
  const s = symbols[best]!;
  return addr === s.value ? s.name : `${s.name}+0x${(addr - s.value).toString(16)}`;
}
