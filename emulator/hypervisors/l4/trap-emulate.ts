// Trap-and-emulate under L4: an unmodified multiboot kernel runs as a user task, and a user-level
// monitor (the privileged task) is its pager, exception handler and interrupt handler. Every
// privileged instruction of the guest kernel faults in ring 3 and arrives as exception IPC; the
// monitor emulates it on a virtual CPU (virtual IF, CR0/2/3/4, GDTR, IDTR, TR, segment selectors)
// and replies. The guest's page faults arrive as page-fault IPC: the monitor walks the guest's
// page tables and maps the page from its own memory (through the mapping database), or reflects
// a #PF. Interrupts are reflected through the guest's IDT: device lines arrive as interrupt IPC,
// the timer is a virtual PIT driven by the monitor's timeouts, and the guest's PIC is virtual.
//
// Model choices (ABI.md §12): the monitor is TypeScript inside the L4 model (its main thread never
// runs on the CPU), but everything it does to the guest goes through the kernel's mechanisms and
// costs. Two guest threads keep the guest's modes apart: the kernel-mode thread runs in a space
// that mirrors every mapping of the guest's current page tables (and whose GDT lacks the user
// code selector, so the kernel's iret to user mode faults), the user-mode thread in a space that
// mirrors only the user (U) mappings. The mirrors are filled lazily on page faults and emptied on
// every CR3 load and invlpg, as a TLB would be (one user-mode space for every guest page
// directory: a space kept per directory would hold entries the guest edited while it was
// inactive). Guest-physical memory is the monitor's memory: physical memory below phys_end,
// plus the PCI window σ0 grants.
import type { BootModule } from '../../boot.ts';
import { loadMultiboot, MULTIBOOT_BOOTLOADER_MAGIC, BootError } from '../../boot.ts';
import { isLinuxBzImage, loadLinux } from '../../boot-linux.ts';
import type { ElfSymbol } from '../elf.ts';
import { VirtualCpu, linuxReserveTop } from '../virtual-cpu.ts';
import { ioPort } from '../../cpu/execute-system.ts';
import { CS, SS, DS, ES, FS, GS } from '../../cpu/segments.ts';
import { EAX, EDX, ESI, ESP, IF, TF, NT } from '../../cpu/flags.ts';
import { CR0_PG, CR0_WP, CR0_ET, CR4_PSE } from '../../cpu/mmu.ts';
import { HoleRecorder } from '../holes.ts';
import { GuestMemory } from '../guest-memory.ts';
import type { TrapEmulateStats } from '../trap-counters.ts';
import { hasErrorCode } from '../../cpu/fault.ts';
import type { L4Kernel, Monitor } from './l4.ts';
import type { Thread } from './thread.ts';
import type { Space, MapNode } from './space.ts';
import { L4Stop } from './space.ts';
import * as L from './layout.ts';

const hex = L.hex;
const SEG_OF_REG = [ES, CS, SS, DS, FS, GS];
/** Legacy instruction prefixes (Intel SDM vol. 2, 2.1.1). */
const INSN_PREFIXES = new Set([0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65, 0x66, 0x67]);
const SEG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];
/** Where the monitor's own space maps σ0's PCI window (just below the kernel area). */
const MON_MMIO_VA = 0xfb000000;
const PIT_HZ = 1193182;
/** Arithmetic flags, TF, DF, AC: what an iret or a reflected frame may change in a user thread. */
const USER_CHANGEABLE = L.USER_EFLAGS;

/** The guest did something the monitor cannot emulate: the run stops naming it. */
class GuestStop extends Error {}

/** The guest's 8259A pair, virtual: the real PIC is the kernel's. */
class VirtualPic {
  imr = 0xffff;
  irr = 0;
  isr = 0;
  base = [0x08, 0x70];
  private init = [0, 0];
  /** OCW3's read-register choice per chip: the ISR (true) or the IRR (false, the reset state). */
  private readIsr = [false, false];

