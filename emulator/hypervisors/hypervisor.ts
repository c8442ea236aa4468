// Back-end selection: what runs under the guest. `hardware` is the bare machine (the guest in
// ring 0); `xen` puts the Xen model between guest and machine, booting a para-virtual kernel
// (one with __xen_guest, or the wedge given with `wedge`) as a domain, or an unmodified multiboot
// kernel under trap-and-emulate; `l4` puts the L4 microkernel model under it, booting a task
// image (one with __l4_guest, or the wedge given with `wedge`) as the privileged task, or an
// unmodified multiboot kernel under a trap-and-emulate monitor (l4/trap-emulate.ts).
import type { Machine } from '../machine.ts';
import type { BootModule, BootResult } from '../boot.ts';
import { XenHypervisor, type XenStats } from './xen/xen.ts';
import { xenGuestParams } from './xen/builder.ts';
import { wedgeModule } from './bootstrap.ts';
import { TrapAndEmulate } from './xen/trap-emulate.ts';
import type { TrapEmulateStats } from './trap-counters.ts';
import { HoleRecorder, type HoleSite } from './holes.ts';
import { elfSymbols, elfSegments, type ElfSymbol } from './elf.ts';
import { isLinuxBzImage } from '../boot-linux.ts';
import type { GuestMemory } from './guest-memory.ts';
import { L4Kernel, type L4Stats } from './l4/l4.ts';
import { l4GuestParams } from './l4/builder.ts';
import { L4TrapAndEmulate } from './l4/trap-emulate.ts';

export { BACKENDS, type BackendName } from './backend-names.ts';
import type { BackendName } from './backend-names.ts';

/** A back-end that cannot run what it was given; the message says why. */
export class BackendError extends Error {}

export interface BackendBoot {
  backend: BackendName;
  elf: Uint8Array;
  kernelName: string;
  append?: string;
  modules?: BootModule[];
  /** An initramfs for a Linux bzImage (hardware, or trap-and-emulate on xen and l4). */
  initrd?: Uint8Array;
  /** The guest's symbols when its image carries none (a bzImage's System.map), for the hole report. */
  symbols?: ElfSymbol[];
  /** The in-place VMM (wedge) ELF: the domain's kernel, with the guest as its module. */
  wedge?: Uint8Array;
  wedgeName?: string;
}

/** What a back-end reports after the run (JSON-ready, fixed key order). */
export interface BackendStats {
  backend: BackendName;
  /** How the guest ran: natively, as a para-virtual domain (guest or wedge), or trap-and-emulate. */
  mode: 'native' | 'pv' | 'pv-wedge' | 'trap-and-emulate';
  /** Device interrupts: PIC deliveries (whoever acknowledged them) plus, under xen, timer VIRQs (the domain's timer ticks); under l4 the interrupt IPCs. */
  device_interrupts: number;
  /** Sensitive instructions executed (all rings) per device interrupt, for those executed at all. */
  sensitive_per_interrupt: Record<string, number>;
  xen?: XenStats;
  trap_and_emulate?: TrapEmulateStats;
  l4?: L4Stats;
  /** Para-virtual modes: sensitive instructions the guest ran deprivileged (ring 1 under xen, the privileged task under l4; see holes.ts). */
  holes?: HoleSite[];
  /** The wedge's own counters, read at its `wedge_stats` symbol (guests/wedge/STATS.md). */
  wedge?: Record<string, number>;
  wedge_error?: string;
  /** Guest instructions whose page-table writes no annotation announced, which the wedge caught
   *  by a fault and did itself (its `wedge_pt_profile`); present only when there were any. */
  pt_write_eips?: number[];
}

export interface Backend {
  stats(): BackendStats;
  /** Where the multiboot loader put things, when the guest was loaded as a multiboot kernel on hardware. */
  boot?: BootResult;
}

function common(machine: Machine, virtualTicks = 0, interrupts?: number): Pick<BackendStats, 'device_interrupts' | 'sensitive_per_interrupt'> {
  const irqs = interrupts ?? machine.pic.delivered.reduce((a, b) => a + b, 0) + virtualTicks;
  const per: Record<string, number> = {};
  for (const [name, counts] of Object.entries(machine.cpu.stats.sensitive)) {
    const n = counts[0] + counts[1] + counts[2] + counts[3];
    if (n > 0) per[name] = irqs > 0 ? Math.round((n / irqs) * 100) / 100 : n;
  }
  return { device_interrupts: irqs, sensitive_per_interrupt: per };
}

