// The Xen hypervisor model (x86-32 para-virtual, Xen 3.0 interface; ABI.md is the contract).
// It sits on the CPU's trap hook: `int $0x82` is a hypercall, exceptions and `int n` from rings 1
// and 3 are bounced to the guest's trap table, physical interrupts are taken by Xen and turned
// into event-channel notifications, and port I/O from ring 1 is emulated on #GP for the domain's
// directly assigned devices. Every operation charges cycles from the profile's `xen` figures.
import type { Machine } from '../../machine.ts';
import { HostPic } from '../host-pic.ts';
import type { Cpu } from '../../cpu/cpu.ts';
import { hex } from '../../hex.ts';
import type { InterruptController } from '../../types.ts';
import type { XenCostTable } from '../../profiles/load.ts';
import { CS, SS, DS, ES, FS, GS, descBase, descLimit } from '../../cpu/segments.ts';
import { EAX, ECX, EDX, EBX, ESP, ESI, EDI, IF, TF, NT } from '../../cpu/flags.ts';
import { CR0_PG, CR0_WP, CR0_TS } from '../../cpu/mmu.ts';
import { GuestMemory, GuestFault } from '../guest-memory.ts';
import { CpuFault, hasErrorCode } from '../../cpu/fault.ts';
import { PageTypes, XenRefusal, T_L1, T_L2, T_NONE } from './paging.ts';
import { buildDomain, xenGuestParams, type BuiltDomain } from './builder.ts';
import * as L from './layout.ts';
import { NetBack, type NetbackStats } from '../net-back.ts';
import { TimeBase } from '../../net/seams.ts';

/** EFLAGS bits a ring-1 guest may set through the iret hypercall (not IOPL, VM, IF). */
const IRET_CHANGEABLE = 0x254dd5;
/** Directly assigned ports (ABI.md section 7): the UART, PCI configuration, debug-exit, the CMOS RTC. */
const PORTS_ASSIGNED: [number, number][] = [[0x3f8, 8], [0xcf8, 8], [0xf4, 4], [0x70, 2]];
const MMIO_WINDOW: [number, number] = [0xfeb00000, 0xfec00000];
/** The UART's line and the PCI lines (PIRQ A-D go to IRQ 10 and 11, emulator/devices/pci.ts). */
const IRQS_ASSIGNED = new Set([4, 10, 11]);

/** Stops the domain: the message says what the guest tried. */
export class DomainCrash extends Error {}

export interface XenStats {
  /** Hypercalls by name (every name, number order). */
  hypercalls: Record<string, number>;
  /** Cycles charged for Xen's own work (hypercalls, bounces, validation, emulation). */
  xen_cycles: number;
  /** NEW_BASEPTR operations (CR3 switches with their TLB flush). */
  address_space_switches: number;
  /** TLB flushes and single-page invalidations Xen performed for the domain. */
  tlb_flushes: number;
  invlpgs: number;
  /** Page-table entries checked (updates and scans when a frame became a table). */
  pt_entries_validated: number;
  /** Event upcalls delivered (bounces to the event callback). */
  upcalls: number;
  /** Traps and `int n` bounced to the guest, by vector. */
  bounced_traps: Record<string, number>;
  /** Physical interrupts Xen took, by IRQ line, and those sent on as pirq events. */
  physical_irqs: Record<string, number>;
  timer_virqs: number;
  /** Port accesses Xen emulated after a #GP in ring 1. */
  io_emulated: number;
  /** Why the domain was stopped by Xen, if it was. */
  crash: string | null;
  /** The split network device's back half, once the domain connected it (ABI.md section 11). */
  netif?: NetbackStats;
}

interface TrapEntry { flags: number; cs: number; address: number }
interface Port { kind: 'virq' | 'pirq' | 'local' | 'netif'; n: number }

export class XenHypervisor {
  readonly cpu: Cpu;
  readonly mem: GuestMemory;
  readonly paging: PageTypes;
  readonly domainEnd: number;
  readonly xenBase: number;
  readonly sharedInfo: number;
  private readonly holeL1: number;
  readonly gdtPhys: number;
  readonly stats: XenStats;
  domain: BuiltDomain | null = null;

  private traps = new Map<number, TrapEntry>();
  private eventCs = 0; private eventEip = 0;
  private kernelSs = 0; private kernelEsp = 0;
  private ports: (Port | null)[] = [null];
  private virqPort = new Map<number, number>();
  private pirqPort = new Map<number, number>();
  private timer: ReturnType<Machine['clock']['schedule']> | null = null;
  private iopl = 1;
  private readonly pic: HostPic;
  /** Charge the CPU's entry of an int n into Xen (the profile's mechanisms.hypervisor_int_entry). */
  private readonly intEntry: boolean;
  private gdtFrames: number[] = [];
  private netback: NetBack | null = null;
  /** The NIC's BAR1 frame and line once its driver domain owns it (the domain may use neither). */
  private nicFrame = -1;
  private nicIrq = -1;

