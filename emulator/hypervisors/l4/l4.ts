// The L4 microkernel model (x86-32, L4Ka::Pistachio X.2 flavour; ABI.md is the contract). It sits
// on the CPU's trap hook: `int $0x30` from the privileged task is a system call, page faults and
// exceptions of user threads become IPC to their pager, and interrupts on attached lines become
// IPC from per-IRQ threads. It owns the threads (thread.ts), their address spaces and mapping
// database (space.ts), IPC (ipc.ts) and σ0 (sigma0.ts), schedules by priority, and charges
// cycles from the profile's `l4` figures. Under trap-and-emulate (trap-emulate.ts) the privileged
// task is a monitor modelled in TypeScript: its guest threads' faults and its interrupt lines are
// handed to it as counted, charged messages (the Monitor interface).
import type { Machine } from '../../machine.ts';
import { HostPic } from '../host-pic.ts';
import type { Cpu } from '../../cpu/cpu.ts';
import type { L4CostTable } from '../../profiles/load.ts';
import { CS, SS, DS, ES, FS, GS } from '../../cpu/segments.ts';
import { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI, IF } from '../../cpu/flags.ts';
import { CR0_PG, CR0_WP } from '../../cpu/mmu.ts';
import { GuestMemory } from '../guest-memory.ts';
import { KernelMemory, MappingDb, Space, L4Stop, type KernelPages } from './space.ts';
import { Thread } from './thread.ts';
import { Ipc, type MessageKind } from './ipc.ts';
import { checkSigma0Request, sigma0FaultPage, decodeFpage } from './sigma0.ts';
import { buildTask, writeKip, l4GuestParams, type BuiltTask } from './builder.ts';
import * as L from './layout.ts';
import { NetBack, type NetbackStats } from '../net-back.ts';
import { TimeBase } from '../../net/seams.ts';

const hex = L.hex;
const { CODE_AR, DATA_AR } = L;

export interface L4Stats {
  /** System calls by name (every name, number order). */
  system_calls: Record<L.SyscallName, number>;
  /** Messages transferred, by kind (a σ0 request and its reply count once, as sigma0; replies to faults as other). */
  messages: Record<MessageKind, number>;
  /** Page-directory loads (each with the CPU's TLB flush). */
  address_space_switches: number;
  pages_mapped: number;
  pages_unmapped: number;
  threads_created: number;
  spaces_created: number;
  /** Exceptions sent as IPC (not page faults), by vector. */
  exceptions: Record<string, number>;
  /** The network server (ABI.md section 13), once a task connected to it. */
  netserver?: NetbackStats;
  /** Interrupts taken, by IRQ line. */
  interrupts: Record<string, number>;
  /** Cycles charged from the `l4` figures. */
  l4_cycles: number;
  /** Why the model stopped the run, if it did. */
  crash: string | null;
}

/**
 * A pager, exception handler and interrupt handler modelled in TypeScript: the trap-and-emulate
 * monitor (trap-emulate.ts, ABI.md §12). Threads whose pager is `tid` send it their page faults
 * and exceptions; the kernel counts and charges each message and calls the handler at once.
 */
export interface Monitor {
  readonly tid: number;
  /** A page fault (vector 14, `addr` = CR2, `rwx` its label's rights) or exception of `t`. */
  fault(t: Thread, vector: number, code: number | undefined, eip: number, addr: number, rwx: number): void;
  /** Interrupt IPC from line `line`'s interrupt thread. */
  interrupt(line: number): void;
}

export class L4Kernel {
  readonly cpu: Cpu;
  readonly physEnd: number;
  readonly ramEnd: number;
  readonly stats: L4Stats;
  readonly db = new MappingDb();
  readonly ipc: Ipc;
  /** The privileged task's memory as the wedge-statistics and hole readers see it. */
  readonly taskMem: GuestMemory;
  task: BuiltTask | null = null;
  privileged: Space | null = null;
  /** The thread whose registers are in the CPU (null: idle). */
  onCpu: Thread | null = null;
  /** The trap-and-emulate monitor, when it is the privileged task (bootMonitor). */
  monitor: Monitor | null = null;

  private readonly kmem: KernelMemory;
  private readonly kpages: KernelPages;
  private readonly threads = new Map<number, Thread>();
  private readonly spaces = new Set<Space>();
  private nextSpaceId = 0;
  private loaded: Space | null = null;
  private readyCounter = 0;
  /** A message was charged in this kernel entry: a thread switch it causes is part of that cost. */
  private paid = false;
  /** The thread the current kernel entry woke, preferred when the current one blocks. */
  private hint: Thread | null = null;
  private donate: Thread | null = null;
  private yielded = false;
  private readonly irqHandler = new Array<number>(16).fill(0);
  private readonly irqPending = new Uint8Array(16);
  private readonly pic: HostPic;

