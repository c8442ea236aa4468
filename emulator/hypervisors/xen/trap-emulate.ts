// Trap-and-emulate: an unmodified multiboot kernel runs in ring 1 on the Xen model. Privileged
// instructions fault (#GP at CPL 1, IOPL 0) and are emulated here with ring-0 semantics on a
// virtual CPU (virtual IF, GDTR, IDTR, TR, CR0/CR3/CR4); traps and interrupts are reflected
// through the guest's own IDT. The guest's devices are passed through (it programs the PIC, PIT
// and UART itself), as in the paper's "direct device access" configurations. Sensitive
// instructions that do not fault in ring 1 are the virtualization holes (holes.ts).
//
// Model choices (documented in ABI.md §8): Xen's GDT is a shadow of the guest's with DPL 0
// descriptors made DPL 1, so data selectors keep their values and CS reads back with RPL 1; the
// guest's page tables are used directly (no shadow MMU), with Xen's hole entry added to each page
// directory the guest loads; while the guest runs with paging off, Xen runs it on an identity
// map of 4 MiB pages.
import { hex } from '../../hex.ts';
import type { InterruptController } from '../../types.ts';
import type { BootModule } from '../../boot.ts';
import { loadMultiboot, MULTIBOOT_BOOTLOADER_MAGIC, BootError } from '../../boot.ts';
import { isLinuxBzImage, loadLinux } from '../../boot-linux.ts';
import type { ElfSymbol } from '../elf.ts';
import { VirtualCpu, linuxReserveTop } from '../virtual-cpu.ts';
import { ioPort } from '../../cpu/execute-system.ts';
import { CS, SS, DS, ES, FS, GS, descBase, descLimit } from '../../cpu/segments.ts';
import { EAX, ESP, IF, TF, NT } from '../../cpu/flags.ts';
import { CR0_PG, CR0_WP, CR0_PE, CR0_ET, CR0_TS, CR0_EM, CR0_MP, CR4_PSE } from '../../cpu/mmu.ts';
import { HoleRecorder } from '../holes.ts';
import type { TrapEmulateStats } from '../trap-counters.ts';
import { DomainCrash, type XenHypervisor } from './xen.ts';
import { GuestFault } from '../guest-memory.ts';
import { CpuFault, hasErrorCode } from '../../cpu/fault.ts';
import * as L from './layout.ts';

const IRET_CHANGEABLE = 0x254dd5;
const SEG_OF_REG = [ES, CS, SS, DS, FS, GS];

export class TrapAndEmulate extends VirtualCpu {
  private identityL2: number;
  private readonly holes: HoleRecorder;

  /** `symbols`: the guest's symbols when its image has none of its own (a bzImage's System.map). */
  constructor(private readonly xen: XenHypervisor, guestElf: Uint8Array, symbols: ElfSymbol[] = []) {
    super(xen.cpu);
    this.identityL2 = xen.xenBase + 32 * L.PAGE;
    this.holes = new HoleRecorder(this.cpu, xen.mem, isLinuxBzImage(guestElf) ? [] : [guestElf], () => this.vif || this.cpu.cpl === 3,
      undefined, { ring: 1 }, symbols);
  }