  constructor(readonly machine: Machine, readonly costs: XenCostTable) {
    this.cpu = machine.cpu as unknown as Cpu;
    this.pic = new HostPic(machine.bus, this.cpu, machine.profile.mechanisms.host_pic_port_io);
    this.intEntry = machine.profile.mechanisms.hypervisor_int_entry;
    const ramBytes = machine.bus.ram.length;
    if (ramBytes < 3 * L.XEN_RESERVED) throw new RangeError(`xen needs at least ${3 * L.XEN_RESERVED >> 20} MiB of RAM (it keeps ${L.XEN_RESERVED >> 20} MiB)`);
    this.domainEnd = ramBytes - L.XEN_RESERVED;
    this.xenBase = this.domainEnd;
    this.sharedInfo = this.xenBase;
    this.holeL1 = this.xenBase + L.PAGE;
    this.gdtPhys = this.xenBase + 2 * L.PAGE;
    this.mem = new GuestMemory(this.cpu);
    this.paging = new PageTypes(this.cpu, this.domainEnd / L.PAGE, new Set([this.sharedInfo / L.PAGE]),
      (f) => f * L.PAGE >= MMIO_WINDOW[0] && f * L.PAGE < MMIO_WINDOW[1] && f !== this.nicFrame, ramBytes / L.PAGE);
    this.paging.holeEntry = this.holeL1 | 0x23;
    this.paging.onTyped = () => this.flushTlb();
    const hypercalls: Record<string, number> = {};
    for (const n of L.HYPERCALL_NAMES) hypercalls[n] = 0;
    this.stats = {
      hypercalls, xen_cycles: 0, address_space_switches: 0, tlb_flushes: 0, invlpgs: 0, pt_entries_validated: 0,
      upcalls: 0, bounced_traps: {}, physical_irqs: {}, timer_virqs: 0, io_emulated: 0, crash: null,
    };
    this.setUpHypervisorMemory();
  }

  // ---- start of day ----------------------------------------------------------------------------

  /** Xen's GDT (reserved flat selectors) mapped read-only at 0xFC000000 through its hole L1. */
  private setUpHypervisorMemory(): void {
    const ram = this.machine.bus.ram;
    ram.fill(0, this.xenBase, ram.length);
    const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
    const put = (sel: number, hi: number): void => {
      dv.setUint32(this.gdtPhys + (sel & ~7), 0x0000ffff, true);
      dv.setUint32(this.gdtPhys + (sel & ~7) + 4, hi, true);
    };
    put(L.FLAT_RING1_CS, 0x00cfbb00);
    put(L.FLAT_RING1_DS, 0x00cfb300);
    put(L.FLAT_RING3_CS, 0x00cffb00);
    put(L.FLAT_RING3_DS, 0x00cff300);
    const gdtPages = Math.ceil(L.GDT_BYTES / L.PAGE);
    for (let i = 0; i < gdtPages; i++) dv.setUint32(this.holeL1 + i * 4, (this.gdtPhys + i * L.PAGE) | 0x21, true);
  }

  /** Takes the PIC and the CPU's trap hook; call before the guest runs. */
  attach(): void {
    const pic = this.machine.pic;
    // Initialise the 8259A pair as Xen does: vectors 0x20/0x28, cascade on IRQ 2, all lines masked.
    this.pic.init(0x20);
    const line: InterruptController = {
      pending: () => pic.pending() || this.upcallWanted(),
      acknowledge: () => (pic.pending() ? pic.acknowledge() : L.UPCALL_VECTOR),
    };
    this.machine.interrupts = line;
    this.cpu.onTrap = (vector, code, kind) => this.trap(vector, code, kind);
  }

  /** Builds and starts a para-virtual domain from `image` (which must carry __xen_guest). */
  bootPv(image: Uint8Array, name: string, cmdline: string, module?: Uint8Array): BuiltDomain {
    const params = xenGuestParams(image, name);
    if (!params) throw new Error(`${name}: not a para-virtual kernel (no __xen_guest section)`);
    const d = buildDomain(image, name, params, {
      ram: this.machine.bus.ram, domainEnd: this.domainEnd, sharedInfoMachine: this.sharedInfo, module, cmdline,
    });
    this.domain = d;
    const cpu = this.cpu;
    cpu.resetForMultiboot(d.entry, 0, 0);
    try {
      this.paging.pin(d.l2Frame, T_L2, 'domain builder');
      this.paging.useAsBase(d.l2Frame, -1, 'domain builder');
    } catch (e) {
      throw new Error(`${name}: the bootstrap page tables do not validate: ${(e as Error).message}`);
    }
    cpu.cr3 = d.l2Frame * L.PAGE;
    cpu.cr0 = cpu.cr0 | CR0_PG | CR0_WP;
    cpu.flushTlbAll();
    cpu.gdtBase = L.HYPERVISOR_VIRT_START;
    cpu.gdtLimit = L.GDT_BYTES - 1;
    this.loadSel(CS, L.FLAT_RING1_CS);
    for (const s of [SS, DS, ES, FS, GS]) this.loadSel(s, L.FLAT_RING1_DS);
    cpu.r[ESP] = d.stackTop;
    cpu.r[ESI] = d.startInfoVa;
    cpu.flags = 0x202;
    this.writeShared8(L.SH_UPCALL_MASK, 1);
    const mul = Math.floor(2 ** 32 * 1000 / this.machine.profile.cpuMhz);
    this.writeShared32(L.SH_TIME_MUL, mul);
    return d;
  }

  /** Loads a segment register from the GDT without privilege checks (Xen acting for the guest). */
  private loadSel(seg: number, sel: number): void {
    const cpu = this.cpu;
    cpu.readDescriptor(sel);
    cpu.setSegCache(seg, sel, descBase(cpu.dLo, cpu.dHi), descLimit(cpu.dLo, cpu.dHi), cpu.dHi & 0xf0ff00, true);
  }