  constructor(readonly machine: Machine, readonly costs: L4CostTable) {
    this.cpu = machine.cpu as unknown as Cpu;
    this.pic = new HostPic(machine.bus, this.cpu, machine.profile.mechanisms.host_pic_port_io);
    this.ramEnd = machine.bus.ram.length;
    if (this.ramEnd < 2 * L.L4_RESERVED) throw new RangeError(`l4 needs at least ${2 * L.L4_RESERVED >> 20} MiB of RAM (it keeps ${L.L4_RESERVED >> 20} MiB)`);
    this.physEnd = this.ramEnd - L.L4_RESERVED;
    const ram = machine.bus.ram;
    ram.fill(0, this.physEnd, this.ramEnd);
    const at = (i: number): number => this.physEnd + i * L.PAGE;
    this.kpages = { kip: at(0), gdt: at(1), tss: at(2), denyBitmap: at(3) };
    ram.fill(0xff, at(3), at(5));
    this.kmem = new KernelMemory(this.cpu, at(5), this.ramEnd);
    writeKip(ram, this.kpages.kip, this.cpuKhz(), this.physEnd);
    const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
    dv.setUint32(this.kpages.gdt + 0x18, 0x0000ffff, true); dv.setUint32(this.kpages.gdt + 0x1c, 0x00cffb00, true);
    dv.setUint32(this.kpages.gdt + 0x20, 0x0000ffff, true); dv.setUint32(this.kpages.gdt + 0x24, 0x00cff300, true);
    // The TSS descriptor (selector 0x28), busy, for str and the CPU's I/O permission check.
    dv.setUint32(this.kpages.gdt + 0x28, ((L.TSS_VA & 0xffff) << 16) | L.TSS_LIMIT, true);
    dv.setUint32(this.kpages.gdt + 0x2c, (L.TSS_VA & 0xff000000) | 0x8b00 | ((L.TSS_VA >>> 16) & 0xff), true);
    dv.setUint16(this.kpages.tss + 0x66, L.TSS_IOBASE, true);
    const system_calls = {} as Record<L.SyscallName, number>;
    for (const n of L.SYSCALL_NAMES) system_calls[n] = 0;
    this.stats = {
      system_calls, messages: { pagefault: 0, exception: 0, interrupt: 0, sigma0: 0, startup: 0, other: 0 },
      address_space_switches: 0, pages_mapped: 0, pages_unmapped: 0, threads_created: 0, spaces_created: 0,
      exceptions: {}, interrupts: {}, l4_cycles: 0, crash: null,
    };
    this.ipc = new Ipc(this);
    this.taskMem = new GuestMemory(this.cpu, () => this.privileged?.pd ?? this.cpu.cr3);
  }

  private cpuKhz(): number {
    return this.machine.profile.cpuMhz * 1000;
  }

  // ---- start of day ----------------------------------------------------------------------------

  /** Takes the PIC and the CPU's trap hook; call before the task runs. */
  attach(): void {
    this.pic.init(0x20);
    this.cpu.onTrap = (vector, code, kind) => this.trap(vector, code, kind);
  }

  /** Builds the privileged task from `image` (which must carry __l4_guest) and starts its main thread. */
  bootTask(image: Uint8Array, name: string, cmdline: string, module?: Uint8Array): BuiltTask {
    const params = l4GuestParams(image, name);
    if (!params) throw new Error(`${name}: not an L4 task (no __l4_guest section)`);
    const t = buildTask(image, name, params, { ram: this.machine.bus.ram, physEnd: this.physEnd, cpuKhz: this.cpuKhz(), module, cmdline });
    this.task = t;
    const cpu = this.cpu;
    cpu.resetForMultiboot(t.entry, 0, 0);
    const space = this.newSpace(true);
    this.privileged = space;
    for (let v = t.virtBase; v < t.virtBase + t.bootLen; v += L.PAGE) this.db.map(space, v, v - t.virtBase + t.bootPhys, true, null);
    this.enterKernelArea(space);
    const main = this.newThread(L.MAIN, space, L.SIGMA0);
    this.startThread(main, t.entry, t.stackTop);
    main.regs.r[ESI] = t.bootInfoVa;
    this.makeReady(main);
    this.switchTo(main);
    return t;
  }

  /**
   * Trap-and-emulate (ABI.md §12): the privileged task is the monitor, whose main thread is
   * modelled by `monitor` (it never runs on the CPU), with two threads of the guest: one in a
   * kernel-mode space whose GDT lacks the user code selector 0x1B, one in a user-mode space.
   * The kernel-mode thread starts at `eip` with the given EAX and EBX; the user-mode one waits.
   */
  bootMonitor(monitor: Monitor, eip: number, eax: number, ebx: number): { monitorSpace: Space; kernel: Thread; user: Thread } {
    const cpu = this.cpu;
    cpu.resetForMultiboot(eip, 0, 0);
    const monitorSpace = this.newSpace(true);
    this.privileged = monitorSpace;
    this.monitor = monitor;
    const main = this.newThread(L.MAIN, monitorSpace, L.SIGMA0);
    main.state = 'receiving'; main.partner = L.ANYTHREAD;
    // The kernel-mode space's GDT: the model's, with 0x1B absent, so an iret (or far transfer)
    // to the guest's user mode faults instead of running user code in the kernel-mode space.
    const gdt = this.kmem.alloc('the GDT of the monitor\'s kernel-mode space');
    cpu.ram.copyWithin(gdt, this.kpages.gdt, this.kpages.gdt + L.PAGE);
    cpu.ram.fill(0, gdt + 0x18, gdt + 0x20);
    const kspace = this.newSpace(false, { ...this.kpages, gdt });
    const uspace = this.newSpace(false);
    const kernel = this.newThread(L.tid(L.FIRST_FREE_THREAD), kspace, L.MAIN);
    const user = this.newThread(L.tid(L.FIRST_FREE_THREAD + 1), uspace, L.MAIN);
    this.startThread(kernel, eip, 0);
    kernel.regs.r[EAX] = eax; kernel.regs.r[EBX] = ebx;
    this.startThread(user, 0, 0);
    user.state = 'receiving'; user.partner = L.MAIN; user.fault = 'exception';
    this.enterKernelArea(kspace);
    this.makeReady(kernel);
    this.switchTo(kernel);
    return { monitorSpace, kernel, user };
  }

