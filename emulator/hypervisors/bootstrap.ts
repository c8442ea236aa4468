// What the Xen domain builder and the L4 task builder share: reading the image's guest section
// ("KEY=VALUE,..." in `__xen_guest` / `__l4_guest`), choosing VIRT_BASE, placing the module after
// the image, placing the bootstrap region at the top of memory, and copying the image's segments
// and the module into it. Each builder keeps its own layout of what follows (start_info and page
// tables on Xen, the boot-info page on L4).
import { checkElf32, elfSection, elfSegments, ElfError, type ElfSegment } from './elf.ts';

const MB4 = 4 << 20;
const PAGE = 4096;

/** The guest section's text and its KEY=VALUE pairs; null when the image has no such section. */
export function guestSection(image: Uint8Array, name: string, section: string): { text: string; params: Record<string, string> } | null {
  checkElf32(image, name);
  const sec = elfSection(image, section);
  if (!sec) return null;
  let end = sec.indexOf(0);
  if (end < 0) end = sec.length;
  const text = new TextDecoder().decode(sec.subarray(0, end));
  const params: Record<string, string> = {};
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq < 0) params[pair.trim()] = '';
    else params[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return { text, params };
}

/** VIRT_BASE (default: the lowest segment rounded down to 4 MiB) and the end of the image. */
export function imageBounds(segs: ElfSegment[], params: Record<string, string>, name: string, section: string): { virtBase: number; high: number } {
  const low = Math.min(...segs.map((s) => s.vaddr));
  const high = Math.max(...segs.map((s) => s.vaddr + s.memsz));
  let virtBase = Math.floor(low / MB4) * MB4;
  if (params.VIRT_BASE !== undefined) {
    virtBase = Number(params.VIRT_BASE);
    if (!Number.isInteger(virtBase) || virtBase % PAGE !== 0 || virtBase > low) {
      throw new ElfError(`${name}: ${section} VIRT_BASE=${params.VIRT_BASE}: expected a page-aligned address at or below the lowest segment (0x${low.toString(16)})`);
    }
  }
  return { virtBase, high };
}

/** `v` rounded up to a whole page. */
export const pageUp = (v: number): number => Math.ceil(v / PAGE) * PAGE;

/** What both builders take besides the image: the RAM they write, the module and the command line. */
export interface BootstrapInput {
  ram: Uint8Array;
  module?: Uint8Array;
  cmdline: string;
}

/** What both builders return: the entry point and where the bootstrap region lies, virtually and physically. */
export interface BootstrapRegion {
  entry: number;
  virtBase: number;
  bootPhys: number;
  bootLen: number;
  stackTop: number;
}

/**
 * The start of both layouts: the image's segments, VIRT_BASE, and the module page-aligned after
 * the image's end (modVa 0 without one); `cursor` is the first address after them.
 */
export function imageAndModule(image: Uint8Array, name: string, params: Record<string, string>, section: string, module?: Uint8Array):
  { segs: ElfSegment[]; virtBase: number; modVa: number; cursor: number } {
  const segs = elfSegments(image, name);
  const { virtBase, high } = imageBounds(segs, params, name, section);
  let cursor = pageUp(high);
  const modVa = module ? cursor : 0;
  if (module) cursor += pageUp(module.length);
  return { segs, virtBase, modVa, cursor };
}

/**
 * The physical start of the bootstrap region [virtBase, virtBase + bootLen): the top of the
 * memory that ends at `memEnd` (`memName`). Refused when the region reaches the area at `areaVa`
 * that the kernel or hypervisor keeps (`areaName`), or does not fit in the memory.
 */
export function placeRegion(name: string, virtBase: number, bootLen: number, areaVa: number, areaName: string, memEnd: number, memName: string): number {
  if (virtBase + bootLen > areaVa) {
    throw new ElfError(`${name}: the bootstrap region 0x${virtBase.toString(16)}-0x${(virtBase + bootLen).toString(16)} reaches into ${areaName} at 0x${areaVa.toString(16)}`);
  }
  if (bootLen > memEnd) throw new ElfError(`${name}: the bootstrap region needs ${bootLen >> 20} MiB, more than ${memName} (${memEnd >> 20} MiB; try a larger --mem)`);
  return memEnd - bootLen;
}

/** Zeroes the region [bootPhys, bootPhys + bootLen) and copies the segments and the module in. */
export function fillRegion(ram: Uint8Array, bootPhys: number, bootLen: number, segs: ElfSegment[], phys: (v: number) => number,
  module?: Uint8Array, modVa = 0): void {
  ram.fill(0, bootPhys, bootPhys + bootLen);
  for (const s of segs) ram.set(s.data, phys(s.vaddr));
  if (module) ram.set(module, phys(modVa));
}

/**
 * The wedge's one module and the option telling it apart (guests/wedge/README.md, "Booting
 * Linux"): a hypervisor hands a domain or task one module, so a guest with an initrd goes as the
 * guest image, zeros to a page boundary, then the initrd, and `wedge-initrd=N` on the command line
 * says the module's last N bytes are the initrd. The wedge removes the option before the guest
 * sees its command line. Without an initrd: the image as it is, no option.
 */
export function wedgeModule(guest: Uint8Array, initrd?: Uint8Array): { module: Uint8Array; option: string } {
  if (!initrd || initrd.length === 0) return { module: guest, option: '' };
  const at = Math.ceil(guest.length / PAGE) * PAGE;
  const module = new Uint8Array(at + initrd.length);
  module.set(guest, 0);
  module.set(initrd, at);
  return { module, option: `wedge-initrd=${initrd.length}` };
}