  /** Charges Xen's own work, to the operation under way in the cycle ledger (or `op`). */
  charge(n: number, op?: string): void {
    this.cpu.cycles += n;
    this.stats.xen_cycles += n;
    this.cpu.ledger.chargeHypervisor(n, op);
  }

  // ---- shared info and event channels -------------------------------------------------------------

  private readShared32(off: number): number { return this.cpu.physRead32(this.sharedInfo + off) >>> 0; }
  private writeShared32(off: number, v: number): void { this.cpu.physWrite32(this.sharedInfo + off, v | 0); }
  private readShared8(off: number): number { return this.machine.bus.ram[this.sharedInfo + off]!; }
  private writeShared8(off: number, v: number): void { this.machine.bus.ram[this.sharedInfo + off] = v; }

  /** The domain's virtual IF: events not masked. */
  virtualIf(): boolean {
    return this.readShared8(L.SH_UPCALL_MASK) === 0;
  }

  private upcallWanted(): boolean {
    return this.readShared8(L.SH_UPCALL_PENDING) !== 0 && this.readShared8(L.SH_UPCALL_MASK) === 0 && this.eventEip !== 0;
  }

  /** Marks `port` pending with Xen's rules (ABI.md §6) and asks for the CPU if an upcall is due. */
  setPending(port: number): void {
    const word = port >>> 5, bit = 1 << (port & 31);
    const pend = this.readShared32(L.SH_EVTCHN_PENDING + word * 4);
    if (pend & bit) return;
    this.writeShared32(L.SH_EVTCHN_PENDING + word * 4, pend | bit);
    if (this.readShared32(L.SH_EVTCHN_MASK + word * 4) & bit) return;
    this.raiseSel(word);
  }
  private raiseSel(word: number): void {
    const sel = this.readShared32(L.SH_PENDING_SEL);
    if (sel & (1 << word)) return;
    this.writeShared32(L.SH_PENDING_SEL, sel | (1 << word));
    this.writeShared8(L.SH_UPCALL_PENDING, 1);
    if (this.readShared8(L.SH_UPCALL_MASK) === 0) this.cpu.notifyIrq();
  }

  private allocPort(p: Port): number {
    const port = this.ports.length;
    if (port >= L.NR_EVENT_CHANNELS) return L.ENOSYS;
    this.ports.push(p);
    return port;
  }

  private timerFired(): void {
    this.timer = null;
    this.stats.timer_virqs++;
    const port = this.virqPort.get(L.VIRQ_TIMER);
    if (port !== undefined) this.setPending(port);
  }

  // ---- the trap hook --------------------------------------------------------------------------

  private trap(vector: number, code: number | undefined, kind: 'exception' | 'software' | 'external'): boolean {
    if (this.stats.crash !== null) return true;
    const ledger = this.cpu.ledger;
    ledger.hypervisorOp = kind === 'external' ? (vector === L.UPCALL_VECTOR ? 'xen event upcall' : 'xen physical interrupt')
      : kind === 'software' && vector === L.HYPERCALL_VECTOR ? `xen hypercall ${L.HYPERCALLS[this.cpu.r[EAX]! >>> 0] ?? 'unknown'}`
      : kind === 'software' ? 'xen int bounce' : vector === 14 ? 'xen page fault bounce' : 'xen trap bounce';
    try {
      // An int n reaches Xen through its IDT gate: ring 1 or 3 into ring 0, a cross-ring entry the
      // CPU pays before Xen's own work (the hook replaces the IDT delivery that would charge it).
      if (kind === 'software' && this.intEntry) this.cpu.cycles += this.cpu.costs.int_n_cross_ring;
      if (kind === 'external') this.external(vector);
      else if (kind === 'software' && vector === L.HYPERCALL_VECTOR && this.cpu.cpl === 1) this.hypercall();
      else if (kind === 'software') this.softwareInt(vector);
      else this.exception(vector, code);
    } catch (e) {
      if (e instanceof DomainCrash || e instanceof XenRefusal) this.crash(e.message);
      else if (e instanceof GuestFault) this.crash(`${e.message} while Xen handled vector ${vector} at eip ${hex(this.cpu.eip)}`);
      else if (e instanceof CpuFault) this.crash(`fault ${e.vector} (error ${hex(e.code)}) while Xen handled vector ${vector} at eip ${hex(this.cpu.eip)}: a selector or stack the domain gave Xen is bad`);
      else throw e;
    }
    return true;
  }

  crash(message: string): void {
    if (this.stats.crash !== null) return;
    this.stats.crash = message;
    this.machine.halt({ kind: 'shutdown', detail: `xen: domain crashed: ${message}`, dump: this.cpu.dumpState() });
  }