  /**
   * Loads the kernel as a multiboot loader would (memory map ending at the domain's end), or a
   * Linux bzImage by the Linux boot protocol (with its initrd), and starts it in ring 1. Linux is
   * told on its command line to keep off the top 64 MiB of virtual space, where Xen's hole lies
   * (`reservetop=`, Linux's own parameter for a hypervisor above it; ABI.md §8).
   */
  boot(elf: Uint8Array, name: string, append: string | undefined, modules: BootModule[], initrd?: Uint8Array): void {
    const xen = this.xen;
    const m = xen.machine;
    const ram = m.bus.ram;
    const cpu = this.cpu;
    const linux = isLinuxBzImage(elf);
    if (linux) {
      if (modules.length > 0) throw new BootError(`${name}: a Linux bzImage takes an initrd, not multiboot modules`);
      const cmdline = `${linuxReserveTop(L.HYPERVISOR_VIRT_START)}${append ? ' ' + append : ''}`;
      const r = loadLinux(ram.subarray(0, xen.domainEnd), elf, { kernelName: name, cmdline, initrd });
      cpu.resetForLinux(r.entry, r.bootParams);
    } else {
      if (initrd) throw new BootError(`${name}: an initrd needs a Linux bzImage; a multiboot kernel takes modules`);
      const result = loadMultiboot(ram.subarray(0, xen.domainEnd), elf, { kernelName: name, append, modules });
      cpu.resetForMultiboot(result.entry, MULTIBOOT_BOOTLOADER_MAGIC, result.infoAddr);
    }
    // Xen's identity map for "paging off": 4 MiB pages over the domain, plus the hole.
    const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
    for (let slot = 0; slot * (4 << 20) < xen.domainEnd; slot++) dv.setUint32(this.identityL2 + slot * 4, (slot << 22) | 0xe7, true);
    dv.setUint32(this.identityL2 + L.HOLE_FIRST_SLOT * 4, xen.paging.holeEntry, true);
    // The loader's GDT state, shadowed at DPL 1: multiboot's flat code 0x08 and data 0x10, or the
    // Linux boot protocol's __BOOT_CS 0x10 and __BOOT_DS 0x18.
    const [codeSel, dataSel] = linux ? [0x10, 0x18] : [0x08, 0x10];
    this.writeShadow(codeSel >> 3, 0x0000ffff, 0x00cf9b00);
    this.writeShadow(dataSel >> 3, 0x0000ffff, 0x00cf9300);
    cpu.cr4 = CR4_PSE;
    cpu.cr3 = this.identityL2;
    cpu.cr0 = CR0_PE | CR0_ET | CR0_PG | CR0_WP;
    cpu.flushTlbAll();
    cpu.gdtBase = L.HYPERVISOR_VIRT_START;
    cpu.gdtLimit = L.GDT_BYTES - 1;
    this.loadSeg(CS, codeSel | 1);
    for (const s of [SS, DS, ES, FS, GS]) this.loadSeg(s, dataSel);
    cpu.flags = 0x2; // the guest's (virtual) IF starts off, as multiboot and the Linux boot protocol leave it
    // The guest kernel's iret to its processes runs natively in ring 1, where it cannot set IF
    // (CPL > IOPL): without this, a process entered from a handler that ran with the virtual IF
    // off would run with interrupts held, and a loop in it would never be preempted.
    cpu.onOuterReturn = () => this.realIf();
    this.vif = false;

    const pic = m.pic;
    const line: InterruptController = {
      pending: () => pic.pending() && (this.vif || cpu.cpl === 3),
      acknowledge: () => pic.acknowledge(),
    };
    m.interrupts = line;
    cpu.onTrap = (vector, code, kind) => this.trap(vector, code, kind);
    this.holes.attach();
  }

  stats(): TrapEmulateStats {
    return this.counters.report(this.holes);
  }

  // ---- shadow descriptors ------------------------------------------------------------------------

  private writeShadow(index: number, lo: number, hi: number): void {
    // Present code/data of DPL 0 becomes DPL 1; the accessed bit is set so the CPU never writes back.
    if ((hi & 0x9000) === 0x9000 && ((hi >> 13) & 3) === 0) hi |= 1 << 13;
    if (hi & 0x1000) hi |= 0x100;
    const at = this.xen.gdtPhys + index * 8;
    this.cpu.physWrite32(at, lo);
    this.cpu.physWrite32(at + 4, hi);
  }

  private syncGdt(): void {
    const n = Math.min((this.vgdt.limit + 1) >>> 3, L.FIRST_RESERVED_GDT_ENTRY);
    for (let i = 1; i < n; i++) {
      const lo = this.xen.mem.read32(this.vgdt.base + i * 8), hi = this.xen.mem.read32(this.vgdt.base + i * 8 + 4);
      this.writeShadow(i, lo, hi);
    }
    this.cpu.flushTlbAll();
  }