  /**
   * The CPU state both boots end in: the kernel area's GDT and busy TSS (no IDT: the model takes
   * every vector through onTrap), paging on with write protection, `space` the address space loaded.
   */
  private enterKernelArea(space: Space): void {
    const cpu = this.cpu;
    cpu.gdtBase = L.GDT_VA; cpu.gdtLimit = 0x2f;
    cpu.idtBase = 0; cpu.idtLimit = 0;
    cpu.trSel = 0x28; cpu.trBase = L.TSS_VA; cpu.trLimit = L.TSS_LIMIT; cpu.trAr = 0x8b00;
    cpu.cr3 = space.pd;
    cpu.cr0 = cpu.cr0 | CR0_PG | CR0_WP;
    cpu.cr4 = 0;
    cpu.flushTlbAll();
    this.loaded = space;
  }

  /** Attaches IRQ line `line` to the monitor (ABI.md §3.3's rules: UART and PCI lines only); false if refused. */
  attachToMonitor(line: number): boolean {
    if (!this.monitor || !L.IRQS_ATTACHABLE.has(line)) return false;
    this.irqHandler[line] = this.monitor.tid; this.irqPending[line] = 0;
    this.pic.unmaskLine(line);
    return true;
  }

  /** The monitor's acknowledgement of an interrupt IPC on `line`: the line is unmasked. */
  monitorAck(line: number): void {
    if (!this.monitor || this.irqHandler[line] !== this.monitor.tid) return;
    this.pic.unmaskLine(line);
  }

  private newSpace(privileged: boolean, kpages = this.kpages): Space {
    const s = new Space(this.nextSpaceId++, privileged, this.cpu, this.kmem, kpages, (sp, va) => {
      if (sp === this.loaded) { this.cpu.invalidatePage(va); this.cpu.fetchInvalidate(); }
    });
    this.spaces.add(s);
    this.stats.spaces_created++;
    return s;
  }

  private newThread(id: number, space: Space, pager: number): Thread {
    const utcb = this.kmem.alloc(`the UTCB of thread ${hex(id)}`);
    const t = new Thread(id, space, utcb, L.DEFAULT_PRIORITY);
    t.pager = pager;
    this.cpu.physWrite32(utcb + L.UTCB_MY_ID, id);
    this.cpu.physWrite32(utcb + L.UTCB_PAGER, pager);
    this.threads.set(L.tnum(id), t);
    space.threads++;
    this.stats.threads_created++;
    return t;
  }

  /** Start-up state (ABI.md §2): ring 3, flat user selectors, EFLAGS 0x202, other registers 0. */
  startThread(t: Thread, eip: number, esp: number): void {
    const g = t.regs;
    g.r.fill(0);
    g.r[ESP] = esp;
    g.eip = eip;
    g.eflags = 0x202;
    for (const s of [CS, SS, DS, ES, FS, GS]) {
      g.sel[s] = s === CS ? L.USER_CS : L.USER_DS; g.base[s] = 0; g.limit[s] = 0xffffffff;
      g.ar[s] = s === CS ? CODE_AR : DATA_AR; g.valid[s] = 1;
    }
  }

  // ---- helpers for ipc.ts and sigma0 -----------------------------------------------------------

  /** A live user thread by id (null for σ0, interrupt threads, unknown or stale ids). */
  thread(id: number): Thread | null {
    const t = this.threads.get(L.tnum(id));
    return t && t.tid === (id >>> 0) ? t : null;
  }

  /** The registers of `t`: the CPU's when it is on the CPU. */
  gpr(t: Thread): Int32Array {
    return t === this.onCpu ? this.cpu.r : t.regs.r;
  }
  setEip(t: Thread, v: number): void {
    if (t === this.onCpu) { this.cpu.eip = v | 0; this.cpu.nextEip = v | 0; } else t.regs.eip = v | 0;
  }
  getEip(t: Thread): number {
    return (t === this.onCpu ? this.cpu.eip : t.regs.eip) >>> 0;
  }
  getEflags(t: Thread): number {
    return (t === this.onCpu ? this.cpu.getEflags() : t.regs.eflags) >>> 0;
  }
  /** Sets the EFLAGS bits in `mask`; IF stays 1 and IOPL 0. */
  setEflags(t: Thread, v: number, mask: number): void {
    const old = this.getEflags(t);
    const nf = ((old & ~mask) | (v & mask) | 0x202) & ~0x3000;
    if (t === this.onCpu) { this.cpu.flags = nf; this.cpu.lazy = 0; } else t.regs.eflags = nf;
  }

  utcbRead(t: Thread, off: number): number {
    return this.cpu.physRead32(t.utcb + off) >>> 0;
  }
  utcbWrite(t: Thread, off: number, v: number): void {
    this.cpu.physWrite32(t.utcb + off, v | 0);
  }