  write(port: number, v: number): void {
    const chip = port >= 0xa0 ? 1 : 0, shift = chip * 8;
    if ((port & 1) === 0) {
      if (v & 0x10) { this.init[chip] = 1; this.imr &= ~(0xff << shift); this.isr &= ~(0xff << shift); this.readIsr[chip] = false; return; }
      if ((v & 0x18) === 0x08) { // OCW3: RR (bit 1) set selects the register RIS (bit 0) names
        if (v & 2) this.readIsr[chip] = (v & 1) !== 0;
        return;
      }
      if ((v & 0x18) === 0) { // OCW2
        if ((v & 0xe0) === 0x60) this.isr &= ~(1 << ((v & 7) + shift));
        else if ((v & 0xe0) === 0x20) { const b = this.highestIsr(chip); if (b >= 0) this.isr &= ~(1 << b); }
      }
      return;
    }
    const step = this.init[chip]!;
    if (step === 1) { this.base[chip] = v & 0xf8; this.init[chip] = 2; return; }
    if (step === 2) { this.init[chip] = 3; return; }
    if (step === 3) { this.init[chip] = 0; return; }
    this.imr = (this.imr & ~(0xff << shift)) | ((v & 0xff) << shift);
  }

  read(port: number): number {
    const chip = port >= 0xa0 ? 1 : 0, shift = chip * 8;
    return ((port & 1 ? this.imr : this.readIsr[chip] ? this.isr : this.irr) >> shift) & 0xff;
  }

  private highestIsr(chip: number): number {
    for (let b = chip * 8; b < chip * 8 + 8; b++) if (this.isr & (1 << b)) return b;
    return -1;
  }

  /** The line to deliver next (priority 0, 1, 8-15, 3-7), or -1: none requested, or one in service outranks it. */
  next(): number {
    for (const line of [0, 1, 8, 9, 10, 11, 12, 13, 14, 15, 3, 4, 5, 6, 7]) {
      if (this.isr & (1 << line)) return -1;
      if ((this.irr & ~this.imr) & (1 << line)) return line;
    }
    return -1;
  }

  vector(line: number): number {
    return line < 8 ? this.base[0]! + line : this.base[1]! + (line - 8);
  }
}

export class L4TrapAndEmulate extends VirtualCpu implements Monitor {
  readonly tid = L.MAIN;
  private kernel!: Thread;
  private user!: Thread;
  private monitorSpace!: Space;
  /** The guest is in (virtual) user mode: the user-mode thread runs, the kernel-mode one waits. */
  private userMode = false;
  /** The kernel-mode thread waits in an emulated hlt. */
  private halted = false;
  protected vcr2 = 0;
  private readonly vsel = [0x10, 0x08, 0x10, 0x10, 0x10, 0x10];
  private readonly pic = new VirtualPic();
  private pitDivisor = 0;
  private pitBytes: number[] = [];
  private pitPeriod = 0;
  private pitNext = 0;
  /** Device lines delivered by interrupt IPC and not yet acknowledged to the kernel. */
  private unacked = 0;
  private attached = 0;
  private readonly holes: HoleRecorder;

  /** `symbols`: the guest's symbols when its image has none of its own (a bzImage's System.map). */
  constructor(private readonly k: L4Kernel, guestElf: Uint8Array, symbols: ElfSymbol[] = []) {
    super(k.cpu);
    // Sensitive instructions the kernel-mode thread runs without a fault are the holes; the
    // stack top popf reads is in the loaded space (its push just wrote it there).
    this.holes = new HoleRecorder(this.cpu, new GuestMemory(this.cpu), isLinuxBzImage(guestElf) ? [] : [guestElf], () => this.vif,
      undefined, { ring: 3, counts: () => this.k.onCpu === this.kernel }, symbols);
  }

  /**
   * Loads the kernel as a multiboot loader would (memory ending at phys_end), or a Linux bzImage
   * by the Linux boot protocol (with its initrd, and `reservetop=` keeping Linux off L4's kernel
   * area), and starts it.
   */
  boot(elf: Uint8Array, name: string, append: string | undefined, modules: BootModule[], initrd?: Uint8Array): void {
    const k = this.k;
    const ram = k.machine.bus.ram;
    let entry: number, eax: number, ebx: number, esi = 0;
    if (isLinuxBzImage(elf)) {
      if (modules.length > 0) throw new BootError(`${name}: a Linux bzImage takes an initrd, not multiboot modules`);
      const cmdline = `${linuxReserveTop(L.KERNEL_AREA)}${append ? ' ' + append : ''}`;
      const r = loadLinux(ram.subarray(0, k.physEnd), elf, { kernelName: name, cmdline, initrd });
      entry = r.entry; eax = 0; ebx = 0; esi = r.bootParams;
      // The Linux boot protocol's selectors: __BOOT_CS 0x10, __BOOT_DS 0x18.
      this.vsel.splice(0, 6, 0x18, 0x10, 0x18, 0x18, 0x18, 0x18);
    } else {
      if (initrd) throw new BootError(`${name}: an initrd needs a Linux bzImage; a multiboot kernel takes modules`);
      const result = loadMultiboot(ram.subarray(0, k.physEnd), elf, { kernelName: name, append, modules });
      entry = result.entry; eax = MULTIBOOT_BOOTLOADER_MAGIC; ebx = result.infoAddr;
    }
    if (k.physEnd > MON_MMIO_VA) throw new L4Stop(`trap-and-emulate: physical memory (${hex(k.physEnd)}) overlaps the monitor's device window at ${hex(MON_MMIO_VA)}`);
    const b = k.bootMonitor(this, entry, eax, ebx);
    this.kernel = b.kernel; this.user = b.user; this.monitorSpace = b.monitorSpace;
    if (esi) k.gpr(this.kernel)[ESI] = esi;
    this.holes.attach();
  }