  private external(vector: number): void {
    if (vector === L.UPCALL_VECTOR) {
      this.cpu.cycles -= this.cpu.costs.hw_interrupt_entry; // no hardware interrupt: only the upcall costs
      this.cpu.ledger.chargeInterruptEntry(-this.cpu.costs.hw_interrupt_entry);
      if (this.upcallWanted()) this.deliverUpcall();
      return;
    }
    const irq = vector - L.PIC_VECTOR_BASE;
    if (irq < 0 || irq > 15) return;
    this.stats.physical_irqs[irq] = (this.stats.physical_irqs[irq] ?? 0) + 1;
    // Mask the line until the guest's PHYSDEVOP_eoi, then EOI the PIC(s): each write is an `out`
    // charged port_io by the PIC driver.
    this.pic.maskLine(irq);
    this.pic.eoi(irq);
    const port = this.pirqPort.get(irq);
    if (port !== undefined) this.setPending(port);
    if (this.upcallWanted()) this.deliverUpcall();
  }

  private softwareInt(vector: number): void {
    const t = this.traps.get(vector);
    const cpu = this.cpu;
    if (t && (t.flags & 3) >= cpu.cpl) {
      this.bounce(vector, undefined, cpu.eip, t);
      return;
    }
    // Not allowed from this ring: #GP with the IDT-style error code, at the int instruction.
    this.exception(13, (vector << 3) | 2, cpu.trapInsnEip);
  }

  private exception(vector: number, code: number | undefined, eip = this.cpu.eip): void {
    const cpu = this.cpu;
    if (vector === 13 && cpu.cpl === 1 && this.emulateIo()) return;
    if (vector === 14) {
      const lin = cpu.cr2 >>> 0;
      // A write fault on a page-table frame is an ordinary #PF for the guest to handle (as on
      // Xen without the writable-pagetables assist); a guest with no page-fault handler is stopped
      // with the diagnostic, since it cannot have meant it.
      if (((code ?? 0) & 3) === 3 && !this.traps.has(14)) {
        const p = this.mem.translate(lin, false);
        if (p >= 0 && p < this.domainEnd && this.paging.type[p >>> 12] !== T_NONE) {
          throw new DomainCrash(`wrote ${this.paging.typeName(p >>> 12)} frame ${hex(p >>> 12)} directly at eip ${hex(eip)} (address ${hex(lin)}); page tables change only through mmu_update`);
        }
      }
      this.writeShared32(L.SH_CR2, lin);
    }
    const t = this.traps.get(vector);
    if (!t) throw new DomainCrash(`no handler for trap ${vector}${code !== undefined ? ` (error ${hex(code)})` : ''} at eip ${hex(eip)} (ring ${cpu.cpl}) in the trap table`);
    this.bounce(vector, hasErrorCode(vector) ? code ?? 0 : undefined, eip, t);
  }

  /** Builds a ring-1 bounce frame and enters the handler (ABI.md §6). */
  private bounce(vector: number, code: number | undefined, eip: number, t: TrapEntry): void {
    this.stats.bounced_traps[vector] = (this.stats.bounced_traps[vector] ?? 0) + 1;
    this.charge(this.costs.xen_trap_bounce);
    this.enter(t.cs, t.address, code, eip, (t.flags & 4) !== 0, `trap ${vector}`);
  }

  private deliverUpcall(): void {
    this.stats.upcalls++;
    this.charge(this.costs.xen_event_upcall, 'xen event upcall');
    this.enter(this.eventCs, this.eventEip, undefined, this.cpu.eip, true, 'event upcall');
  }

  private enter(cs: number, address: number, code: number | undefined, eip: number, mask: boolean, what: string): void {
    const cpu = this.cpu;
    const from = cpu.cpl;
    const vflags = (cpu.getEflags() & ~IF) | (this.readShared8(L.SH_UPCALL_MASK) ? 0 : IF);
    const words: number[] = [];
    let ss: number, esp: number;
    if (from === 3) {
      if (this.kernelSs === 0) throw new DomainCrash(`${what} from ring 3 at eip ${hex(eip)} but no kernel stack was given (stack_switch)`);
      ss = this.kernelSs; esp = this.kernelEsp;
      words.push(cpu.sel[SS]!, cpu.r[ESP]!);
    } else {
      ss = cpu.sel[SS]!; esp = cpu.r[ESP]!;
    }
    words.push(vflags, cpu.sel[CS]!, eip);
    if (code !== undefined) words.push(code);
    try {
      for (const w of words) { esp = (esp - 4) | 0; this.mem.write32(esp, w); }
    } catch (e) {
      if (e instanceof GuestFault) throw new DomainCrash(`cannot write the bounce frame for ${what} at eip ${hex(eip)}: stack ${hex(ss)}:${hex(esp)} is not mapped writable`);
      throw e;
    }
    if (from === 3) this.loadSel(SS, ss);
    this.loadSel(CS, cs);
    cpu.r[ESP] = esp;
    cpu.eip = address;
    cpu.flags = cpu.getEflags() & ~(TF | NT);
    if (mask) this.writeShared8(L.SH_UPCALL_MASK, 1);
  }

  // ---- port I/O emulation ------------------------------------------------------------------------

  private portAssigned(port: number, size: number): boolean {
    for (let p = port; p < port + size; p++) {
      if (!PORTS_ASSIGNED.some(([b, n]) => p >= b && p < b + n)) return false;
    }
    return true;
  }

