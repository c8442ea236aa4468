// Back-end selection: what runs under the guest. `hardware` is the bare machine (the guest in
// ring 0); `xen` puts the Xen model between guest and machine, booting a para-virtual kernel
// (one with __xen_guest, or the wedge given with `wedge`) as a domain, or an unmodified multiboot
// kernel under trap-and-emulate; `l4` is not modelled yet.
import type { Machine } from '../machine.ts';
import type { BootModule } from '../boot.ts';
import { XenHypervisor, type XenStats } from './xen/xen.ts';
import { xenGuestParams } from './xen/builder.ts';
import { TrapAndEmulate, type TrapEmulateStats } from './xen/trap-emulate.ts';

export const BACKENDS = ['hardware', 'xen', 'l4'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** A back-end that cannot run what it was given; the message says why. */
export class BackendError extends Error {}

export interface BackendBoot {
  backend: BackendName;
  elf: Uint8Array;
  kernelName: string;
  append?: string;
  modules?: BootModule[];
  /** The in-place VMM (wedge) ELF: the domain's kernel, with the guest as its module. */
  wedge?: Uint8Array;
  wedgeName?: string;
}

/** What a back-end reports after the run (JSON-ready, fixed key order). */
export interface BackendStats {
  backend: BackendName;
  /** How the guest ran: natively, as a para-virtual domain (guest or wedge), or trap-and-emulate. */
  mode: 'native' | 'pv' | 'pv-wedge' | 'trap-and-emulate';
  xen?: XenStats;
  trap_and_emulate?: TrapEmulateStats;
}

export interface Backend {
  stats(): BackendStats;
}

/** Loads the guest onto `machine` for the chosen back-end. */
export function bootOnBackend(machine: Machine, b: BackendBoot): Backend {
  if (b.backend === 'hardware') {
    if (b.wedge) throw new BackendError('--wedge needs a hypervisor back-end (--backend xen)');
    machine.boot(b.elf, b.kernelName, b.append, b.modules ?? []);
    return { stats: () => ({ backend: 'hardware', mode: 'native' }) };
  }
  if (b.backend === 'l4') throw new BackendError('the l4 back-end is not modelled yet (use hardware or xen)');
  const costs = machine.profile.xen;
  if (!costs) throw new BackendError(`profile ${machine.profile.name} has no "xen" figures, which --backend xen needs`);
  const xen = new XenHypervisor(machine, costs);
  const cmdline = b.append !== undefined ? `${b.kernelName} ${b.append}` : `${b.kernelName} `;
  if (b.wedge) {
    const wedgeName = b.wedgeName ?? 'wedge';
    if (!xenGuestParams(b.wedge, wedgeName)) throw new BackendError(`${wedgeName}: a Xen wedge must be a para-virtual kernel (no __xen_guest section)`);
    if (b.modules?.length) throw new BackendError('--module is not supported with --wedge (the guest is the wedge\'s module)');
    xen.attach();
    xen.bootPv(b.wedge, wedgeName, cmdline, b.elf);
    return { stats: () => ({ backend: 'xen', mode: 'pv-wedge', xen: xen.stats }) };
  }
  if (xenGuestParams(b.elf, b.kernelName)) {
    xen.attach();
    xen.bootPv(b.elf, b.kernelName, cmdline, b.modules?.[0]?.data);
    return { stats: () => ({ backend: 'xen', mode: 'pv', xen: xen.stats }) };
  }
  const te = new TrapAndEmulate(xen, b.elf);
  te.boot(b.elf, b.kernelName, b.append, b.modules ?? []);
  return { stats: () => ({ backend: 'xen', mode: 'trap-and-emulate', xen: xen.stats, trap_and_emulate: te.stats() }) };
}