  stats(): TrapEmulateStats {
    return this.counters.report(this.holes);
  }

  // ---- messages from the kernel ------------------------------------------------------------------

  fault(t: Thread, vector: number, code: number | undefined, eip: number, addr: number, rwx: number): void {
    const k = this.k;
    try {
      if (t !== this.current()) throw new GuestStop(`a fault from guest thread ${hex(t.tid)}, which is not the one running`);
      if (vector === 14) this.pageFault(addr, code ?? 0, rwx, eip);
      else if (vector === 13 && !this.userMode && this.emulate()) { /* emulated */ }
      else if (vector === 13 && this.userMode && this.userPortIo(eip)) { /* performed */ }
      else if (vector === 13 && this.softwareInt(eip, code ?? 0)) { /* reflected */ }
      else if ((vector === 3 || vector === 4) && this.userMode && ((this.gate(vector)[1] >> 13) & 3) < 3) {
        // int3 and into arrive after the instruction; as software interrupts they obey the gate's DPL.
        this.reflect(13, (vector << 3) | 2, (eip - 1) | 0);
      }
      else this.reflect(vector, hasErrorCode(vector) ? code ?? 0 : undefined, eip);
      this.reply();
    } catch (e) {
      if (e instanceof GuestStop) k.crash(`trap-and-emulate: ${e.message}`);
      else throw e;
    }
  }

  interrupt(line: number): void {
    this.pic.irr |= 1 << line;
    this.unacked |= 1 << line;
    try { this.inject(); } catch (e) { if (e instanceof GuestStop) this.k.crash(`trap-and-emulate: ${e.message}`); else throw e; }
  }

  /** The monitor's reply to the message it handled: one transfer into the guest's space. */
  private reply(): void {
    this.k.count('other');
    this.k.charge(this.k.costs.l4_ipc_one_way);
  }

  private current(): Thread {
    return this.userMode ? this.user : this.kernel;
  }

  // ---- the guest's page tables ---------------------------------------------------------------------

  /**
   * Walks the guest's page tables for `va` (setting accessed, and dirty on a write, as the CPU
   * would); returns the guest-physical page and whether it may be written, or the #PF error code.
   */
  private walk(va: number, write: boolean, user: boolean): { phys: number; writable: boolean } | { error: number } {
    va >>>= 0;
    if (!(this.vcr0 & CR0_PG)) return { phys: va - (va % L.PAGE), writable: true };
    const cpu = this.cpu;
    const err = (present: boolean): { error: number } => ({ error: (present ? 1 : 0) | (write ? 2 : 0) | (user ? 4 : 0) });
    const pdeAt = ((this.vcr3 & ~0xfff) >>> 0) + (va >>> 22) * 4;
    this.checkPhys(pdeAt, 'a page directory');
    const pde = cpu.physRead32(pdeAt) >>> 0;
    if (!(pde & 1)) return err(false);
    const wp = (this.vcr0 & CR0_WP) !== 0;
    if ((pde & 0x80) && (this.vcr4 & CR4_PSE)) {
      if (user && !(pde & 4)) return err(true);
      const w = (pde & 2) !== 0 || (!user && !wp);
      if (write && !w) return err(true);
      cpu.physWrite32(pdeAt, pde | 0x20 | (write ? 0x40 : 0));
      return { phys: ((pde & 0xffc00000) >>> 0) + (va & 0x3ff000), writable: w && (write || (pde & 0x40) !== 0) };
    }
    const pteAt = ((pde & ~0xfff) >>> 0) + ((va >>> 12) & 0x3ff) * 4;
    this.checkPhys(pteAt, 'a page table');
    const pte = cpu.physRead32(pteAt) >>> 0;
    if (!(pte & 1)) return err(false);
    if (user && !(pde & pte & 4)) return err(true);
    const w = (pde & pte & 2) !== 0 || (!user && !wp);
    if (write && !w) return err(true);
    if (!(pde & 0x20)) cpu.physWrite32(pdeAt, pde | 0x20);
    const npte = pte | 0x20 | (write ? 0x40 : 0);
    if (npte !== pte) cpu.physWrite32(pteAt, npte);
    return { phys: (pte & ~0xfff) >>> 0, writable: w && (write || (pte & 0x40) !== 0) };
  }