  private loadSeg(seg: number, sel: number): void {
    const cpu = this.cpu;
    cpu.readDescriptor(sel);
    cpu.setSegCache(seg, sel, descBase(cpu.dLo, cpu.dHi), descLimit(cpu.dLo, cpu.dHi), cpu.dHi & 0xf0ff00, true);
  }

  // ---- traps ---------------------------------------------------------------------------------------

  private trap(vector: number, code: number | undefined, kind: 'exception' | 'software' | 'external'): boolean {
    if (this.xen.stats.crash !== null) return true;
    try {
      // An int n enters Xen (ring 0) through its IDT gate: the CPU's cross-ring entry, which the
      // hook's replacement of the IDT delivery would otherwise leave uncharged.
      if (kind === 'software' && this.xen.machine.profile.mechanisms.hypervisor_int_entry) this.cpu.cycles += this.cpu.costs.int_n_cross_ring;
      if (kind === 'exception' && vector === 13 && this.cpu.cpl === 1 && this.emulate()) return true;
      if (kind === 'exception' && vector === 13 && this.cpu.cpl === 3 && this.userPortIo()) return true;
      if (kind === 'software' && this.cpu.cpl === 3) {
        const hi = this.gate(vector)[1];
        if (((hi >> 13) & 3) < 3) {
          this.reflect(13, (vector << 3) | 2, this.cpu.trapInsnEip);
          return true;
        }
      }
      this.reflect(vector, kind === 'exception' && hasErrorCode(vector) ? code ?? 0 : undefined, this.cpu.eip);
    } catch (e) {
      if (e instanceof DomainCrash) this.xen.crash(e.message);
      else if (e instanceof GuestFault) this.xen.crash(`${e.message} while handling vector ${vector} at eip ${hex(this.cpu.eip)}`);
      else if (e instanceof CpuFault) this.xen.crash(`fault ${e.vector} (error ${hex(e.code)}) while emulating for vector ${vector} at eip ${hex(this.cpu.eip)}: a selector or descriptor table of the guest is bad`);
      else throw e;
    }
    return true;
  }

  private gate(vector: number): [number, number] {
    if (vector * 8 + 7 > this.vidt.limit) throw new DomainCrash(`vector ${vector} lies beyond the guest's IDT limit ${hex(this.vidt.limit)}`);
    return [this.xen.mem.read32(this.vidt.base + vector * 8), this.xen.mem.read32(this.vidt.base + vector * 8 + 4)];
  }

  /** Delivers an event through the guest's IDT with ring-0 semantics (the guest's ring 0 is our ring 1). */
  private reflect(vector: number, code: number | undefined, eip: number): void {
    const cpu = this.cpu, mem = this.xen.mem;
    this.counters.reflect(vector);
    this.xen.charge(this.xen.costs.xen_trap_bounce, 'xen trap-and-emulate reflect');
    const [lo, hi] = this.gate(vector);
    const fromUser = cpu.cpl === 3;
    if (!(hi & 0x8000)) throw new DomainCrash(`vector ${vector} (eip ${hex(eip)}): the guest's IDT gate is not present`);
    const type = (hi >> 8) & 0x1f;
    if (type !== 0x0e && type !== 0x0f) throw new DomainCrash(`vector ${vector}: IDT gate type ${hex(type)} is not a 32-bit interrupt or trap gate`);
    const sel = lo >>> 16, offset = ((hi & 0xffff0000) | (lo & 0xffff)) >>> 0;
    const eflags = (cpu.getEflags() & ~IF) | (this.vif || cpu.cpl === 3 ? IF : 0);
    const words: number[] = [];
    let esp: number, ss = 0;
    if (cpu.cpl === 3) {
      const tss = this.tssBase();
      esp = mem.read32(tss + 4); ss = mem.read16(tss + 8);
      words.push(cpu.sel[SS]!, cpu.r[ESP]!);
    } else {
      esp = cpu.r[ESP]!;
    }
    words.push(eflags, cpu.cpl === 3 ? cpu.sel[CS]! : cpu.sel[CS]! & ~3, eip);
    if (code !== undefined) words.push(code);
    try {
      for (const w of words) { esp = (esp - 4) | 0; mem.write32(esp, w); }
    } catch {
      throw new DomainCrash(`cannot push the frame for vector ${vector} (eip ${hex(eip)}) at ${hex(esp)}`);
    }
    if (cpu.cpl === 3) this.loadSeg(SS, ss);
    this.loadSeg(CS, (sel & ~3) | 1);
    cpu.r[ESP] = esp;
    cpu.eip = offset;
    cpu.flags = cpu.getEflags() & ~(TF | NT);
    // Entry from user mode had IF set (user code always runs with it); an interrupt gate clears it.
    this.vif = type === 0x0e ? false : fromUser ? true : this.vif;
    this.realIf();
  }

