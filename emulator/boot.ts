// The multiboot v1 loader: what `qemu-system-i386 -kernel` (and GRUB) do for a multiboot kernel.
// Finds the header in the first 8 KiB, loads the ELF32 PT_LOAD segments at their physical
// addresses (or, with header flag 16, the a.out-kludge load addresses), places modules page-aligned
// after the kernel, and builds the boot information (memory sizes, memory map, command lines,
// module list, boot loader name) after the last module, so nothing the kernel or a module occupies
// is overwritten. Facts from the Multiboot Specification 0.6.96.

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
const HEADER_SEARCH = 8192;

// Header flags the kernel may set. Bits 0-15 are requirements: a loader must refuse what it lacks.
const MH_PAGE_ALIGN = 1 << 0;
const MH_MEMORY_INFO = 1 << 1;
const MH_VIDEO_MODE = 1 << 2;
const MH_AOUT_KLUDGE = 1 << 16;
/** Requirement bits this loader meets (video mode is accepted and ignored, as QEMU does). */
const MH_SUPPORTED = MH_PAGE_ALIGN | MH_MEMORY_INFO | MH_VIDEO_MODE;

// Boot information flags and field offsets.
const MBI_MEMORY = 1 << 0;
const MBI_BOOT_DEVICE = 1 << 1;
const MBI_CMDLINE = 1 << 2;
const MBI_MODS = 1 << 3;
const MBI_MMAP = 1 << 6;
const MBI_LOADER_NAME = 1 << 9;
const MBI_FLAGS = 0, MBI_MEM_LOWER = 4, MBI_MEM_UPPER = 8, MBI_BOOT_DEVICE_OFF = 12, MBI_CMDLINE_OFF = 16;
const MBI_MODS_COUNT = 20, MBI_MODS_ADDR = 24, MBI_MMAP_LENGTH = 44, MBI_MMAP_ADDR = 48, MBI_LOADER_NAME_OFF = 64;
/** Room for the whole structure including the VBE and framebuffer fields (zeroed). */
const MBI_SIZE = 128;
const MOD_ENTRY_SIZE = 16;
const MMAP_ENTRY_SIZE = 24; // a 4-byte size field, then base (8), length (8), type (4)

const PAGE = 4096;
const LOW_MEMORY_END = 0x9fc00; // conventional memory below the EBDA, as a PC BIOS reports it
const HIGH_MEMORY = 0x100000;
export const BOOT_LOADER_NAME = 'world';

export interface BootModule {
  /** Contents of the module file. */
  data: Uint8Array;
  /** The module's string, as GRUB and QEMU give it: the file name, then its arguments. */
  cmdline: string;
}

export interface BootResult {
  entry: number;
  /** Physical address of the multiboot information structure (EBX at entry). */
  infoAddr: number;
  /** Physical [start, end) of the loaded kernel image, bss included. */
  kernel: [number, number];
  modules: [number, number][];
  /** Physical [start, end) of the boot information block. */
  info: [number, number];
}

/** Bad kernel or module input; the message names the file and what is wrong. */
export class BootError extends Error {}

interface Header {
  offset: number;
  flags: number;
  headerAddr: number;
  loadAddr: number;
  loadEndAddr: number;
  bssEndAddr: number;
  entryAddr: number;
}