  private checkPhys(p: number, what: string): void {
    if (p + 4 > this.k.physEnd) throw new GuestStop(`${what} at guest-physical ${hex(p)} lies beyond the guest's memory (${hex(this.k.physEnd)})`);
  }

  /** The guest's memory at virtual `va`, as its kernel sees it (for frames, descriptors, the faulting instruction). */
  private phys(va: number, write: boolean): number {
    const w = this.walk(va, write, false);
    if ('error' in w) throw new GuestStop(`the monitor cannot ${write ? 'write' : 'read'} guest virtual ${hex(va)} (page-fault error ${w.error}) at guest EIP ${hex(this.k.getEip(this.current()))}`);
    const p = w.phys + (va & 0xfff);
    this.checkPhys(p, `guest virtual ${hex(va)}`);
    return p;
  }
  protected read8(va: number): number { return this.cpu.ram[this.phys(va, false)]!; }
  protected read16(va: number): number { return this.read8(va) | (this.read8(va + 1) << 8); }
  protected read32(va: number): number {
    if ((va & 0xfff) <= 0xffc) return this.cpu.physRead32(this.phys(va, false)) >>> 0;
    return (this.read16(va) | (this.read16(va + 2) << 16)) >>> 0;
  }
  private write32(va: number, v: number): void {
    if ((va & 0xfff) <= 0xffc) { this.cpu.physWrite32(this.phys(va, true), v | 0); return; }
    for (let i = 0; i < 4; i++) { const p = this.phys(va + i, true); this.cpu.ram[p] = v >>> (8 * i); this.cpu.invalidateCode(p, 1); }
  }

  private pageFault(addr: number, code: number, rwx: number, eip: number): void {
    const user = this.userMode;
    const write = (code & 2) !== 0 || rwx === L.W;
    const w = this.walk(addr, write, user);
    if ('error' in w) {
      this.vcr2 = addr;
      this.reflect(14, w.error, eip);
      return;
    }
    const va = (addr - (addr % L.PAGE)) >>> 0;
    if (va >= L.KERNEL_AREA) throw new GuestStop(`the guest maps virtual ${hex(va)}, in L4's kernel area (0xfc000000 up), which a user task cannot use`);
    const space = user ? this.user.space : this.kernel.space;
    this.k.db.map(space, va, w.phys, w.writable, this.monitorPage(w.phys));
    this.k.charge(this.k.costs.l4_map_per_page);
  }

  /** The monitor's own mapping of guest-physical `p` (σ0's, made on first use), the parent of the guest's. */
  private monitorPage(p: number): MapNode {
    const [lo, hi] = L.MMIO_WINDOW;
    let va: number;
    if (p < this.k.physEnd) va = p;
    else if (p >= lo && p < hi) va = MON_MMIO_VA + (p - lo);
    else throw new GuestStop(`the guest's page tables map physical ${hex(p)}, which is neither its memory (below ${hex(this.k.physEnd)}) nor the PCI window`);
    const node = this.monitorSpace.pages.get(va >>> 12);
    if (node) return node;
    this.k.count('pagefault');
    this.k.charge(this.k.costs.l4_pagefault_ipc + this.k.costs.l4_map_per_page);
    return this.k.db.map(this.monitorSpace, va, p, true, null);
  }

