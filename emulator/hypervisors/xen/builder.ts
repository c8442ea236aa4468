// The domain builder: lays a para-virtual kernel (an ELF with a `__xen_guest` section), its
// module, the identity p2m list, start_info, the bootstrap page tables and a boot stack out in
// the bootstrap region at the top of domain memory, as ABI.md §3 describes. Pure layout over RAM;
// the hypervisor then validates the page tables and starts the vCPU.
import { elfEntry, ElfError } from '../elf.ts';
import { guestSection, imageAndModule, placeRegion, pageUp, fillRegion, type BootstrapInput, type BootstrapRegion } from '../bootstrap.ts';
import {
  PAGE, HYPERVISOR_VIRT_START, SI_MAGIC, SI_NR_PAGES, SI_SHARED_INFO, SI_FLAGS, SI_PT_BASE, SI_NR_PT_FRAMES,
  SI_MFN_LIST, SI_MOD_START, SI_MOD_LEN, SI_CMD_LINE, SI_CMD_LINE_MAX, SI_VIRT_BASE, SI_BOOT_PHYS, SI_BOOT_LEN,
  SI_DOMAIN_END, SIF_PRIVILEGED, SIF_INITDOMAIN, START_INFO_MAGIC,
} from './layout.ts';

const MB4 = 4 << 20;
const PTE_BOOT = 0x23; // present, writable, accessed (Xen's L1_PROT)
const PTE_RO = 0x21; // present, accessed: the bootstrap page tables themselves
const PDE_BOOT = 0x27; // present, writable, user, accessed

/** Parses `__xen_guest` ("KEY=VALUE,..."); null when the image has no such section. */
export function xenGuestParams(image: Uint8Array, name: string): Record<string, string> | null {
  const g = guestSection(image, name, '__xen_guest');
  if (!g) return null;
  if (g.params.XEN_VER !== 'xen-3.0') {
    throw new ElfError(`${name}: __xen_guest "${g.text}": XEN_VER must be xen-3.0 (got ${g.params.XEN_VER === undefined ? 'none' : `'${g.params.XEN_VER}'`})`);
  }
  return g.params;
}

export interface BuiltDomain extends BootstrapRegion {
  startInfoVa: number;
  /** Machine frame of the bootstrap L2 and of its L1s. */
  l2Frame: number;
  l1Frames: number[];
}

export interface BuildOptions extends BootstrapInput {
  /** First machine address that is not the domain's. */
  domainEnd: number;
  sharedInfoMachine: number;
}

export function buildDomain(image: Uint8Array, name: string, params: Record<string, string>, o: BuildOptions): BuiltDomain {
  const { segs, virtBase, modVa, cursor } = imageAndModule(image, name, params, '__xen_guest', o.module);
  const nrPages = o.domainEnd / PAGE;
  const mfnListVa = cursor;
  const startInfoVa = mfnListVa + pageUp(nrPages * 4);
  const ptVa = startInfoVa + PAGE;
  let nL1 = 1, bootLen = 0;
  for (;;) {
    bootLen = Math.ceil((ptVa + (1 + nL1) * PAGE + PAGE - virtBase) / MB4) * MB4;
    const need = Math.ceil((virtBase % MB4 + bootLen) / MB4);
    if (need <= nL1) break;
    nL1 = need;
  }
  const bootPhys = placeRegion(name, virtBase, bootLen, HYPERVISOR_VIRT_START, 'the hypervisor hole', o.domainEnd, "the domain's memory");
  const phys = (v: number): number => v - virtBase + bootPhys;
  const ram = o.ram;
  const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  fillRegion(ram, bootPhys, bootLen, segs, phys, o.module, modVa);
  for (let i = 0; i < nrPages; i++) dv.setUint32(phys(mfnListVa) + i * 4, i, true);

  // start_info.
  const si = phys(startInfoVa);
  ram.set(new TextEncoder().encode(START_INFO_MAGIC), si + SI_MAGIC);
  dv.setUint32(si + SI_NR_PAGES, nrPages, true);
  dv.setUint32(si + SI_SHARED_INFO, o.sharedInfoMachine, true);
  dv.setUint32(si + SI_FLAGS, SIF_PRIVILEGED | SIF_INITDOMAIN, true);
  dv.setUint32(si + SI_PT_BASE, ptVa, true);
  dv.setUint32(si + SI_NR_PT_FRAMES, 1 + nL1, true);
  dv.setUint32(si + SI_MFN_LIST, mfnListVa, true);
  dv.setUint32(si + SI_MOD_START, modVa, true);
  dv.setUint32(si + SI_MOD_LEN, o.module ? o.module.length : 0, true);
  const cmd = new TextEncoder().encode(o.cmdline).subarray(0, SI_CMD_LINE_MAX - 1);
  ram.set(cmd, si + SI_CMD_LINE);
  dv.setUint32(si + SI_VIRT_BASE, virtBase, true);
  dv.setUint32(si + SI_BOOT_PHYS, bootPhys, true);
  dv.setUint32(si + SI_BOOT_LEN, bootLen, true);
  dv.setUint32(si + SI_DOMAIN_END, o.domainEnd, true);

  // Bootstrap page tables: L2 at ptVa, then the L1s; everything in the region mapped, the tables read-only.
  const l2 = phys(ptVa);
  const l1Frames: number[] = [];
  const firstSlot = Math.floor(virtBase / MB4);
  for (let k = 0; k < nL1; k++) {
    const l1 = phys(ptVa + (1 + k) * PAGE);
    l1Frames.push(l1 / PAGE);
    dv.setUint32(l2 + (firstSlot + k) * 4, l1 | PDE_BOOT, true);
  }
  const ptEnd = ptVa + (1 + nL1) * PAGE;
  for (let v = virtBase; v < virtBase + bootLen; v += PAGE) {
    const slot = Math.floor(v / MB4) - firstSlot;
    const l1 = l1Frames[slot]! * PAGE;
    const prot = v >= ptVa && v < ptEnd ? PTE_RO : PTE_BOOT;
    dv.setUint32(l1 + ((v >>> 12) & 0x3ff) * 4, phys(v) | prot, true);
  }
  return {
    entry: elfEntry(image), virtBase, bootPhys, bootLen, startInfoVa, stackTop: ptEnd + PAGE,
    l2Frame: l2 / PAGE, l1Frames,
  };
}