  /** in/out at ring 1 after #GP: performs it for assigned ports when the virtual IOPL allows. */
  private emulateIo(): boolean {
    const cpu = this.cpu;
    const base = cpu.segBase[CS]! + cpu.eip;
    let op: number, len = 1, opsize = 4;
    try {
      op = this.mem.read8(base);
      if (op === 0x66) { opsize = 2; op = this.mem.read8(base + 1); len = 2; }
    } catch { return false; }
    if (op < 0xe4 || op > 0xef || (op > 0xe7 && op < 0xec)) return false;
    const size = op & 1 ? opsize : 1;
    let port: number;
    if (op < 0xec) { port = this.mem.read8(base + len); len++; } else port = cpu.r[EDX]! & 0xffff;
    if (this.iopl < 1 || !this.portAssigned(port, size)) return false;
    const out = (op & 2) !== 0;
    if (out) cpu.portOut(port, size, cpu.r[EAX]!);
    else {
      const v = cpu.portIn(port, size);
      cpu.r[EAX] = size === 4 ? v : (cpu.r[EAX]! & ~(size === 2 ? 0xffff : 0xff)) | v;
    }
    this.stats.io_emulated++;
    this.charge(this.costs.xen_io_emulation, 'xen port I/O emulation');
    cpu.eip = (cpu.eip + len) | 0;
    return true;
  }

  // ---- hypercalls --------------------------------------------------------------------------------

  private hypercall(): void {
    const cpu = this.cpu;
    const nr = cpu.r[EAX]! >>> 0;
    const name = L.HYPERCALLS[nr];
    if (name) this.stats.hypercalls[name]!++;
    if (nr === 23) {
      this.charge(this.costs.xen_iret_hypercall);
      this.iret();
    } else {
      this.charge(this.costs.xen_hypercall);
      const r = this.call(nr, cpu.r[EBX]! >>> 0, cpu.r[ECX]! >>> 0, cpu.r[EDX]! >>> 0, cpu.r[ESI]! >>> 0, cpu.r[EDI]! >>> 0);
      if (r === null) return; // blocked: the CPU halts; EAX was set
      cpu.r[EAX] = r;
    }
    if (this.upcallWanted()) this.deliverUpcall();
  }

  /** One hypercall; returns EAX, or null when the vCPU blocked (EAX already set). */
  private call(nr: number, a1: number, a2: number, a3: number, a4: number, a5: number): number | null {
    try {
      switch (nr) {
        case 0: return this.setTrapTable(a1);
        case 1: return this.mmuUpdate(a1, a2, a3);
        case 2: return this.setGdt(a1, a2);
        case 3:
          if ((a1 & 3) !== 1) return L.EINVAL;
          this.kernelSs = a1 & 0xffff; this.kernelEsp = a2; return 0;
        case 4:
          this.eventCs = a1 & 0xffff; this.eventEip = a2; return 0;
        case 5:
          this.cpu.cr0 = a1 ? this.cpu.cr0 | CR0_TS : this.cpu.cr0 & ~CR0_TS; return 0;
        case 10: return this.updateDescriptor(a1, a3, a4);
        case 13: return this.multicall(a1, a2);
        case 14: return this.updateVaMapping(a1, a2, a3);
        case 15: return this.setTimer(a1, a2);
        case 17: return this.xenVersion(a1, a2);
        case 18: return this.consoleIo(a1, a2, a3);
        case 20: return this.grantTableOp(a1, a2);
        case 21: return a2 === 2 ? L.ENOSYS : a2 <= 1 && a1 <= 1 ? 0 : L.EINVAL;
        case 26: return this.mmuextOp(a1, a2, a3);
        case 29: return this.schedOp(a1, a2);
        case 32: return this.eventChannelOp(a1, a2);
        case 33: return this.physdevOp(a1, a2);
        default: return L.ENOSYS;
      }
    } catch (e) {
      if (e instanceof GuestFault) return L.EFAULT;
      throw e;
    }
  }

  private setTrapTable(table: number): number {
    for (let p = table; ; p += 8) {
      const address = this.mem.read32(p + 4);
      if (address === 0) return 0;
      const vector = this.mem.read8(p), flags = this.mem.read8(p + 1), cs = this.mem.read16(p + 2);
      if ((cs & 3) !== 1) throw new DomainCrash(`set_trap_table: vector ${vector} handler selector ${hex(cs)} is not a ring-1 selector`);
      this.traps.set(vector, { flags, cs, address });
    }
  }

  private mmuUpdate(reqs: number, count: number, doneAt: number): number {
    let done = 0;
    for (; done < count; done++) {
      const at = reqs + done * 16;
      const ptrLo = this.mem.read32(at), ptrHi = this.mem.read32(at + 4), val = this.mem.read32(at + 8);
      if (ptrHi !== 0) throw new DomainCrash(`mmu_update: entry address ${hex(ptrHi)}${hex(ptrLo).slice(2).padStart(8, '0')} is beyond 4 GiB`);
      const cmd = ptrLo & 3;
      if (cmd === 1) continue; // MMU_MACHPHYS_UPDATE: the p2m is the identity
      if (cmd !== 0) return L.ENOSYS;
      this.validated(() => this.paging.update(ptrLo & ~3, val, 'mmu_update'));
      this.charge(this.costs.xen_mmu_update_per_pte);
    }
    if (doneAt) this.mem.write32(doneAt, done);
    return 0;
  }

  /** Runs a paging change and charges the entries it checked. */
  private validated(f: () => void): void {
    const before = this.paging.entriesChecked;
    f();
    const n = this.paging.entriesChecked - before;
    this.stats.pt_entries_validated += n;
    this.charge(n * this.costs.xen_pt_validate_per_entry);
  }