  /** Empties the mirrors (a CR3 load), or one page of them (invlpg). */
  private flush(va?: number): void {
    const k = this.k;
    let n = 0;
    for (const space of [this.kernel.space, this.user.space]) {
      const nodes = va === undefined ? [...space.pages.values()] : space.nodesIn(va - (va % L.PAGE), L.PAGE);
      for (const node of nodes) { k.db.revoke(node, false, true); n++; }
    }
    k.charge(n * k.costs.l4_map_per_page);
  }

  // ---- events into the guest ---------------------------------------------------------------------

  private gate(vector: number): [number, number] {
    if (vector * 8 + 7 > this.vidt.limit) throw new GuestStop(`vector ${vector} lies beyond the guest's IDT limit ${hex(this.vidt.limit)}`);
    return [this.read32(this.vidt.base + vector * 8), this.read32(this.vidt.base + vector * 8 + 4)];
  }

  /** `int n` raised as #GP (error n << 3 | 2) at the int: reflected through gate n if its DPL allows, else #GP. */
  private softwareInt(eip: number, code: number): boolean {
    if ((code & 7) !== 2) return false;
    const n = code >>> 3;
    let byte: number, imm: number, at = eip;
    try {
      // Prefixes (operand size, segment, lock, rep) may stand before the int; up to the 15-byte limit.
      while (INSN_PREFIXES.has(byte = this.read8(at)) && at - eip < 14) at = (at + 1) | 0;
      imm = this.read8(at + 1);
    } catch { return false; }
    if (byte !== 0xcd || imm !== n) return false;
    const dpl = (this.gate(n)[1] >> 13) & 3;
    if (this.userMode && dpl < 3) this.reflect(13, code, eip);
    else this.reflect(n, undefined, (at + 2) | 0);
    return true;
  }

  /** Delivers an event through the guest's IDT with ring-0 semantics; from user mode the kernel-mode thread takes over. */
  private reflect(vector: number, code: number | undefined, eip: number): void {
    const k = this.k;
    this.counters.reflect(vector);
    const [lo, hi] = this.gate(vector);
    if (!(hi & 0x8000)) throw new GuestStop(`vector ${vector} (eip ${hex(eip)}): the guest's IDT gate is not present`);
    const type = (hi >> 8) & 0x1f;
    if (type !== 0x0e && type !== 0x0f) throw new GuestStop(`vector ${vector}: IDT gate type ${hex(type)} is not a 32-bit interrupt or trap gate`);
    const sel = lo >>> 16, offset = ((hi & 0xffff0000) | (lo & 0xffff)) >>> 0;
    const from = this.current();
    const fromUser = this.userMode;
    const r = k.gpr(from);
    const eflags = (k.getEflags(from) & ~(IF | 0x3000)) | (this.vif || fromUser ? IF : 0);
    const words: number[] = [];
    let esp: number;
    if (fromUser) {
      const tss = this.tssBase();
      esp = this.read32(tss + 4);
      const ss = this.read16(tss + 8);
      words.push(this.vsel[SS]!, r[ESP]! >>> 0);
      this.vsel[SS] = ss;
    } else {
      esp = r[ESP]! >>> 0;
    }
    words.push(eflags, this.vsel[CS]!, eip >>> 0);
    if (code !== undefined) words.push(code);
    for (const w of words) { esp = (esp - 4) >>> 0; this.write32(esp, w); }
    this.vsel[CS] = sel;
    const kt = this.kernel;
    if (fromUser) {
      k.gpr(kt).set(r);
      this.switchMode(false);
    }
    k.gpr(kt)[ESP] = esp;
    k.setEip(kt, offset);
    k.setEflags(kt, eflags & ~(TF | NT), USER_CHANGEABLE);
    // Entry from user mode had IF set (user code always runs with it); an interrupt gate clears it.
    this.vif = type === 0x0e ? false : fromUser ? true : this.vif;
    if (this.halted) { this.halted = false; k.makeReady(kt); }
  }

  /** Moves the guest between its threads: the one leaving waits for the monitor's reply, the other resumes. */
  private switchMode(toUser: boolean): void {
    const k = this.k;
    const leave = toUser ? this.kernel : this.user, enter = toUser ? this.user : this.kernel;
    leave.state = 'receiving'; leave.partner = this.tid; leave.fault = 'exception';
    k.makeReady(enter);
    this.userMode = toUser;
  }