  private tssBase(): number {
    if (!(this.vtr & 0xfffc)) throw new DomainCrash('an event from ring 3 arrived before the guest loaded a task register (ltr)');
    const at = this.vgdt.base + (this.vtr & ~7);
    const lo = this.xen.mem.read32(at), hi = this.xen.mem.read32(at + 4);
    return descBase(lo, hi);
  }

  // ---- privileged instructions ------------------------------------------------------------------

  protected override count(name: string): void {
    super.count(name);
    this.xen.charge(this.xen.costs.xen_privop_emulation, 'xen trap-and-emulate privileged instruction');
  }

  // What the virtual CPU leaves to the monitor: Xen runs the guest on the real CPU, in ring 1.
  protected get vcr2(): number { return this.cpu.cr2; }
  protected set vcr2(v: number) { this.cpu.cr2 = v; }
  protected read8(lin: number): number { return this.xen.mem.read8(lin); }
  protected read16(lin: number): number { return this.xen.mem.read16(lin); }
  protected read32(lin: number): number { return this.xen.mem.read32(lin); }
  protected portIn(port: number, size: number): number { return this.cpu.portIn(port, size); }
  protected cr3Loaded(): void { this.cpu.cycles += this.cpu.costs.mov_cr3; this.applyPaging('mov %cr3'); }
  protected cr4Loaded(): void { this.cpu.cr4 = this.vcr4 | CR4_PSE; this.cpu.flushTlbAll(); }
  protected invlpg(lin: number): void { this.cpu.invalidatePage(lin); this.cpu.fetchInvalidate(); }
  protected override descriptorsLoaded(): void { this.syncGdt(); }
  protected override tsCleared(): void { this.cpu.cr0 &= ~CR0_TS; }
  protected unmodelled(what: string): never { throw new DomainCrash(what); }

  /** Decodes the faulting instruction and emulates it; false if it is not one Xen emulates. */
  private emulate(): boolean {
    const cpu = this.cpu, mem = this.xen.mem;
    const i = this.decodeAtEip();
    if (!i) return false;
    const next = (cpu.eip + i.len) | 0;
    switch (i.op) {
      case 0xfa: this.count('cli'); this.vif = false; this.realIf(); break;
      case 0xfb:
        this.count('sti');
        this.setVif(true);
        cpu.eip = next;
        cpu.interruptShadow(); // as on hardware, `sti; hlt` halts before the first interrupt
        return true;
      case 0xf4:
        this.count('hlt');
        if (!this.vif) {
          this.xen.machine.halt({ kind: 'halted', detail: `hlt with interrupts disabled at cycle ${cpu.cycles}: nothing can wake the CPU` });
          return true;
        }
        cpu.eip = next;
        cpu.halt();
        return true;
      case 0xe6: case 0xe7: case 0xee: case 0xef:
        this.count('out');
        cpu.portOut(ioPort(cpu, i), i.os, cpu.getReg(i.os, EAX));
        break;
      case 0xcf: this.count('iret'); this.iret(i.os); return true;
      case 0xca: case 0xcb: { // lret to the kernel's own level (an RPL-0 selector faults in ring 1)
        if (i.os !== 4) return false;
        const sp = (cpu.segBase[SS]! + cpu.r[ESP]!) | 0;
        const eip = mem.read32(sp), cs = mem.read32(sp + 4) & 0xffff;
        if (cs & 3) return false;
        this.count('lret');
        this.loadSeg(CS, cs | 1);
        cpu.r[ESP] = (cpu.r[ESP]! + 8 + (i.op === 0xca ? i.imm & 0xffff : 0)) | 0;
        cpu.eip = eip;
        return true;
      }
      case 0x8e: { // mov Sreg, r/m16 (SS with an RPL-0 selector faults in ring 1)
        const seg = SEG_OF_REG[i.reg]!;
        if (seg !== SS) return false;
        this.count('write_ss');
        this.loadSeg(SS, this.readRM(i) & 0xffff);
        cpu.eip = next;
        cpu.interruptShadow();
        return true;
      }
      default:
        if (!this.emulateVirtualCpu(i)) return false;
    }
    cpu.eip = next;
    return true;
  }