  makeReady(t: Thread): void {
    if (t.state !== 'ready') this.hint = t;
    t.state = 'ready';
    t.fault = null;
    t.readySeq = ++this.readyCounter;
  }

  /** Charges the kernel's own work, to the operation under way in the cycle ledger (or `op`). */
  charge(n: number, op?: string): void {
    this.cpu.cycles += n;
    this.stats.l4_cycles += n;
    this.cpu.ledger.chargeHypervisor(n, op);
  }

  /** One message between user threads: within a space or across. */
  chargeTransfer(s: Thread, d: Thread): void {
    this.charge(s.space === d.space ? this.costs.l4_ipc_intra_as : this.costs.l4_ipc_one_way);
  }

  count(kind: MessageKind): void {
    this.stats.messages[kind]++;
    this.paid = true;
  }

  /** The cycle at which the absolute µs timeout `t` (low 32 bits of SystemClock) is reached. */
  timeoutCycles(t: number): number {
    const mhz = this.machine.profile.cpuMhz;
    const nowUs = Math.floor(this.cpu.cycles / mhz);
    const d = (t - (nowUs % 2 ** 32)) | 0;
    if (d <= 0) return this.cpu.cycles;
    return (nowUs + d) * mhz;
  }

  // ---- the trap hook ---------------------------------------------------------------------------

  private trap(vector: number, code: number | undefined, kind: 'exception' | 'software' | 'external'): boolean {
    if (this.stats.crash !== null) { this.cpu.halt(); return true; }
    this.paid = false; this.hint = null; this.donate = null; this.yielded = false;
    this.cpu.ledger.hypervisorOp = kind === 'external' ? 'l4 interrupt' : kind === 'software' && vector === L.SYSCALL_VECTOR ? 'l4 system call entry'
      : vector === 14 ? 'l4 page fault' : 'l4 exception';
    try {
      if (kind === 'external') this.external(vector);
      else {
        const t = this.onCpu;
        if (!t) throw new L4Stop(`${kind} ${vector} with no thread on the CPU`);
        if (kind === 'software') this.software(t, vector);
        else this.exception(t, vector, code, this.cpu.eip >>> 0);
      }
      this.reschedule();
    } catch (e) {
      if (e instanceof L4Stop) this.crash(e.message);
      else throw e;
    }
    return true;
  }

  /** After a clock event (a timeout) changed who is ready; `paid`: the event charged a message. */
  afterEvent(paid = false): void {
    if (this.stats.crash !== null) return;
    this.paid = paid; this.hint = null; this.donate = null; this.yielded = false;
    this.cpu.ledger.hypervisorOp = 'l4 timeout';
    try { this.reschedule(); } catch (e) { if (e instanceof L4Stop) this.crash(e.message); else throw e; }
  }

  crash(message: string): void {
    if (this.stats.crash !== null) return;
    this.stats.crash = message;
    this.machine.halt({ kind: 'shutdown', detail: `l4: ${message}`, dump: this.cpu.dumpState() });
    this.cpu.halt();
  }

  private software(t: Thread, vector: number): void {
    const cpu = this.cpu;
    const eip = cpu.eip >>> 0;
    const byteBefore = (): number => {
      try { return new GuestMemory(cpu).read8((cpu.segBase[CS]! + eip - 1) | 0); } catch { return -1; }
    };
    if (vector === 3 && byteBefore() === 0xcc) { this.exceptionEntry(); this.exception(t, 3, undefined, eip); return; }
    if (vector === 4 && byteBefore() === 0xce) { this.exceptionEntry(); this.exception(t, 4, undefined, eip); return; }
    if (vector === L.SYSCALL_VECTOR && t.space.privileged) {
      if (this.machine.profile.mechanisms.hypervisor_int_entry) this.charge(cpu.costs.int_n_cross_ring);
      this.syscall(t);
      return;
    }
    // No user gate for this vector (or a system call from an unprivileged space): #GP at the int.
    this.exceptionEntry();
    const at = cpu.trapInsnEip >>> 0;
    this.setEip(t, at);
    this.exception(t, 13, (vector << 3) | 2, at);
  }

  /** The hardware's exception entry, for an int that the CPU turned into an exception. */
  private exceptionEntry(): void {
    this.cpu.cycles += this.cpu.costs.exception_entry;
    this.cpu.ledger.chargeExceptionEntry(this.cpu.costs.exception_entry);
  }