  private flushTlb(): void {
    this.cpu.flushTlbAll();
    this.stats.tlb_flushes++;
  }

  private updateVaMapping(va: number, val: number, flags: number): number {
    const cpu = this.cpu;
    const pde = cpu.physRead32(((cpu.cr3 & ~0xfff) >>> 0) + (va >>> 22) * 4);
    if (!(pde & 1)) return L.EINVAL;
    const ptr = ((pde & ~0xfff) >>> 0) + ((va >>> 12) & 0x3ff) * 4;
    this.validated(() => this.paging.update(ptr, val, `update_va_mapping(${hex(va)})`));
    this.charge(this.costs.xen_mmu_update_per_pte);
    if ((flags & 3) === 1) this.flushTlb();
    else { cpu.invalidatePage(va); cpu.fetchInvalidate(); this.stats.invlpgs++; }
    return 0;
  }

  private mmuextOp(ops: number, count: number, doneAt: number): number {
    const cpu = this.cpu;
    let done = 0;
    for (; done < count; done++) {
      const at = ops + done * 12;
      const cmd = this.mem.read32(at), arg1 = this.mem.read32(at + 4);
      const what = `mmuext_op(${cmd})`;
      switch (cmd) {
        case 0: case 1: this.validated(() => this.paging.pin(arg1, cmd === 0 ? T_L1 : T_L2, what)); break;
        case 4: this.validated(() => this.paging.unpin(arg1, cpu.cr3 >>> 12, what)); break;
        case 5: {
          this.validated(() => this.paging.useAsBase(arg1, cpu.cr3 >>> 12, 'mmuext_op(NEW_BASEPTR)'));
          cpu.cr3 = arg1 * L.PAGE;
          this.charge(cpu.costs.mov_cr3);
          this.stats.address_space_switches++;
          this.flushTlb();
          break;
        }
        case 6: case 8: case 10: this.flushTlb(); break;
        case 7: case 9: case 11: cpu.invalidatePage(arg1); cpu.fetchInvalidate(); this.charge(cpu.costs.invlpg); this.stats.invlpgs++; break;
        default: return L.ENOSYS;
      }
    }
    if (doneAt) this.mem.write32(doneAt, done);
    return 0;
  }

  private setGdt(framesVa: number, entries: number): number {
    if (entries > L.FIRST_RESERVED_GDT_ENTRY) return L.EINVAL;
    const frames: number[] = [];
    for (let i = 0; i < Math.ceil(entries / 512); i++) frames.push(this.mem.read32(framesVa + i * 4));
    const descs: [number, number][] = [];
    for (let i = 0; i < entries; i++) {
      const at = frames[i >> 9]! * L.PAGE + (i & 511) * 8;
      if (frames[i >> 9]! >= this.paging.domainFrames) throw new DomainCrash(`set_gdt: frame ${hex(frames[i >> 9]!)} is not the domain's`);
      descs.push(this.checkDescriptor(this.cpu.physRead32(at), this.cpu.physRead32(at + 4), `set_gdt entry ${i}`));
    }
    for (const f of frames) {
      if (this.paging.writable[f]! > 0) throw new DomainCrash(`set_gdt: frame ${hex(f)} is mapped writable; map GDT frames read-only first`);
    }
    for (const f of this.gdtFrames) if (this.paging.type[f] === 3) this.paging.type[f] = T_NONE;
    for (const f of frames) this.paging.type[f] = 3;
    this.gdtFrames = frames;
    const ram = this.machine.bus.ram;
    const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
    ram.fill(0, this.gdtPhys, this.gdtPhys + L.FIRST_RESERVED_GDT_ENTRY * 8);
    descs.forEach(([lo, hi], i) => { dv.setUint32(this.gdtPhys + i * 8, lo, true); dv.setUint32(this.gdtPhys + i * 8 + 4, hi, true); });
    this.cpu.flushTlbAll();
    return 0;
  }

  /** A guest descriptor Xen will install: code/data of DPL 1-3 (accessed bit set), or empty. */
  private checkDescriptor(lo: number, hi: number, what: string): [number, number] {
    if (!(hi & 0x8000)) return [lo, hi];
    if (!(hi & 0x1000)) throw new DomainCrash(`${what}: ${hex(hi)}:${hex(lo)} is a system descriptor (gates, TSS and LDT descriptors are Xen's)`);
    if (((hi >> 13) & 3) === 0) throw new DomainCrash(`${what}: ${hex(hi)}:${hex(lo)} has DPL 0 (ring 0 is Xen's)`);
    return [lo, hi | 0x100];
  }

  private updateDescriptor(ma: number, lo: number, hi: number): number {
    const k = this.gdtFrames.indexOf(ma >>> 12);
    if (k < 0 || (ma & 7)) return L.EINVAL;
    const [l, h] = this.checkDescriptor(lo, hi, `update_descriptor(${hex(ma)})`);
    this.cpu.physWrite32(ma, l); this.cpu.physWrite32(ma + 4, h);
    const at = this.gdtPhys + k * L.PAGE + (ma & 0xfff);
    this.cpu.physWrite32(at, l); this.cpu.physWrite32(at + 4, h);
    return 0;
  }