  private tssBase(): number {
    if (!(this.vtr & 0xfffc)) throw new GuestStop('an event from user mode arrived before the guest loaded a task register (ltr)');
    const at = this.vgdt.base + (this.vtr & ~7);
    const lo = this.read32(at), hi = this.read32(at + 4);
    return ((hi & 0xff000000) | ((hi & 0xff) << 16) | (lo >>> 16)) >>> 0;
  }

  /** Reflects the highest-priority deliverable virtual interrupt, if the guest has its virtual IF on. */
  private inject(): void {
    this.ackLines();
    if (!this.vif && !this.userMode) return;
    const line = this.pic.next();
    if (line < 0) return;
    this.pic.irr &= ~(1 << line);
    this.pic.isr |= 1 << line;
    const t = this.current();
    this.reflect(this.pic.vector(line), undefined, this.k.getEip(t));
  }

  /** Acknowledges to the kernel the device lines the guest has unmasked and finished with. */
  private ackLines(): void {
    for (let line = 0; line < 16; line++) {
      const bit = 1 << line;
      if ((this.unacked & bit) && !(this.pic.imr & bit) && !(this.pic.isr & bit) && !(this.pic.irr & bit)) {
        this.unacked &= ~bit;
        this.k.monitorAck(line);
      }
    }
  }

  /** An event outside any message (a timer tick): inject, then let the kernel pick who runs. */
  private tick(): void {
    const k = this.k;
    if (k.stats.crash !== null) return;
    this.pitNext += this.pitPeriod;
    k.machine.clock.schedule(this.pitNext, 'l4 monitor: virtual PIT', () => this.tick());
    this.pic.irr |= 1;
    // The monitor's receive timeout wakes it (a thread switch), and it stops the guest thread to
    // change its registers (ExchangeRegisters), then the guest runs again (a thread switch).
    k.charge(2 * k.costs.l4_thread_switch + k.costs.l4_syscall);
    try { this.inject(); } catch (e) { if (e instanceof GuestStop) { k.crash(`trap-and-emulate: ${e.message}`); return; } throw e; }
    k.afterEvent(true);
  }

  // ---- privileged instructions ------------------------------------------------------------------

  // What the virtual CPU leaves to the monitor: the guest's mappings are mirrored in its two
  // spaces, so a CR3 or CR4 load empties the mirrors and invlpg one page of them.
  protected cr3Loaded(): void { this.flush(); }
  protected cr4Loaded(): void { this.flush(); }
  protected invlpg(lin: number): void { this.flush(lin >>> 0); }
  protected unmodelled(what: string): never { throw new GuestStop(what); }

  /** After an emulated segment load, the real register holds the task's flat data segment: the
   *  guest may have loaded null or L4's user code selector itself (ring 3 may, without a trap),
   *  and left there, every later access through it would fault again however often the guest
   *  reloads its own selector (each reload is emulated, not executed). */
  private flatSegment(seg: number): void {
    if (seg !== CS) this.cpu.setSegCache(seg, L.USER_DS, 0, 0xffffffff, L.DATA_AR, true);
  }

