// Virtualization holes: sensitive instructions that a deprivileged guest kernel (ring 1) executes
// without a trap, so the hypervisor never sees them and they act on the real machine state
// (pushf reads the real IF, popf silently keeps it, sgdt/sidt/str/smsw/sldt and segment reads
// reveal the hypervisor's tables and the ring). The CPU reports each sensitive instruction through
// its onSensitive hook; this keeps the ones that do not fault at CPL 1, by site, and names the
// site from the guest ELF's symbol table.
import type { Cpu } from '../cpu/cpu.ts';
import { SENSITIVE, type SensitiveName } from '../cpu/stats.ts';
import { IF } from '../cpu/flags.ts';
import { CS, SS } from '../cpu/segments.ts';
import { elfSymbols, symbolize, type ElfSymbol } from './elf.ts';
import type { GuestMemory } from './guest-memory.ts';

/** Sensitive instructions that execute in ring 1 without faulting (IOPL 0). */
export const HOLE_NAMES: ReadonlySet<SensitiveName> = new Set<SensitiveName>([
  'pushf', 'popf', 'sgdt', 'sidt', 'sldt', 'str', 'smsw', 'lar', 'lsl', 'verr', 'verw', 'arpl',
  'read_cs', 'read_ss', 'read_ds', 'read_es', 'read_fs', 'read_gs',
]);

/** A site's key: its address times SENSITIVE's length plus the instruction's place there, one number (no string built per execution). */
const NAME_INDEX = new Map<SensitiveName, number>(SENSITIVE.map((n, k) => [n, k]));

export interface HoleSite {
  instruction: SensitiveName;
  /** Linear address of the instruction (hex). */
  address: string;
  /** symbol+offset from the guest's symbol table. */
  symbol: string;
  count: number;
}

export class HoleRecorder {
  private sites = new Map<number, { name: SensitiveName; eip: number; count: number }>();
  private readonly symbols: ElfSymbol[];
  /** popf executions in ring 1 whose popped IF disagreed with the virtual IF (the lost updates). */
  popfIfLost = 0;

  /**
   * With `guestBelow` set (a wedge runs above that address), every sensitive instruction the
   * guest executes in ring 1 below it is a hole, faulting or not: the wedge should have rewritten
   * it. Without it (trap-and-emulate, a para-virtual guest), only those that do not fault.
   */
  constructor(private readonly cpu: Cpu, private readonly mem: GuestMemory, images: Uint8Array[], private readonly virtualIf: () => boolean,
    private readonly guestBelow?: number,
    /** The ring the deprivileged guest kernel runs in (1 under Xen, 3 under L4) and which code counts. */
    private readonly where: { ring: number; counts?: () => boolean } = { ring: 1 },
    /** Symbols from elsewhere (a bzImage's System.map), for images that are not ELF files. */
    extraSymbols: ElfSymbol[] = []) {
    this.symbols = [...images.flatMap((img) => elfSymbols(img)), ...extraSymbols].sort((a, b) => a.value - b.value || b.size - a.size);
  }

  attach(): void {
    this.cpu.onSensitive = (name) => this.seen(name);
  }

  private seen(name: SensitiveName): void {
    const cpu = this.cpu;
    if (cpu.cpl !== this.where.ring) return;
    if (this.where.counts && !this.where.counts()) return;
    if (this.guestBelow !== undefined) {
      if (((cpu.segBase[CS]! + cpu.eip) >>> 0) >= this.guestBelow) return;
    } else if (!HOLE_NAMES.has(name)) return;
    if (name === 'popf' && this.guestBelow === undefined) {
      // A hole only when the guest meant to change IF: compare the popped IF with the virtual one.
      let top: number;
      try { top = this.mem.read32((cpu.segBase[SS]! + cpu.r[4]!) | 0); } catch { return; }
      if (((top & IF) !== 0) === this.virtualIf()) return;
      this.popfIfLost++;
    }
    const eip = (cpu.segBase[CS]! + cpu.eip) >>> 0;
    const key = eip * SENSITIVE.length + NAME_INDEX.get(name)!;
    const site = this.sites.get(key);
    if (site) site.count++;
    else this.sites.set(key, { name, eip, count: 1 });
  }

  /** Every hole site, by address then instruction name. */
  report(): HoleSite[] {
    return [...this.sites.values()]
      .sort((a, b) => a.eip - b.eip || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((s) => ({ instruction: s.name, address: `0x${s.eip.toString(16).padStart(8, '0')}`, symbol: symbolize(this.symbols, s.eip), count: s.count }));
  }
}