  private exception(t: Thread, vector: number, code: number | undefined, eip: number): void {
    const cpu = this.cpu;
    if (vector === 14) {
      const addr = cpu.cr2 >>> 0;
      const c = code ?? 0;
      const lin = (cpu.segBase[CS]! + eip) >>> 0;
      const rwx = c & 2 ? L.W : (c & 0x10) || (addr >= lin && addr < lin + 16) ? L.X : L.R;
      if (this.monitor && t.pager === this.monitor.tid) {
        this.count('pagefault');
        this.charge(this.costs.l4_pagefault_ipc);
        this.monitor.fault(t, 14, c, eip, addr, rwx);
        return;
      }
      if (t.pager === L.SIGMA0) {
        const page = sigma0FaultPage(addr, this.physEnd, hex(t.tid), eip);
        if (!t.space.privileged) throw new L4Stop(`thread ${hex(t.tid)}: #PF at ${hex(addr)} (EIP ${hex(eip)}): σ0 pages only the privileged task`);
        this.db.map(t.space, page, page, true, null);
        this.count('pagefault');
        this.charge(this.costs.l4_pagefault_ipc + this.costs.l4_map_per_page);
        return;
      }
      if (!this.thread(t.pager)) throw new L4Stop(`thread ${hex(t.tid)}: #PF at ${hex(addr)} (EIP ${hex(eip)}) and no pager`);
      this.ipc.raiseFault(t, 'pagefault', [L.tag(L.LABEL_PAGEFAULT | rwx, 0, 2), addr, eip]);
      return;
    }
    const name = L.EXCEPTION_NAMES[vector] ?? `exception ${vector}`;
    const what = `${name}${code !== undefined ? ` (error ${hex(code)})` : ''} at EIP ${hex(eip)}`;
    if (this.monitor && t.pager === this.monitor.tid) {
      this.stats.exceptions[vector] = (this.stats.exceptions[vector] ?? 0) + 1;
      this.count('exception');
      this.charge(this.costs.l4_exception_ipc);
      this.monitor.fault(t, vector, code, eip, 0, 0);
      return;
    }
    if (t.pager === L.SIGMA0) throw new L4Stop(`thread ${hex(t.tid)}: ${what} and its pager is σ0, which handles only page faults`);
    if (!this.thread(t.pager)) throw new L4Stop(`thread ${hex(t.tid)}: ${what} and no pager`);
    this.stats.exceptions[vector] = (this.stats.exceptions[vector] ?? 0) + 1;
    const r = this.gpr(t);
    this.ipc.raiseFault(t, 'exception', [
      L.tag(L.LABEL_EXCEPTION, 0, L.EXC_WORDS), eip, this.getEflags(t), vector, code ?? 0,
      r[EDI]! >>> 0, r[ESI]! >>> 0, r[EBP]! >>> 0, r[ESP]! >>> 0, r[EBX]! >>> 0, r[EDX]! >>> 0, r[ECX]! >>> 0, r[EAX]! >>> 0,
    ]);
  }

  // ---- interrupts ------------------------------------------------------------------------------

  private external(vector: number): void {
    const line = vector - L.PIC_VECTOR_BASE;
    if (line < 0 || line > 15) return;
    this.stats.interrupts[line] = (this.stats.interrupts[line] ?? 0) + 1;
    // Mask the line until the handler's acknowledgement, then EOI: each an `out` charged port_io.
    this.pic.maskLine(line);
    this.pic.eoi(line);
    if (this.monitor && this.irqHandler[line] === this.monitor.tid) {
      this.charge(this.costs.l4_irq_ipc);
      this.count('interrupt');
      this.monitor.interrupt(line);
      return;
    }
    const h = this.thread(this.irqHandler[line]!);
    if (!h) return;
    this.charge(this.costs.l4_irq_ipc);
    this.paid = true;
    const irqTid = L.tid(line);
    if (h.state === 'receiving' && !h.fault && (h.partner === L.ANYTHREAD || h.partner === irqTid)) this.ipc.deliverInterrupt(line, h);
    else this.irqPending[line] = 1;
  }

  /** A pending interrupt `t` may receive now (from = ANYTHREAD or that line's thread), or -1. */
  pendingIrqFor(t: Thread, from: number): number {
    for (let line = 0; line < 16; line++) {
      if (!this.irqPending[line] || this.irqHandler[line] !== t.tid) continue;
      if (from !== L.ANYTHREAD && from !== L.tid(line)) continue;
      this.irqPending[line] = 0;
      return line;
    }
    return -1;
  }

  irqDelivered(_line: number): void {
    this.paid = true;
  }

  /** A message to interrupt thread `line`: the handler's acknowledgement unmasks the line. */
  ackIrq(line: number, t: Thread): void {
    if (this.irqHandler[line] !== t.tid) return;
    this.pic.unmaskLine(line);
  }

  // ---- system calls ----------------------------------------------------------------------------

  private syscall(t: Thread): void {
    const cpu = this.cpu;
    const nr = cpu.r[EAX]! >>> 0;
    const name = L.SYSCALL_NAMES[nr - 1];
    if (!name) throw new L4Stop(`unknown system call ${nr} from thread ${hex(t.tid)} at EIP ${hex((cpu.eip - 2) >>> 0)}`);
    this.stats.system_calls[name]++;
    this.cpu.ledger.hypervisorOp = `l4 ${name}`;
    if (nr === L.SC_IPC) { this.ipc.syscall(t); return; }
    this.charge(this.costs.l4_syscall);
    const r = cpu.r;
    switch (nr) {
      case L.SC_THREADCTL: this.threadControl(t, r[EBX]! >>> 0, r[ECX]! >>> 0, r[ESI]! >>> 0); break;
      case L.SC_EXREGS: this.exchangeRegisters(t); break;
      case L.SC_UNMAP: this.unmap(t, r[ECX]! >>> 0); break;
      case L.SC_CLOCK: {
        const us = Math.floor(cpu.cycles / this.machine.profile.cpuMhz);
        r[EAX] = us % 2 ** 32; r[EDX] = Math.floor(us / 2 ** 32);
        break;
      }
      case L.SC_THREADSWITCH: {
        const d = this.thread(r[EBX]! >>> 0);
        if (d && d.state === 'ready' && !d.halted && d !== t) this.donate = d;
        else { t.readySeq = ++this.readyCounter; this.yielded = true; }
        break;
      }
      case L.SC_SCHEDULE: {
        const d = this.thread(r[EBX]! >>> 0);
        const prio = r[ECX]! >>> 0;
        if (!d || prio > 255) { r[EAX] = 0; this.utcbWrite(t, L.UTCB_ERROR, L.TC_UNAVAILABLE); break; }
        d.priority = prio;
        r[EAX] = 1;
        break;
      }
    }
  }