/** Finds and checks the multiboot header; null if there is none. */
export function findMultibootHeader(image: Uint8Array): Header | null {
  const dv = view(image);
  const limit = Math.min(image.length, HEADER_SEARCH) - 12;
  for (let off = 0; off <= limit; off += 4) {
    if (dv.getUint32(off, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = dv.getUint32(off + 4, true);
    const checksum = dv.getUint32(off + 8, true);
    if (((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0) !== 0) continue;
    const field = (i: number) => (off + 12 + 4 * i + 4 <= image.length ? dv.getUint32(off + 12 + 4 * i, true) : 0);
    return { offset: off, flags, headerAddr: field(0), loadAddr: field(1), loadEndAddr: field(2), bssEndAddr: field(3), entryAddr: field(4) };
  }
  return null;
}

export function isElf(image: Uint8Array): boolean {
  return image.length >= 4 && image[0] === 0x7f && image[1] === 0x45 && image[2] === 0x4c && image[3] === 0x46;
}

export interface BootOptions {
  /** Name used in messages and as the first word of the kernel's command line (QEMU passes the path). */
  kernelName: string;
  /** Appended to the kernel name in the command line. */
  append?: string;
  modules?: BootModule[];
}

/** Loads `image` into `ram` and builds the boot information. Throws BootError on bad input. */
export function loadMultiboot(ram: Uint8Array, image: Uint8Array, opts: BootOptions): BootResult {
  const name = opts.kernelName;
  const header = findMultibootHeader(image);
  if (!header) {
    throw new BootError(isElf(image)
      ? `${name}: not a multiboot kernel (no multiboot header with a valid checksum in the first 8 KiB)`
      : `${name}: not an ELF file and no multiboot header in the first 8 KiB`);
  }
  const missing = header.flags & 0xffff & ~MH_SUPPORTED;
  if (missing) throw new BootError(`${name}: the multiboot header requires features this loader lacks (flags 0x${missing.toString(16)})`);
  let kernel: [number, number];
  let entry: number;
  if (header.flags & MH_AOUT_KLUDGE) {
    ({ kernel, entry } = loadKludge(ram, image, header, name));
  } else {
    if (!isElf(image)) throw new BootError(`${name}: not an ELF file (and its multiboot header gives no load addresses)`);
    ({ kernel, entry } = loadElf(ram, image, name));
  }

  // Modules, page-aligned after the kernel.
  let next = alignUp(kernel[1], PAGE);
  const modules: [number, number][] = [];
  for (const [i, mod] of (opts.modules ?? []).entries()) {
    const start = next;
    const end = start + mod.data.length;
    if (end > ram.length) throw new BootError(`module ${i + 1} (${mod.cmdline}): ${mod.data.length} bytes do not fit in RAM after 0x${start.toString(16)} (RAM is ${ram.length} bytes)`);
    ram.set(mod.data, start);
    modules.push([start, end]);
    next = alignUp(end, PAGE);
  }

  // The boot information block: structure, module list, memory map, strings.
  const mmap = memoryMap(ram.length);
  const cmdline = opts.append !== undefined ? `${name} ${opts.append}` : `${name} `;
  const strings = [cmdline, BOOT_LOADER_NAME, ...(opts.modules ?? []).map((m) => m.cmdline)].map((s) => new TextEncoder().encode(s + '\0'));
  const infoAddr = next;
  const modsAddr = infoAddr + MBI_SIZE;
  const mmapAddr = modsAddr + MOD_ENTRY_SIZE * modules.length;
  let strAddr = mmapAddr + MMAP_ENTRY_SIZE * mmap.length;
  const stringsSize = strings.reduce((n, s) => n + s.length, 0);
  const infoEnd = strAddr + stringsSize;
  if (infoEnd > ram.length) throw new BootError(`${name}: no room for the boot information after the kernel and modules (needs up to 0x${infoEnd.toString(16)}, RAM is ${ram.length} bytes)`);
  ram.fill(0, infoAddr, infoEnd);
  const dv = view(ram);
  const strAt: number[] = [];
  for (const s of strings) {
    ram.set(s, strAddr);
    strAt.push(strAddr);
    strAddr += s.length;
  }
  dv.setUint32(infoAddr + MBI_FLAGS, MBI_MEMORY | MBI_BOOT_DEVICE | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME, true);
  dv.setUint32(infoAddr + MBI_MEM_LOWER, LOW_MEMORY_END >> 10, true);
  dv.setUint32(infoAddr + MBI_MEM_UPPER, (ram.length - HIGH_MEMORY) >> 10, true);
  dv.setUint32(infoAddr + MBI_BOOT_DEVICE_OFF, 0x8000ffff, true); // first BIOS disk, no partition (as QEMU)
  dv.setUint32(infoAddr + MBI_CMDLINE_OFF, strAt[0]!, true);
  dv.setUint32(infoAddr + MBI_LOADER_NAME_OFF, strAt[1]!, true);
  dv.setUint32(infoAddr + MBI_MODS_COUNT, modules.length, true);
  dv.setUint32(infoAddr + MBI_MODS_ADDR, modsAddr, true);
  modules.forEach(([start, end], i) => {
    const e = modsAddr + MOD_ENTRY_SIZE * i;
    dv.setUint32(e, start, true);
    dv.setUint32(e + 4, end, true);
    dv.setUint32(e + 8, strAt[2 + i]!, true);
  });
  dv.setUint32(infoAddr + MBI_MMAP_LENGTH, MMAP_ENTRY_SIZE * mmap.length, true);
  dv.setUint32(infoAddr + MBI_MMAP_ADDR, mmapAddr, true);
  mmap.forEach(([base, length, type], i) => {
    const e = mmapAddr + MMAP_ENTRY_SIZE * i;
    dv.setUint32(e, MMAP_ENTRY_SIZE - 4, true);
    dv.setUint32(e + 4, base, true);
    dv.setUint32(e + 12, length, true);
    dv.setUint32(e + 20, type, true);
  });
  return { entry, infoAddr, kernel, modules, info: [infoAddr, infoEnd] };
}

/** The PC memory map a BIOS would report: low memory, the EBDA and BIOS area reserved, RAM from 1 MiB. */
export function memoryMap(ramBytes: number): [number, number, number][] {
  return [
    [0, LOW_MEMORY_END, 1],
    [LOW_MEMORY_END, 0xa0000 - LOW_MEMORY_END, 2],
    [0xf0000, 0x10000, 2],
    [HIGH_MEMORY, ramBytes - HIGH_MEMORY, 1],
  ];
}

function loadElf(ram: Uint8Array, image: Uint8Array, name: string): { kernel: [number, number]; entry: number } {
  const dv = view(image);
  const bad = (what: string): never => {
    throw new BootError(`${name}: ${what}`);
  };
  if (image.length < 52) bad('truncated ELF header');
  if (image[4] !== 1) bad('not a 32-bit ELF (EI_CLASS is not ELFCLASS32)');
  if (image[5] !== 1) bad('not a little-endian ELF');
  if (dv.getUint16(16, true) !== 2) bad('not an executable ELF (e_type is not ET_EXEC)');
  if (dv.getUint16(18, true) !== 3) bad('not an i386 ELF (e_machine is not EM_386)');
  let entry = dv.getUint32(24, true);
  const phoff = dv.getUint32(28, true);
  const phentsize = dv.getUint16(42, true);
  const phnum = dv.getUint16(44, true);
  if (phnum === 0) bad('no program headers');
  if (phentsize < 32 || phoff + phentsize * phnum > image.length) bad('program header table lies outside the file');
  let low = Infinity, high = 0, loaded = 0;
  let entryTranslated: number | null = null;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (dv.getUint32(ph, true) !== 1) continue; // PT_LOAD only
    const offset = dv.getUint32(ph + 4, true);
    const vaddr = dv.getUint32(ph + 8, true);
    const paddr = dv.getUint32(ph + 12, true);
    const filesz = dv.getUint32(ph + 16, true);
    const memsz = dv.getUint32(ph + 20, true);
    if (memsz === 0) continue;
    if (filesz > memsz) bad(`segment ${i}: p_filesz 0x${filesz.toString(16)} exceeds p_memsz 0x${memsz.toString(16)}`);
    if (offset + filesz > image.length) bad(`segment ${i}: file data at 0x${offset.toString(16)}+0x${filesz.toString(16)} lies outside the file`);
    if (paddr + memsz > ram.length) bad(`segment ${i}: loads at physical 0x${paddr.toString(16)}-0x${(paddr + memsz).toString(16)}, beyond RAM (${ram.length} bytes; try a larger --mem)`);
    ram.set(image.subarray(offset, offset + filesz), paddr);
    ram.fill(0, paddr + filesz, paddr + memsz);
    low = Math.min(low, paddr);
    high = Math.max(high, paddr + memsz);
    loaded++;
    // An entry given as a virtual address of a segment linked elsewhere is translated to where it was loaded.
    if (entry >= vaddr && entry < vaddr + memsz && vaddr !== paddr) entryTranslated = entry - vaddr + paddr;
  }
  if (loaded === 0) bad('no loadable (PT_LOAD) segments');
  const inLoaded = entry >= low && entry < high;
  if (!inLoaded && entryTranslated !== null) entry = entryTranslated;
  return { kernel: [low, high], entry };
}

function loadKludge(ram: Uint8Array, image: Uint8Array, h: Header, name: string): { kernel: [number, number]; entry: number } {
  const bad = (what: string): never => {
    throw new BootError(`${name}: multiboot header address fields: ${what}`);
  };
  if (h.headerAddr < h.loadAddr) bad('header_addr is below load_addr');
  const fileStart = h.offset - (h.headerAddr - h.loadAddr);
  if (fileStart < 0) bad('load_addr lies before the start of the file');
  const loadEnd = h.loadEndAddr === 0 ? h.loadAddr + (image.length - fileStart) : h.loadEndAddr;
  if (loadEnd < h.loadAddr) bad('load_end_addr is below load_addr');
  const size = loadEnd - h.loadAddr;
  if (fileStart + size > image.length) bad('the load range extends past the end of the file');
  const bssEnd = h.bssEndAddr === 0 ? loadEnd : h.bssEndAddr;
  if (bssEnd < loadEnd) bad('bss_end_addr is below load_end_addr');
  if (bssEnd > ram.length) bad(`the image ends at 0x${bssEnd.toString(16)}, beyond RAM (${ram.length} bytes)`);
  ram.set(image.subarray(fileStart, fileStart + size), h.loadAddr);
  ram.fill(0, loadEnd, bssEnd);
  return { kernel: [h.loadAddr, bssEnd], entry: h.entryAddr };
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function alignUp(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}
