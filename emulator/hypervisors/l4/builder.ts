// The privileged task's bootstrap region (ABI.md §8): the image's PT_LOAD segments, the module,
// the boot-info page and a boot stack, laid out from VIRT_BASE up and placed at the top of
// physical memory. Pure layout over RAM; the kernel (l4.ts) maps the region as σ0's mappings and
// starts the main thread. Also writes the KIP.
import { elfEntry, ElfError } from '../elf.ts';
import { guestSection, imageAndModule, placeRegion, fillRegion, type BootstrapInput, type BootstrapRegion } from '../bootstrap.ts';
import {
  PAGE, KERNEL_AREA, BI_MAGIC, BI_VERSION, BI_PHYS_END, BI_BOOT_PHYS, BI_BOOT_LEN, BI_VIRT_BASE, BI_MOD_START,
  BI_MOD_LEN, BI_MY_TID, BI_SIGMA0, BI_FIRST_FREE, BI_LAST_THREAD, BI_KIP, BI_UTCB, BI_CPU_KHZ, BI_CMD_LINE,
  BI_CMD_LINE_MAX, BOOT_INFO_MAGIC, MAIN, SIGMA0, FIRST_FREE_THREAD, LAST_THREAD, KIP_VA, UTCB_VA, KIP_MAGIC,
  KIP_API_VERSION, KIP_API_FLAGS, KIP_CPU_KHZ, KIP_PHYS_END, API_VERSION_X2,
} from './layout.ts';

const MB4 = 4 << 20;

/** Parses `__l4_guest` ("KEY=VALUE,..."); null when the image has no such section. */
export function l4GuestParams(image: Uint8Array, name: string): Record<string, string> | null {
  const g = guestSection(image, name, '__l4_guest');
  if (!g) return null;
  if (g.params.L4_API !== 'x2') {
    throw new ElfError(`${name}: __l4_guest "${g.text}": L4_API must be x2 (got ${g.params.L4_API === undefined ? 'none' : `'${g.params.L4_API}'`})`);
  }
  return g.params;
}

export interface BuiltTask extends BootstrapRegion {
  bootInfoVa: number;
}

export interface TaskOptions extends BootstrapInput {
  physEnd: number;
  cpuKhz: number;
}

export function buildTask(image: Uint8Array, name: string, params: Record<string, string>, o: TaskOptions): BuiltTask {
  const { segs, virtBase, modVa, cursor } = imageAndModule(image, name, params, '__l4_guest', o.module);
  const bootInfoVa = cursor;
  const stackTop = bootInfoVa + 2 * PAGE; // the boot-info page, then one page of boot stack
  const bootLen = Math.ceil((stackTop - virtBase) / MB4) * MB4;
  const bootPhys = placeRegion(name, virtBase, bootLen, KERNEL_AREA, 'the kernel area', o.physEnd, 'physical memory');
  const phys = (v: number): number => v - virtBase + bootPhys;
  const ram = o.ram;
  const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  fillRegion(ram, bootPhys, bootLen, segs, phys, o.module, modVa);

  const bi = phys(bootInfoVa);
  ram.set(new TextEncoder().encode(BOOT_INFO_MAGIC), bi + BI_MAGIC);
  const words: [number, number][] = [
    [BI_VERSION, 1], [BI_PHYS_END, o.physEnd], [BI_BOOT_PHYS, bootPhys], [BI_BOOT_LEN, bootLen], [BI_VIRT_BASE, virtBase],
    [BI_MOD_START, modVa], [BI_MOD_LEN, o.module ? o.module.length : 0], [BI_MY_TID, MAIN], [BI_SIGMA0, SIGMA0],
    [BI_FIRST_FREE, FIRST_FREE_THREAD], [BI_LAST_THREAD, LAST_THREAD], [BI_KIP, KIP_VA], [BI_UTCB, UTCB_VA], [BI_CPU_KHZ, o.cpuKhz],
  ];
  for (const [off, v] of words) dv.setUint32(bi + off, v >>> 0, true);
  ram.set(new TextEncoder().encode(o.cmdline).subarray(0, BI_CMD_LINE_MAX - 1), bi + BI_CMD_LINE);
  return { entry: elfEntry(image), virtBase, bootPhys, bootLen, bootInfoVa, stackTop };
}

/** The KIP subset of ABI.md §8 at physical `at`. */
export function writeKip(ram: Uint8Array, at: number, cpuKhz: number, physEnd: number): void {
  const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  ram.fill(0, at, at + PAGE);
  ram.set(KIP_MAGIC, at);
  dv.setUint32(at + KIP_API_VERSION, API_VERSION_X2, true);
  dv.setUint32(at + KIP_API_FLAGS, 0, true);
  dv.setUint32(at + KIP_CPU_KHZ, cpuKhz, true);
  dv.setUint32(at + KIP_PHYS_END, physEnd, true);
}