  /** Decodes the faulting instruction of the kernel-mode thread (on the CPU) and emulates it; false if it is not one the monitor emulates. */
  private emulate(): boolean {
    const cpu = this.cpu, k = this.k, t = this.kernel;
    const i = this.decodeAtEip();
    if (!i) return false;
    const next = (cpu.eip + i.len) | 0;
    switch (i.op) {
      case 0xfa: this.count('cli'); this.vif = false; break;
      case 0xfb: {
        this.count('sti');
        this.vif = true;
        k.setEip(t, next);
        // `sti; hlt` must halt before the first interrupt, as sti's one-instruction shadow makes it on hardware.
        if (this.read8(next) !== 0xf4) this.inject();
        return true;
      }
      case 0xf4:
        this.count('hlt');
        if (!this.vif) throw new GuestStop(`hlt with interrupts disabled at eip ${hex(cpu.eip)}: nothing can wake the guest`);
        k.setEip(t, next);
        this.halted = true;
        t.state = 'receiving'; t.partner = this.tid; t.fault = 'exception';
        this.inject();
        return true;
      case 0xe6: case 0xe7: case 0xee: case 0xef:
        this.count('out');
        k.setEip(t, next);
        this.portOut(ioPort(cpu, i), i.os, cpu.getReg(i.os, EAX));
        return true;
      case 0xcf: this.count('iret'); this.iret(i.os); return true;
      case 0xca: case 0xcb: { // lret to a kernel selector (not in the model's GDT)
        if (i.os !== 4) return false;
        const sp = cpu.r[ESP]! >>> 0;
        const eip = this.read32(sp), cs = this.read32(sp + 4) & 0xffff;
        if ((cs & 3) === 3) return false;
        this.count('lret');
        this.vsel[CS] = cs;
        cpu.r[ESP] = (sp + 8 + (i.op === 0xca ? i.imm & 0xffff : 0)) | 0;
        k.setEip(t, eip);
        return true;
      }
      case 0x8e: { // mov Sreg, r/m16: a kernel selector is not in the model's GDT
        const seg = SEG_OF_REG[i.reg]!;
        this.count(`write_${SEG_NAMES[i.reg]}`);
        this.vsel[seg] = this.readRM(i) & 0xffff;
        this.flatSegment(seg);
        break;
      }
      case 0x07: case 0x17: case 0x1f: case 0x1a1: case 0x1a9: { // pop Sreg
        const seg = i.op === 0x07 ? ES : i.op === 0x17 ? SS : i.op === 0x1f ? DS : i.op === 0x1a1 ? FS : GS;
        this.count(`write_${SEG_NAMES[seg]}`);
        this.vsel[seg] = this.read16(cpu.r[ESP]! >>> 0);
        cpu.r[ESP] = (cpu.r[ESP]! + i.os) | 0;
        this.flatSegment(seg);
        break;
      }
      case 0xea: // ljmp ptr16:32 (reloading CS)
        this.count('far_jmp');
        this.vsel[CS] = i.imm2 & 0xffff;
        k.setEip(t, i.imm);
        return true;
      default:
        if (!this.emulateVirtualCpu(i)) return false;
    }
    k.setEip(t, next);
    return true;
  }

  /**
   * `in`/`out` in the guest's user mode, allowed by the I/O bitmap of the guest's TSS (what
   * ioperm set up): the user thread runs with the kernel's TSS, whose bitmap denies every port,
   * so the monitor makes the CPU's permission check (SDM vol. 1, 18.5.2) against the guest's own
   * and performs the access. False when the bitmap denies it (the #GP goes to the guest).
   */
  private userPortIo(eip: number): boolean {
    const k = this.k, t = this.user, r = k.gpr(t);
    const i = this.decodeAt(eip);
    if (!i) return false;
    const isIn = i.op === 0xe4 || i.op === 0xe5 || i.op === 0xec || i.op === 0xed;
    const isOut = i.op === 0xe6 || i.op === 0xe7 || i.op === 0xee || i.op === 0xef;
    if (!isIn && !isOut) return false;
    const port = i.op === 0xec || i.op === 0xed || i.op === 0xee || i.op === 0xef ? r[EDX]! & 0xffff : i.imm & 0xff;
    if (!this.guestBitmapAllows(port, i.os)) return false;
    this.count(isIn ? 'in_user' : 'out_user');
    k.setEip(t, (eip + i.len) | 0);
    if (isIn) {
      const v = this.portIn(port, i.os);
      r[EAX] = i.os === 4 ? v : i.os === 2 ? (r[EAX]! & ~0xffff) | (v & 0xffff) : (r[EAX]! & ~0xff) | (v & 0xff);
    } else {
      this.portOut(port, i.os, r[EAX]!);
    }
    return true;
  }

  private guestBitmapAllows(port: number, size: number): boolean {
    if (!(this.vtr & 0xfffc)) return false;
    const at = this.vgdt.base + (this.vtr & ~7);
    const lo = this.read32(at), hi = this.read32(at + 4);
    const base = ((hi & 0xff000000) | ((hi & 0xff) << 16) | (lo >>> 16)) >>> 0;
    let limit = (hi & 0xf0000) | (lo & 0xffff);
    if (hi & 0x800000) limit = limit * 4096 + 0xfff;
    if (limit < 0x67) return false;
    const iobase = this.read16(base + 0x66);
    if (iobase + ((port + size - 1) >> 3) > limit) return false;
    for (let p = port; p < port + size; p++) if ((this.read8(base + iobase + (p >> 3)) >> (p & 7)) & 1) return false;
    return true;
  }

  protected writeCr0(v: number): void {
    const was = this.vcr0;
    this.vcr0 = v | CR0_ET;
    if ((was ^ this.vcr0) & (CR0_PG | CR0_WP)) this.flush();
  }