  /**
   * `in`/`out` in the guest's user mode: the real TSS is Xen's, so the CPU checked the port
   * against Xen's (empty) I/O bitmap; Xen applies the guest's own TSS bitmap (what ioperm set up)
   * and performs the access if it allows it. False when it does not (the #GP goes to the guest).
   */
  private userPortIo(): boolean {
    const cpu = this.cpu;
    const i = this.decodeAtEip();
    if (!i) return false;
    const isIn = i.op === 0xe4 || i.op === 0xe5 || i.op === 0xec || i.op === 0xed;
    const isOut = i.op === 0xe6 || i.op === 0xe7 || i.op === 0xee || i.op === 0xef;
    if (!isIn && !isOut) return false;
    const port = ioPort(cpu, i);
    if (!this.guestBitmapAllows(port, i.os)) return false;
    this.count(isIn ? 'in_user' : 'out_user');
    if (isIn) cpu.setReg(i.os, EAX, cpu.portIn(port, i.os));
    else cpu.portOut(port, i.os, cpu.getReg(i.os, EAX));
    cpu.eip = (cpu.eip + i.len) | 0;
    return true;
  }

  /** The I/O permission check the CPU makes (SDM vol. 1, 18.5.2), against the guest's TSS. */
  private guestBitmapAllows(port: number, size: number): boolean {
    if (!(this.vtr & 0xfffc)) return false;
    const at = this.vgdt.base + (this.vtr & ~7);
    const lo = this.xen.mem.read32(at), hi = this.xen.mem.read32(at + 4);
    const base = descBase(lo, hi), limit = descLimit(lo, hi);
    if (limit < 0x67) return false;
    const iobase = this.xen.mem.read16(base + 0x66);
    const first = iobase + (port >> 3), last = iobase + ((port + size - 1) >> 3);
    if (last > limit) return false;
    for (let p = port; p < port + size; p++) {
      if ((this.xen.mem.read8(base + iobase + (p >> 3)) >> (p & 7)) & 1) return false;
    }
    return first <= last;
  }

  private setVif(on: boolean): void {
    if (on && !this.vif) this.cpu.notifyIrq();
    this.vif = on;
    this.realIf();
  }

  /**
   * The real IF while the guest kernel runs (ring 1) is its virtual IF; in ring 3 it is on. Xen
   * has no work of its own while this domain runs (every device is the guest's), so holding
   * interrupts at the PIC while the guest has them virtually off costs nothing they would not
   * cost anyway, and `pushf` (which does not trap) reads the guest's own IF. `cli` and `sti`
   * still trap (IOPL 0); `popf` still cannot change IF in ring 1 (the hole that remains).
   */
  private realIf(): void {
    const cpu = this.cpu;
    if (cpu.cpl === 3 || this.vif) cpu.flags |= IF;
    else cpu.flags &= ~IF;
  }

  protected writeCr0(v: number): void {
    const was = this.vcr0;
    this.vcr0 = v | CR0_ET;
    // TS, EM and MP act on the real CPU: an x87 instruction must raise #NM for the guest's lazy
    // FPU switch and its math emulator, which Xen reflects like any other exception.
    const fpu = CR0_TS | CR0_EM | CR0_MP;
    this.cpu.cr0 = (this.cpu.cr0 & ~fpu) | (v & fpu);
    if ((was ^ this.vcr0) & CR0_PG) this.applyPaging(v & CR0_PG ? 'turning paging on' : 'turning paging off');
  }