  private tcResult(t: Thread, err: number): void {
    const r = this.cpu.r;
    r[EAX] = err === 0 ? 1 : 0;
    r[ECX] = err;
    this.utcbWrite(t, L.UTCB_ERROR, err);
  }

  private pagerValid(p: number): boolean {
    return p === L.SIGMA0 || this.thread(p) !== null;
  }

  private threadControl(t: Thread, dest: number, spaceSpec: number, pager: number): void {
    const n = L.tnum(dest);
    if (n < 16 && dest === L.tid(n)) {
      if (spaceSpec !== dest) return this.tcResult(t, L.TC_INVALID_SPACE);
      if (pager === dest) {
        this.irqHandler[n] = 0; this.irqPending[n] = 0;
        this.pic.maskLine(n);
        return this.tcResult(t, 0);
      }
      if (!L.IRQS_ATTACHABLE.has(n)) return this.tcResult(t, L.TC_UNAVAILABLE);
      if (!this.thread(pager)) return this.tcResult(t, L.TC_INVALID_PAGER);
      this.irqHandler[n] = pager; this.irqPending[n] = 0;
      this.pic.unmaskLine(n);
      return this.tcResult(t, 0);
    }
    const existing = this.thread(dest);
    if (!existing) {
      if (spaceSpec === 0 || n < L.FIRST_FREE_THREAD || n > L.LAST_THREAD || (dest & 0x3fff) !== 1 || this.threads.has(n)) return this.tcResult(t, L.TC_UNAVAILABLE);
      if (pager !== L.NILTHREAD && !this.pagerValid(pager)) return this.tcResult(t, L.TC_INVALID_PAGER);
      let space: Space;
      if (spaceSpec === dest) {
        if (this.spaces.size >= L.MAX_SPACES) return this.tcResult(t, L.TC_INVALID_SPACE);
        space = this.newSpace(false);
      } else {
        const o = this.thread(spaceSpec);
        if (!o) return this.tcResult(t, L.TC_INVALID_SPACE);
        space = o.space;
      }
      const nt = this.newThread(dest, space, pager);
      this.startThread(nt, 0, 0);
      nt.state = 'receiving';
      nt.partner = pager;
      nt.fault = 'startup';
      return this.tcResult(t, 0);
    }
    if (spaceSpec === 0) { this.deleteThread(existing); return this.tcResult(t, 0); }
    if (spaceSpec !== dest) return this.tcResult(t, L.TC_INVALID_SPACE);
    if (pager !== L.NILTHREAD) {
      if (!this.pagerValid(pager)) return this.tcResult(t, L.TC_INVALID_PAGER);
      existing.pager = pager;
      this.utcbWrite(existing, L.UTCB_PAGER, pager);
      if (existing.fault === 'startup') existing.partner = pager;
    }
    return this.tcResult(t, 0);
  }

  private deleteThread(d: Thread): void {
    if (d.timeout) { this.machine.clock.cancel(d.timeout); d.timeout = null; }
    this.threads.delete(d.num);
    this.ipc.partnerGone(d, this.threads.values());
    d.state = 'dead';
    for (let line = 0; line < 16; line++) {
      if (this.irqHandler[line] === d.tid) { this.irqHandler[line] = 0; this.irqPending[line] = 0; this.pic.maskLine(line); }
    }
    if (this.onCpu === d) this.onCpu = null;
    this.kmem.release(d.utcb);
    const s = d.space;
    if (--s.threads === 0) {
      for (const node of [...s.pages.values()]) this.db.revoke(node, false, true);
      if (this.loaded === s) {
        this.loaded = this.privileged && this.privileged !== s ? this.privileged : null;
        if (this.loaded) this.cpu.cr3 = this.loaded.pd;
        this.cpu.flushTlbAll();
      }
      s.destroy();
      this.spaces.delete(s);
    }
  }

  private exchangeRegisters(t: Thread): void {
    const r = this.cpu.r;
    const destId = r[EBX]! >>> 0, control = r[ECX]! >>> 0, eflags = r[EDX]! >>> 0, esp = r[ESI]! >>> 0, eip = r[EDI]! >>> 0;
    const d = this.thread(destId);
    if (!d) { r[EAX] = 0; this.utcbWrite(t, L.UTCB_ERROR, L.TC_UNAVAILABLE); return; }
    let state = d.halted ? L.XS_HALTED : 0;
    if (d.fault === 'pagefault' || d.fault === 'exception') state |= L.XS_FAULTING;
    else if (d.state === 'sending') state |= L.XS_SENDING;
    else if (d.state === 'receiving') state |= L.XS_RECEIVING;
    const oldFlags = this.getEflags(d), oldEsp = this.gpr(d)[ESP]! >>> 0, oldEip = this.getEip(d);
    this.ipc.cancel(d, control);
    if (control & L.XR_HALT) d.halted = true;
    if (control & L.XR_RESUME) d.halted = false;
    if (control & L.XR_SET_ESP) this.gpr(d)[ESP] = esp;
    if (control & L.XR_SET_EIP) this.setEip(d, eip);
    if (control & L.XR_SET_EFLAGS) this.setEflags(d, eflags, L.USER_EFLAGS);
    r[EAX] = destId; r[ECX] = state; r[EDX] = oldFlags; r[ESI] = oldEsp; r[EDI] = oldEip;
  }