/** The linear range [lo, hi) an ELF's loadable segments occupy, or null for an image that is not one. */
function imageRange(image: Uint8Array): [number, number] | null {
  try {
    const segs = elfSegments(image, 'image');
    return [Math.min(...segs.map((s) => s.vaddr)), Math.max(...segs.map((s) => s.vaddr + s.memsz))];
  } catch {
    return null;
  }
}

/** The wedge's command line: the guest's name, the wedge's initrd option if any, the guest's arguments. */
function wedgeCmdline(b: BackendBoot, option: string): string {
  return `${b.kernelName}${option ? ' ' + option : ''} ${b.append ?? ''}`;
}

/** Loads the guest onto `machine` for the chosen back-end. */
export function bootOnBackend(machine: Machine, b: BackendBoot): Backend {
  // The cycle ledger tells guest kernel and wedge code apart by the images they run from.
  machine.cpu.ledger.setRegions({ kernel: imageRange(b.elf), wedge: b.wedge ? imageRange(b.wedge) : null });
  if (b.backend === 'hardware') {
    if (b.wedge) throw new BackendError('--wedge needs a hypervisor back-end (--backend xen)');
    const boot = machine.boot(b.elf, b.kernelName, b.append, b.modules ?? [], b.initrd);
    return { boot, stats: () => ({ backend: 'hardware', mode: 'native', ...common(machine) }) };
  }
  // Under a wedge the guest is an ELF (a Linux vmlinux takes the initrd; the wedge refuses it for any other).
  if (b.initrd && !b.wedge && !isLinuxBzImage(b.elf)) throw new BackendError(`${b.kernelName}: an initrd needs a Linux bzImage; a multiboot kernel takes modules`);
  if (isLinuxBzImage(b.elf) && b.wedge) throw new BackendError(`${b.kernelName}: a Linux bzImage under --wedge is not supported yet; it runs under trap-and-emulate (no --wedge) or on hardware`);
  if (b.backend === 'l4') return bootOnL4(machine, b);
  const costs = machine.profile.xen;
  if (!costs) throw new BackendError(`profile ${machine.profile.name} has no "xen" figures, which --backend xen needs`);
  const xen = new XenHypervisor(machine, costs);
  machine.dmaLimit = { end: xen.domainEnd, owner: 'xen' };
  const cmdline = b.append !== undefined ? `${b.kernelName} ${b.append}` : `${b.kernelName} `;
  if (b.wedge) {
    const wedgeName = b.wedgeName ?? 'wedge';
    if (!xenGuestParams(b.wedge, wedgeName)) throw new BackendError(`${wedgeName}: a Xen wedge must be a para-virtual kernel (no __xen_guest section)`);
    if (b.modules?.length) throw new BackendError('--module is not supported with --wedge (the guest is the wedge\'s module)');
    xen.attach();
    const { module, option } = wedgeModule(b.elf, b.initrd);
    const d = xen.bootPv(b.wedge, wedgeName, wedgeCmdline(b, option), module);
    const holes = new HoleRecorder(xen.cpu, xen.mem, [b.elf], () => xen.virtualIf(), d.virtBase);
    holes.attach();
    const wedge = b.wedge;
    return {
      stats: () => ({
        backend: 'xen', mode: 'pv-wedge', ...common(machine, xen.stats.timer_virqs), xen: xen.stats, holes: holes.report(), ...readWedgeStats(wedge, xen.mem),
        ...readWedgeProfile(wedge, xen.mem),
      }),
    };
  }
  if (!isLinuxBzImage(b.elf) && xenGuestParams(b.elf, b.kernelName)) {
    xen.attach();
    xen.bootPv(b.elf, b.kernelName, cmdline, b.modules?.[0]?.data);
    const holes = new HoleRecorder(xen.cpu, xen.mem, [b.elf], () => xen.virtualIf());
    holes.attach();
    return { stats: () => ({ backend: 'xen', mode: 'pv', ...common(machine, xen.stats.timer_virqs), xen: xen.stats, holes: holes.report() }) };
  }
  const te = new TrapAndEmulate(xen, b.elf, b.symbols);
  te.boot(b.elf, b.kernelName, b.append, b.modules ?? [], b.initrd);
  return { stats: () => ({ backend: 'xen', mode: 'trap-and-emulate', ...common(machine), xen: xen.stats, trap_and_emulate: te.stats() }) };
}