  /** iret from the kernel-mode thread: to the guest's kernel mode, or (RPL 3) into the user-mode thread. */
  private iret(os: number): void {
    const cpu = this.cpu, k = this.k;
    if (os !== 4) throw new GuestStop(`16-bit iret at eip ${hex(cpu.eip)} is not emulated`);
    const sp = cpu.r[ESP]! >>> 0;
    const eip = this.read32(sp), cs = this.read32(sp + 4) & 0xffff, eflags = this.read32(sp + 8);
    if ((cs & 3) === 3) {
      const esp = this.read32(sp + 12), ss = this.read32(sp + 16) & 0xffff;
      const u = this.user;
      k.gpr(u).set(cpu.r);
      k.gpr(u)[ESP] = esp;
      k.setEip(u, eip);
      k.setEflags(u, eflags, USER_CHANGEABLE);
      this.vsel[CS] = cs; this.vsel[SS] = ss;
      this.switchMode(true);
      this.vif = true;
    } else {
      cpu.r[ESP] = (sp + 12) | 0;
      k.setEip(this.kernel, eip);
      k.setEflags(this.kernel, eflags, USER_CHANGEABLE);
      this.vsel[CS] = cs;
      this.vif = (eflags & IF) !== 0;
    }
    this.inject();
  }

  // ---- devices --------------------------------------------------------------------------------------

  protected portIn(port: number, size: number): number {
    const cpu = this.cpu;
    cpu.chargeDeviceAccess(cpu.costs.port_io);
    if (port === 0x20 || port === 0x21 || port === 0xa0 || port === 0xa1) return this.pic.read(port);
    if (port >= 0x40 && port <= 0x43) return 0;
    if (!this.granted(port, size)) { this.count('port_absent'); return size === 4 ? -1 : size === 2 ? 0xffff : 0xff; }
    const v = this.k.machine.bus.ioRead(port, size as 1 | 2 | 4);
    return size === 4 ? v | 0 : v & (size === 2 ? 0xffff : 0xff);
  }

  private portOut(port: number, size: number, v: number): void {
    const cpu = this.cpu;
    cpu.chargeDeviceAccess(cpu.costs.port_io);
    if (port === 0x20 || port === 0x21 || port === 0xa0 || port === 0xa1) {
      this.pic.write(port, v & 0xff);
      if (port & 1) this.attachUnmasked();
      this.inject();
      return;
    }
    if (port === 0x43) { this.pitBytes = []; return; }
    if (port === 0x40) {
      this.pitBytes.push(v & 0xff);
      if (this.pitBytes.length === 2) { this.pitDivisor = this.pitBytes[0]! | (this.pitBytes[1]! << 8) || 0x10000; this.pitBytes = []; this.startPit(); }
      return;
    }
    if (port === 0x41 || port === 0x42) return;
    if (!this.granted(port, size)) { this.count('port_absent'); return; }
    this.k.machine.bus.ioWrite(port, size as 1 | 2 | 4, size === 4 ? v >>> 0 : v & (size === 2 ? 0xffff : 0xff));
  }

  /**
   * The monitor drives only the ports σ0 grants it (ABI.md §7); the PIC and PIT are virtual. Any
   * other port is a device the guest does not have: reads float high (all ones), writes go
   * nowhere, as on a PC bus with nothing at that address. Linux probes such ports (further UARTs,
   * port 0x61) and copes with their absence.
   */
  private granted(port: number, size: number): boolean {
    return L.PORTS_GRANTABLE.some(([b, n]) => port >= b && port + size <= b + n);
  }

  /** Device lines the guest unmasks in its virtual PIC are attached to the monitor (the UART and PCI lines). */
  private attachUnmasked(): void {
    for (const line of L.IRQS_ATTACHABLE) {
      const bit = 1 << line;
      if (!(this.pic.imr & bit) && !(this.attached & bit) && this.k.attachToMonitor(line)) this.attached |= bit;
    }
  }

  private startPit(): void {
    const mhz = this.k.machine.profile.cpuMhz;
    const first = this.pitPeriod === 0;
    this.pitPeriod = Math.max(1, Math.round((this.pitDivisor * mhz * 1e6) / PIT_HZ));
    if (!first) return;
    this.pitNext = this.cpu.cycles + this.pitPeriod;
    this.k.machine.clock.schedule(this.pitNext, 'l4 monitor: virtual PIT', () => this.tick());
  }
}