  private unmap(t: Thread, control: number): void {
    const k = control & 0x3f, flush = (control & 0x40) !== 0;
    const before = this.db.unmapped;
    for (let i = 0; i <= k; i++) {
      const fp = this.utcbRead(t, L.UTCB_MR + i * 4);
      const f = decodeFpage(fp);
      if (f && 'mem' in f) {
        const rights = f.mem.rights;
        if (rights !== 0) {
          const writeOnly = (rights & (L.R | L.X)) === 0;
          for (const node of t.space.nodesIn(f.mem.base, f.mem.size)) this.db.revoke(node, writeOnly, flush);
        }
      }
      this.utcbWrite(t, L.UTCB_MR + i * 4, fp & ~7);
    }
    this.charge((this.db.unmapped - before) * this.costs.l4_map_per_page);
  }

  /** σ0's side of a call from `t` (ABI.md §7). */
  sigma0Call(t: Thread): void {
    const mr0 = this.utcbRead(t, L.UTCB_MR);
    if (L.tagLabel(mr0) !== L.LABEL_SIGMA0 || L.tagU(mr0) !== 2) {
      throw new L4Stop(`σ0: thread ${hex(t.tid)} sent tag ${hex(mr0)}; σ0 understands only label 0xffa0 with u = 2`);
    }
    if (!t.space.privileged) throw new L4Stop(`σ0: thread ${hex(t.tid)} is not in the privileged task`);
    const fp = this.utcbRead(t, L.UTCB_MR + 4);
    const f = checkSigma0Request(fp, this.physEnd, this.ramEnd, `thread ${hex(t.tid)}`);
    if ('mem' in f && this.nicPage >= 0 && f.mem.base <= this.nicPage * L.PAGE && this.nicPage * L.PAGE < f.mem.base + f.mem.size) {
      throw new L4Stop(`σ0 refused thread ${hex(t.tid)}'s request for ${hex(fp)}: the NIC's registers belong to the network server`);
    }
    this.count('sigma0');
    this.charge(2 * this.costs.l4_ipc_one_way);
    const sendBase = 'mem' in f ? f.mem.base : 0;
    this.utcbWrite(t, L.UTCB_MR, L.tag(0, 2, 0));
    this.utcbWrite(t, L.UTCB_MR + 4, (sendBase | 8) >>> 0);
    this.utcbWrite(t, L.UTCB_MR + 8, fp);
    this.ipc.mapFpage(null, fp, sendBase, t, this.utcbRead(t, L.UTCB_BR));
    this.ipc.finish(t, L.SIGMA0, 0);
  }

  // ---- scheduling ------------------------------------------------------------------------------

  private runnable(t: Thread | null): t is Thread {
    return t !== null && t.state === 'ready' && !t.halted;
  }

  /** Picks the thread to run (ABI.md §2) and switches to it, or idles. */
  private reschedule(): void {
    const cur = this.onCpu;
    let best: Thread | null = null;
    for (const t of this.threads.values()) {
      if (!this.runnable(t)) continue;
      if (!best || t.priority > best.priority || (t.priority === best.priority && t.readySeq < best.readySeq)) best = t;
    }
    let next: Thread | null;
    if (this.runnable(this.donate)) next = this.donate;
    else if (this.runnable(cur) && !this.yielded && (!best || best.priority <= cur.priority)) next = cur;
    else if (this.runnable(this.hint) && best && this.hint.priority >= best.priority) next = this.hint;
    else next = best;
    this.switchTo(next);
  }

  private switchTo(next: Thread | null): void {
    const cpu = this.cpu;
    const cur = this.onCpu;
    if (next === cur) {
      if (next === null) { cpu.flags |= IF; cpu.halt(); }
      return;
    }
    if (cur && cur.state !== 'dead') cur.regs.saveFrom(cpu);
    this.onCpu = null;
    if (!next) { cpu.flags |= IF; cpu.halt(); return; }
    if (!this.paid && cur) this.charge(this.costs.l4_thread_switch);
    if (next.space !== this.loaded) {
      next.space.setUtcb(next.utcb);
      cpu.cr3 = next.space.pd;
      cpu.flushTlbAll();
      this.loaded = next.space;
      this.stats.address_space_switches++;
      if (!this.paid && cur) this.charge(cpu.costs.mov_cr3);
    } else {
      next.space.setUtcb(next.utcb);
      cpu.invalidatePage(L.UTCB_VA);
      cpu.fetchInvalidate();
    }
    this.utcbWrite(next, L.UTCB_MY_ID, next.tid);
    next.regs.loadInto(cpu);
    cpu.halted = false;
    this.onCpu = next;
  }

  /** Statistics with the mapping counters filled in. */
  report(): L4Stats {
    this.stats.pages_mapped = this.db.mapped;
    this.stats.pages_unmapped = this.db.unmapped;
    return this.stats;
  }

  // ---- the network server (ABI.md section 13) -------------------------------------------------