function bootOnL4(machine: Machine, b: BackendBoot): Backend {
  const costs = machine.profile.l4;
  if (!costs) throw new BackendError(`profile ${machine.profile.name} has no "l4" figures, which --backend l4 needs`);
  if (b.modules?.length && b.wedge) throw new BackendError('--module is not supported with --wedge (the guest is the wedge\'s module)');
  const image = b.wedge ?? b.elf;
  const imageName = b.wedge ? b.wedgeName ?? 'wedge' : b.kernelName;
  if (b.wedge && !l4GuestParams(b.wedge, imageName)) throw new BackendError(`${imageName}: an L4 wedge must be an L4 task image (no __l4_guest section)`);
  const l4 = new L4Kernel(machine, costs);
  machine.dmaLimit = { end: l4.physEnd, owner: 'l4' };
  const bz = isLinuxBzImage(b.elf);
  if (!b.wedge && (bz || !l4GuestParams(b.elf, b.kernelName))) {
    if (!bz && xenGuestParams(b.elf, b.kernelName)) {
      throw new BackendError(`${b.kernelName}: a Xen para-virtual kernel (__xen_guest section), neither an L4 task image (no __l4_guest section) nor a plain multiboot kernel for trap-and-emulate`);
    }
    // An unmodified multiboot kernel: a user-level monitor runs it under trap-and-emulate.
    l4.attach();
    const te = new L4TrapAndEmulate(l4, b.elf, b.symbols);
    te.boot(b.elf, b.kernelName, b.append, b.modules ?? [], b.initrd);
    return {
      stats: () => ({ backend: 'l4', mode: 'trap-and-emulate', ...common(machine, 0, l4.stats.messages.interrupt), l4: l4.report(), trap_and_emulate: te.stats() }),
    };
  }
  const cmdline = b.append !== undefined ? `${b.kernelName} ${b.append}` : `${b.kernelName} `;
  l4.attach();
  const wm = b.wedge ? wedgeModule(b.elf, b.initrd) : null;
  const t = l4.bootTask(image, imageName, wm ? wedgeCmdline(b, wm.option) : cmdline, wm ? wm.module : b.modules?.[0]?.data);
  const inTask = (): boolean => l4.inPrivilegedTask();
  // IF is always 1 under L4: a popf that pops IF = 0 is a lost attempt to disable interrupts.
  const holes = new HoleRecorder(l4.cpu, l4.taskMem, b.wedge ? [b.elf, b.wedge] : [b.elf], () => true, b.wedge ? t.virtBase : undefined, { ring: 3, counts: inTask });
  holes.attach();
  const wedge = b.wedge;
  const irqs = (): number => l4.stats.messages.interrupt;
  return {
    stats: () => ({
      backend: 'l4', mode: wedge ? 'pv-wedge' : 'pv', ...common(machine, 0, irqs()), l4: l4.report(), holes: holes.report(),
      ...(wedge ? readWedgeStats(wedge, l4.taskMem) : {}),
    }),
  };
}

/** The wedge's page-table profile: at `wedge_pt_profile` a magic ("WTPP"), N, capacity, N EIPs. */
function readWedgeProfile(wedge: Uint8Array, mem: GuestMemory): Pick<BackendStats, 'pt_write_eips'> {
  const sym = elfSymbols(wedge).find((s) => s.name === 'wedge_pt_profile');
  if (!sym || mem.read32(sym.value) !== 0x50505457) return {};
  const n = Math.min(mem.read32(sym.value + 4), mem.read32(sym.value + 8));
  if (n === 0) return {};
  const eips: number[] = [];
  for (let i = 0; i < n; i++) eips.push(mem.read32(sym.value + 12 + i * 4));
  return { pt_write_eips: eips.sort((a, b) => a - b) };
}

/** The wedge's counters: at `wedge_stats` a magic, a version, N, then N u32; N names at `wedge_stat_names`. */
function readWedgeStats(wedge: Uint8Array, mem: GuestMemory): Pick<BackendStats, 'wedge' | 'wedge_error'> {
  const syms = elfSymbols(wedge);
  const stats = syms.find((s) => s.name === 'wedge_stats');
  const names = syms.find((s) => s.name === 'wedge_stat_names');
  if (!stats || !names) return {};
  try {
    const n = mem.read32(stats.value + 8);
    if (n > 4096) return { wedge_error: `wedge_stats at 0x${stats.value.toString(16)} claims ${n} counters` };
    const out: Record<string, number> = {};
    let at = names.value;
    for (let i = 0; i < n; i++) {
      let name = '';
      for (let c = mem.read8(at++); c !== 0; c = mem.read8(at++)) name += String.fromCharCode(c);
      out[name] = mem.read32(stats.value + 12 + i * 4);
    }
    return { wedge: out };
  } catch (e) {
    return { wedge_error: `reading wedge_stats: ${(e as Error).message}` };
  }
}