  private multicall(list: number, count: number): number {
    for (let i = 0; i < count; i++) {
      const at = list + i * 32;
      const a = [0, 1, 2, 3, 4, 5].map((k) => this.mem.read32(at + 8 + k * 4));
      const op = this.mem.read32(at);
      if (op === 23 || op === 13 || op === 29) { this.mem.write32(at + 4, L.EINVAL); continue; }
      const name = L.HYPERCALLS[op];
      if (name) this.stats.hypercalls[name]!++;
      const r = this.call(op, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!);
      this.mem.write32(at + 4, r ?? 0);
    }
    return 0;
  }

  private setTimer(lo: number, hi: number): number {
    const clock = this.machine.clock;
    if (this.timer) { clock.cancel(this.timer); this.timer = null; }
    const ns = hi * 2 ** 32 + lo;
    if (ns === 0) return 0;
    const at = Math.ceil(ns * this.machine.profile.cpuMhz / 1000);
    this.timer = clock.schedule(at, 'xen: VIRQ_TIMER', () => this.timerFired());
    return 0;
  }

  private xenVersion(cmd: number, buf: number): number {
    if (cmd === 0) return 0x00030000;
    if (cmd === 1) {
      const s = new TextEncoder().encode('.0-world');
      for (let i = 0; i < 16; i++) this.mem.write8(buf + i, s[i] ?? 0);
      return 0;
    }
    return L.ENOSYS;
  }

  private consoleIo(cmd: number, count: number, buf: number): number {
    if (cmd === 1) return 0;
    if (cmd !== 0) return L.ENOSYS;
    this.machine.consoleWrite(this.mem.readBytes(buf, Math.min(count, 1 << 16)));
    return 0;
  }

  private schedOp(cmd: number, arg: number): number | null {
    if (cmd === 0) return 0;
    if (cmd === 1) {
      this.writeShared8(L.SH_UPCALL_MASK, 0);
      this.cpu.r[EAX] = 0;
      if (this.upcallWanted()) return 0;
      this.cpu.halt();
      return null;
    }
    if (cmd === 2) {
      const reason = this.mem.read32(arg);
      const names = ['poweroff', 'reboot', 'suspend', 'crash'];
      this.machine.halt({ kind: 'halted', detail: `xen: domain shut down (${names[reason] ?? `reason ${reason}`})` });
      return 0;
    }
    return L.ENOSYS;
  }

  private eventChannelOp(cmd: number, arg: number): number {
    switch (cmd) {
      case 1: { // bind_virq
        const virq = this.mem.read32(arg);
        if (virq !== L.VIRQ_TIMER) return L.EINVAL;
        if (this.virqPort.has(virq)) return L.EBUSY;
        const port = this.allocPort({ kind: 'virq', n: virq });
        if (port < 0) return port;
        this.virqPort.set(virq, port);
        this.mem.write32(arg + 8, port);
        return 0;
      }
      case 2: { // bind_pirq
        const irq = this.mem.read32(arg);
        if (!IRQS_ASSIGNED.has(irq) || irq === this.nicIrq) return L.EPERM;
        if (this.pirqPort.has(irq)) return L.EBUSY;
        const port = this.allocPort({ kind: 'pirq', n: irq });
        if (port < 0) return port;
        this.pirqPort.set(irq, port);
        this.mem.write32(arg + 8, port);
        this.pic.unmaskLine(irq);
        return 0;
      }
      case 3: { // close
        const port = this.mem.read32(arg);
        const p = this.ports[port];
        if (!p) return L.EINVAL;
        this.ports[port] = null;
        if (p.kind === 'virq') this.virqPort.delete(p.n);
        if (p.kind === 'pirq') { this.pirqPort.delete(p.n); this.pic.maskLine(p.n); }
        return 0;
      }
      case 4: { // send
        const port = this.mem.read32(arg);
        if (!this.ports[port]) return L.EINVAL;
        if (this.ports[port]!.kind === 'netif') this.netback!.kick();
        else this.setPending(port);
        return 0;
      }
      case 9: { // unmask
        const port = this.mem.read32(arg);
        if (port <= 0 || port >= L.NR_EVENT_CHANNELS) return L.EINVAL;
        const word = port >>> 5, bit = 1 << (port & 31);
        const mask = this.readShared32(L.SH_EVTCHN_MASK + word * 4);
        this.writeShared32(L.SH_EVTCHN_MASK + word * 4, mask & ~bit);
        if (this.readShared32(L.SH_EVTCHN_PENDING + word * 4) & bit) this.raiseSel(word);
        return 0;
      }
      default: return L.ENOSYS;
    }
  }