  /** Points the real CR3 at the guest's page directory (with Xen's hole entry) or the identity map. */
  private applyPaging(what: string): void {
    const cpu = this.cpu;
    if (this.vcr0 & CR0_PG) {
      const pd = this.vcr3 >>> 0;
      if (pd + L.PAGE > this.xen.domainEnd) throw new DomainCrash(`${what} at eip ${hex(cpu.eip)}: page directory ${hex(pd)} is not in the domain's memory`);
      this.checkGuestTables(pd, what);
      cpu.physWrite32(pd + L.HOLE_FIRST_SLOT * 4, this.xen.paging.holeEntry);
      cpu.cr3 = pd;
    } else {
      cpu.cr3 = this.identityL2;
    }
    cpu.flushTlbAll();
  }

  /**
   * Refuses a page directory that maps hypervisor memory, at the moment it is loaded. Without a
   * shadow MMU this is all Xen can see: entries the guest writes between loads are not checked.
   */
  private checkGuestTables(pd: number, what: string): void {
    const cpu = this.cpu, xen = this.xen;
    const lo = xen.domainEnd, hi = xen.machine.bus.ram.length;
    const bad = (addr: number, where: string): never => {
      throw new DomainCrash(`${what} at eip ${hex(cpu.eip)}: ${where} maps machine address ${hex(addr)}, which is hypervisor memory (${hex(lo)}-${hex(hi - 1)})`);
    };
    let n = 0;
    for (let i = 0; i < L.HOLE_FIRST_SLOT; i++) {
      const pde = cpu.physRead32(pd + i * 4) >>> 0;
      n++;
      if (!(pde & 1)) continue;
      if ((pde & 0x80) && (this.vcr4 & CR4_PSE)) {
        const base = (pde & 0xffc00000) >>> 0;
        if (base < hi && base + (4 << 20) > lo) bad(base, `page directory ${hex(pd)} entry ${i} (a 4 MiB page)`);
        continue;
      }
      const l1 = (pde & ~0xfff) >>> 0;
      if (l1 >= lo && l1 < hi) bad(l1, `page directory ${hex(pd)} entry ${i} (its page table)`);
      if (l1 >= lo) continue;
      for (let j = 0; j < 1024; j++) {
        const pte = cpu.physRead32(l1 + j * 4) >>> 0;
        n++;
        if ((pte & 1) && pte >= lo && pte < hi) bad(pte & ~0xfff, `page table ${hex(l1)} entry ${j} (virtual ${hex(((i << 22) | (j << 12)) >>> 0)})`);
      }
    }
    xen.charge(n * xen.costs.xen_pt_validate_per_entry, 'xen trap-and-emulate page-table validation');
    xen.stats.pt_entries_validated += n;
  }

  /** iret to the guest's ring 0 (our ring 1) or ring 3, with the virtual IF from the popped EFLAGS. */
  private iret(os: number): void {
    const cpu = this.cpu, mem = this.xen.mem;
    if (os !== 4) throw new DomainCrash(`16-bit iret at eip ${hex(cpu.eip)} is not emulated`);
    const sp = (cpu.segBase[SS]! + cpu.r[ESP]!) | 0;
    const eip = mem.read32(sp), cs = mem.read32(sp + 4) & 0xffff, eflags = mem.read32(sp + 8);
    const rpl = cs & 3;
    if (rpl === 3) {
      const esp = mem.read32(sp + 12), ss = mem.read32(sp + 16) & 0xffff;
      this.loadSeg(CS, cs);
      this.loadSeg(SS, ss);
      cpu.r[ESP] = esp;
      cpu.nullInaccessibleSegs();
    } else {
      this.loadSeg(CS, (cs & ~3) | 1);
      cpu.r[ESP] = (cpu.r[ESP]! + 12) | 0;
    }
    cpu.writeEflags(eflags, IRET_CHANGEABLE);
    cpu.flags |= IF;
    cpu.eip = eip;
    this.setVif((eflags & IF) !== 0 || rpl === 3);
  }
}