  private netback: NetBack | null = null;
  /** The thread the server notifies, and whether a notification waits for it to receive. */
  private netHandler = L.NILTHREAD;
  private netPending = false;
  /** Inside a call to the server (a system call: the trap reschedules after it). */
  private inNetCall = false;
  /** The NIC's BAR1 page once the server owns it: σ0 then refuses it. */
  nicPage = -1;

  /** The network server's side of a call from `t`: connect (rings and the thread to notify) or kick. */
  netServerCall(t: Thread): void {
    const mr0 = this.utcbRead(t, L.UTCB_MR), label = L.tagLabel(mr0);
    if (!t.space.privileged) throw new L4Stop(`network server: thread ${hex(t.tid)} is not in the privileged task`);
    // The call and its reply, to and from the server's own space.
    this.charge(2 * this.costs.l4_ipc_one_way, 'l4 net server ipc');
    this.count('other');
    if (label === L.LABEL_NET_KICK) {
      if (!this.netback) throw new L4Stop(`network server: thread ${hex(t.tid)} kicked it before connecting`);
      this.inNetCall = true;
      try { this.netback.kick(); } finally { this.inNetCall = false; }
      this.utcbWrite(t, L.UTCB_MR, L.tag(0, 0, 0));
      this.ipc.finish(t, L.NETSERVER, 0);
      return;
    }
    if (label !== L.LABEL_NET_CONNECT || L.tagU(mr0) !== 3) {
      throw new L4Stop(`network server: thread ${hex(t.tid)} sent tag ${hex(mr0)}; it understands label 0xff90 with u = 3 and 0xff91`);
    }
    const nic = this.machine.nic;
    if (!nic || nic.bar1 === null) throw new L4Stop('network server: the machine has no NIC');
    if (this.netback) throw new L4Stop('network server: connected twice');
    const tx = this.utcbRead(t, L.UTCB_MR + 4) >>> 0, rx = this.utcbRead(t, L.UTCB_MR + 8) >>> 0;
    for (const a of [tx, rx]) {
      if (a % L.PAGE !== 0 || a >= this.physEnd) throw new L4Stop(`network server: ring page ${hex(a)} is not a page of physical memory`);
    }
    this.netHandler = this.utcbRead(t, L.UTCB_MR + 12) >>> 0;
    const p = this.machine.profile;
    this.netback = new NetBack({
      ram: this.machine.bus.ram,
      domainEnd: this.physEnd,
      time: new TimeBase(this.machine.clock, p.cpuMhz),
      charge: (n, op) => this.charge(n, op),
      notifyGuest: () => this.netNotify(),
      dmaWritten: (a, n) => this.cpu.dmaWritten(a, n),
      crash: (m) => this.crash(m),
    }, {
      kick: 0,                                   // the call and reply are charged above
      // Frames arriving: the server's NIC interrupt, delivered to it as interrupt IPC.
      activation: this.cpu.costs.hw_interrupt_entry + this.costs.l4_irq_ipc,
      perFrame: this.costs.l4_netserver_frame,
      busCyclesPerKib: this.cpu.costs.bus_cycles_per_kib,
      ops: { kick: 'l4 net server ipc', activation: 'l4 net server interrupt', tx: 'l4 net server tx', rx: 'l4 net server rx' },
    }, nic.takeLink(), nic.mac, tx, rx);
    this.stats.netserver = this.netback.stats;
    this.nicPage = nic.bar1 / L.PAGE;
    const m = nic.mac;
    this.utcbWrite(t, L.UTCB_MR, L.tag(0, 0, 3));
    this.utcbWrite(t, L.UTCB_MR + 4, (m[0]! | m[1]! << 8 | m[2]! << 16 | m[3]! << 24) >>> 0);
    this.utcbWrite(t, L.UTCB_MR + 8, m[4]! | m[5]! << 8);
    this.utcbWrite(t, L.UTCB_MR + 12, nic.irq ?? 0xffffffff);
    this.ipc.finish(t, L.NETSERVER, 0);
  }

  /** The server notifies its handler: a message now if it is receiving from it, else when it next does. */
  private netNotify(): void {
    const h = this.thread(this.netHandler);
    if (!h) return;
    if (h.state === 'receiving' && !h.fault && (h.partner === L.ANYTHREAD || h.partner === L.NETSERVER)) {
      this.deliverNetEvent(h);
      if (!this.inNetCall) this.afterEvent(true);   // from a clock event: the handler may preempt
    } else {
      this.netPending = true;
    }
  }

  private deliverNetEvent(h: Thread): void {
    this.netPending = false;
    this.charge(this.costs.l4_ipc_one_way, 'l4 net server notification');
    this.count('other');
    this.utcbWrite(h, L.UTCB_MR, L.tag(L.LABEL_NET_EVENT, 0, 0));
    this.ipc.finish(h, L.NETSERVER, 0);
  }

  /** A receive by `t` that takes the server's waiting notification (true: delivered). */
  netEventFor(t: Thread, from: number): boolean {
    if (!this.netPending || t.tid !== this.netHandler || (from !== L.ANYTHREAD && from !== L.NETSERVER)) return false;
    t.state = 'receiving';
    t.partner = from;
    this.deliverNetEvent(t);
    return true;
  }

  /** Is the thread on the CPU one of the privileged task's? */
  inPrivilegedTask(): boolean {
    return this.onCpu !== null && this.onCpu.space === this.privileged;
  }
}