  /**
   * grant_table_op: only the model's GNTTABOP_netif_connect (0x100, ABI.md section 11), which
   * stands for what real Xen's xenstore handshake and grant references arrange: the driver
   * domain maps the domain's two ring frames, an event channel joins them, and the machine's NIC
   * becomes the driver domain's. Struct {tx_mfn, rx_mfn, port (out), mac_lo (out), mac_hi (out),
   * irq (out)}.
   */
  private grantTableOp(cmd: number, arg: number): number {
    if (cmd !== 0x100) return L.ENOSYS;
    const nic = this.machine.nic;
    if (!nic || nic.bar1 === null) return L.ENOSYS;
    if (this.netback) return L.EBUSY;
    const tx = this.mem.read32(arg), rx = this.mem.read32(arg + 4);
    const frames = this.domainEnd / L.PAGE;
    if (tx >= frames || rx >= frames || tx === rx || this.paging.type[tx] !== T_NONE || this.paging.type[rx] !== T_NONE) return L.EINVAL;
    const port = this.allocPort({ kind: 'netif', n: 0 });
    if (port < 0) return port;
    const p = this.machine.profile;
    const time = new TimeBase(this.machine.clock, p.cpuMhz);
    this.netback = new NetBack({
      ram: this.machine.bus.ram,
      domainEnd: this.domainEnd,
      time,
      charge: (n, op) => this.charge(n, op),
      notifyGuest: () => this.setPending(port),
      dmaWritten: (a, n) => this.cpu.dmaWritten(a, n),
      crash: (m) => this.crash(m),
    }, {
      // The guest's notification: the driver domain runs and the guest is switched back to.
      kick: 2 * this.costs.xen_domain_switch,
      // Frames arriving: the driver domain's NIC interrupt, its event, there and back.
      activation: this.cpu.costs.hw_interrupt_entry + this.costs.xen_event_upcall + 2 * this.costs.xen_domain_switch,
      perFrame: this.costs.xen_netback_frame,
      busCyclesPerKib: this.cpu.costs.bus_cycles_per_kib,
      ops: { kick: 'xen netback domain switch', activation: 'xen netback rx interrupt', tx: 'xen netback tx', rx: 'xen netback rx' },
    }, nic.takeLink(), nic.mac, tx * L.PAGE, rx * L.PAGE);
    this.stats.netif = this.netback.stats;
    this.nicFrame = nic.bar1 / L.PAGE;
    if (nic.irq !== null) {
      this.nicIrq = nic.irq;
      const bound = this.pirqPort.get(nic.irq);
      if (bound !== undefined) { this.pirqPort.delete(nic.irq); this.ports[bound] = null; this.pic.maskLine(nic.irq); }
    }
    const m = nic.mac;
    this.mem.write32(arg + 8, port);
    this.mem.write32(arg + 12, (m[0]! | m[1]! << 8 | m[2]! << 16 | m[3]! << 24) >>> 0);
    this.mem.write32(arg + 16, m[4]! | m[5]! << 8);
    this.mem.write32(arg + 20, this.nicIrq >= 0 ? this.nicIrq : 0xffffffff);
    return 0;
  }

  private physdevOp(cmd: number, arg: number): number {
    switch (cmd) {
      case 6: { const v = this.mem.read32(arg); if (v > 3) return L.EINVAL; this.iopl = v; return 0; }
      case 12: {
        const irq = this.mem.read32(arg);
        if (!this.pirqPort.has(irq)) return L.EINVAL;
        this.pic.unmaskLine(irq);
        return 0;
      }
      case 5: { const irq = this.mem.read32(arg); this.mem.write32(arg + 4, IRQS_ASSIGNED.has(irq) ? 1 : 0); return 0; }
      default: return L.ENOSYS;
    }
  }

  /** The iret hypercall: the frame {EAX, EIP, CS, EFLAGS[, ESP, SS]} is on the guest stack. */
  private iret(): void {
    const cpu = this.cpu;
    const sp = cpu.r[ESP]!;
    let eax: number, eip: number, cs: number, eflags: number, esp = 0, ss = 0;
    try {
      eax = this.mem.read32(sp); eip = this.mem.read32(sp + 4); cs = this.mem.read32(sp + 8) & 0xffff;
      eflags = this.mem.read32(sp + 12);
      if ((cs & 3) === 3) { esp = this.mem.read32(sp + 16); ss = this.mem.read32(sp + 20) & 0xffff; }
    } catch {
      throw new DomainCrash(`iret hypercall: the frame at ${hex(sp)} is not readable`);
    }
    const rpl = cs & 3;
    if (rpl !== 1 && rpl !== 3) throw new DomainCrash(`iret hypercall: return CS ${hex(cs)} has RPL ${rpl} (only rings 1 and 3 belong to the domain)`);
    try {
      this.checkSegment(cs, true, rpl);
      if (rpl === 3) this.checkSegment(ss, false, 3);
    } catch (e) {
      throw new DomainCrash(`iret hypercall at eip ${hex(cpu.eip)}: ${(e as Error).message}`);
    }
    this.loadSel(CS, cs);
    if (rpl === 3) { this.loadSel(SS, ss); cpu.r[ESP] = esp; cpu.nullInaccessibleSegs(); }
    else cpu.r[ESP] = (sp + 16) | 0;
    cpu.writeEflags(eflags, IRET_CHANGEABLE);
    cpu.flags |= IF;
    cpu.r[EAX] = eax;
    cpu.eip = eip;
    this.writeShared8(L.SH_UPCALL_MASK, eflags & IF ? 0 : 1);
  }

  private checkSegment(sel: number, code: boolean, dpl: number): void {
    const cpu = this.cpu;
    if (!(sel & 0xfffc)) throw new Error(`null ${code ? 'code' : 'stack'} selector`);
    cpu.readDescriptor(sel);
    const hi = cpu.dHi;
    if (!(hi & 0x8000) || !(hi & 0x1000) || ((hi & 0x800) !== 0) !== code || ((hi >> 13) & 3) !== dpl) {
      throw new Error(`selector ${hex(sel)} is not a present ${code ? 'code' : 'data'} segment of DPL ${dpl}`);
    }
  }
}
