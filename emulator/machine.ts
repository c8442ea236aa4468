// The PC around the CPU: RAM, the 8259A pair, the 8254, the CMOS RTC, COM1, PCI configuration space
// and the debug-exit port on one bus, a cycle clock with an event queue, and the loop that runs the CPU
// between device events. Guest time is cycles only; `hlt` jumps to the next event and those
// cycles count as idle. Nothing here reads the host clock, so a run is a pure function of its
// inputs: the same kernel, modules, options and profile give the same bytes and statistics.
import type { LinkPort } from './net/seams.ts';
import type { AccessSize, Bus, CostTable, InterruptController, StopReason } from './types.ts';
import { Cpu } from './cpu/cpu.ts';
import type { CpuStats } from './cpu/stats.ts';
import type { CycleLedger } from './cpu/cycle-ledger.ts';
import { Clock, type TimeSource } from './clock.ts';
import { MachineBus } from './bus.ts';
import { PicPair } from './devices/pic.ts';
import { Pit8254, PIT_CHANNEL0, SYSTEM_CONTROL_B } from './devices/pit.ts';
import { Uart16550, COM1_BASE, COM1_IRQ } from './devices/uart.ts';
import { PciBus, PCI_CONFIG_ADDRESS } from './devices/pci.ts';
import { DebugExit, DEBUG_EXIT_PORT, DEBUG_EXIT_PORTS } from './devices/debug-exit.ts';
import { CmosRtc, RTC_INDEX_PORT, RTC_PORTS } from './devices/rtc.ts';
import { loadMultiboot, MULTIBOOT_BOOTLOADER_MAGIC, BootError, type BootModule, type BootResult } from './boot.ts';
import { isLinuxBzImage, loadLinux } from './boot-linux.ts';
import type { Profile } from './profiles/load.ts';
import { traceLine } from './trace.ts';

/** The machine's NIC as a hypervisor's driver domain sees it (attached by emulator/net/attach.ts). */
export interface NicAttachment {
  /** Unplugs the NIC from its wire end and returns that end. */
  takeLink(): LinkPort;
  /** Its station address (the EEPROM's). */
  mac: Uint8Array;
  /** BAR1's bus address and the interrupt line the PCI bus routed, when assigned. */
  bar1: number | null;
  irq: number | null;
}

/** What the machine needs of the CPU: the contract of emulator/cpu/cpu.ts, plus EFLAGS to see IF. */
export interface MachineCpu {
  cycles: number;
  halted: boolean;
  shutdownReason: string;
  stats: CpuStats;
  /** Non-lazy EFLAGS bits; IF (bit 9) is never lazy. */
  flags: number;
  /** The current instruction's EIP (set before any access that may fault, so during a device
   *  access it names the accessing instruction). */
  readonly eip: number;
  /** Where the cycles go by category (cpu/cycle-ledger.ts); the machine gives it the clock's idle count. */
  ledger: CycleLedger;
  resetForMultiboot(entry: number, eax: number, ebx: number): void;
  /** Linux's 32-bit boot protocol entry (emulator/boot-linux.ts). */
  resetForLinux?(entry: number, bootParams: number): void;
  run(cycleLimit: number, instructionLimit?: number): StopReason;
  notifyIrq(): void;
  invalidateCode(physAddr: number, length: number): void;
  /** A device's DMA wrote guest memory (decoded code dropped, lines cache-cold); invalidateCode if absent. */
  dmaWritten?(physAddr: number, length: number): void;
  dumpState(): string;
  /** Whether a CR3 load keeps global pages' TLB entries (the profile's mechanisms.global_pages). */
  keepGlobalPages?: boolean;
}

export type CpuFactory = (bus: Bus, intr: InterruptController, costs: CostTable) => MachineCpu;

const EFLAGS_IF = 0x200;
/** Longest stretch the CPU runs without coming back, so serial output streams and traces interleave. */
const SLICE_CYCLES = 1 << 26;
export const MIN_MEM = 2 << 20;
export const MAX_MEM = 3 * 1024 ** 3; // below the PCI window at 0xfeb00000 and the 4 GiB top

export interface MachineOptions {
  memBytes: number;
  profile: Profile;
  /** Receives the guest's serial output as it is produced (in chunks). */
  serial?: (bytes: Uint8Array) => void;
  /** Builds the CPU; defaults to emulator/cpu's Cpu. Tests may substitute one. */
  createCpu?: CpuFactory;
}

/** Why a run ended. `exit` is a write to the debug-exit port; everything else is abnormal. */
export type MachineStop =
  | { kind: 'exit'; value: number }
  | { kind: 'shutdown'; detail: string; /** The CPU's register dump at the stop. */ dump: string }
  | { kind: 'halted'; detail: string }
  | { kind: 'budget'; detail: string };

export interface RunOptions {
  /** Stop after this many instructions retired. */
  maxInstructions?: number;
  /** Receives one line per instruction: cycle, CS:EIP, instruction bytes, registers (see trace.ts). */
  trace?: (line: string) => void;
  /** At most this many trace lines (default 100,000); tracing then stops, the run goes on. */
  traceLimit?: number;
}

export class Machine {
  readonly clock: Clock;
  readonly bus: MachineBus;
  readonly pic = new PicPair();
  readonly pit: Pit8254;
  readonly uart: Uart16550;
  readonly pci: PciBus;
  readonly debugExit: DebugExit;
  readonly rtc: CmosRtc;
  readonly cpu: MachineCpu;
  readonly profile: Profile;
  /**
   * What the CPU's INTR line reads: the PIC by default. A hypervisor model replaces it to take
   * the PIC's interrupts itself and to ask for the CPU when it has an event for the guest.
   */
  interrupts: InterruptController;
  /**
   * Set by a hypervisor back-end: bus masters (the NIC) may reach RAM only below `end`; an access
   * above stops the run with a message starting with `owner`.
   */
  dmaLimit: { end: number; owner: string } | null = null;
  /**
   * The DP83820 the network plugged in (emulator/net/attach.ts): where its BAR1 and interrupt line
   * are, and its end of the wire, for a hypervisor whose driver domain takes it over.
   */
  nic: NicAttachment | null = null;
  private serialChunks: number[] = [];
  private serialAll: Uint8Array[] = [];
  private stop: MachineStop | null = null;
  private running = false;

  constructor(private opts: MachineOptions) {
    const mem = opts.memBytes;
    if (!Number.isSafeInteger(mem) || mem < MIN_MEM || mem > MAX_MEM || mem % 4096 !== 0) {
      throw new RangeError(`memory size ${mem} must be a multiple of 4 KiB between ${MIN_MEM >> 20} MiB and ${MAX_MEM >> 20} MiB`);
    }
    this.profile = opts.profile;
    const costs = opts.profile.costs;
    // The clock reads and charges the CPU's own cycle counter (the CPU is built after the bus, so
    // the time source forwards to it).
    let cpuRef: MachineCpu | null = null;
    const time: TimeSource = {
      get cycles() { return cpuRef ? cpuRef.cycles : 0; },
      set cycles(v: number) { if (cpuRef) cpuRef.cycles = v; },
    };
    this.clock = new Clock(time, Math.round(opts.profile.cpuMhz * 1e6));
    // The CPU charges port_io (Cpu.portIn/portOut) and mmio_read/mmio_write (its MMIO path) to
    // its own cycle counter, which is the clock, so the bus adds nothing on top.
    this.bus = new MachineBus(mem, this.clock, { port_io: 0, mmio_read: 0, mmio_write: 0 });
    this.pit = new Pit8254(this.clock, () => this.pic.pulseIrq(0));
    this.uart = new Uart16550(COM1_BASE, (b) => this.serialByte(b), (level) => this.pic.setIrq(COM1_IRQ, level));
    this.pci = new PciBus(this.bus, (line, level) => this.pic.setIrq(line, level), (line) => this.pic.setLevelTriggered(line));
    this.debugExit = new DebugExit((value) => this.requestStop({ kind: 'exit', value }));
    this.bus.registerPorts(0x20, 2, this.pic);
    this.bus.registerPorts(0xa0, 2, this.pic);
    this.bus.registerPorts(0x4d0, 2, this.pic);
    this.bus.registerPorts(PIT_CHANNEL0, 4, this.pit);
    this.bus.registerPorts(SYSTEM_CONTROL_B, 1, this.pit);
    this.bus.registerPorts(COM1_BASE, 8, this.uart);
    this.bus.registerPorts(PCI_CONFIG_ADDRESS, 8, this.pci, [1, 2, 4]);
    this.bus.registerPorts(DEBUG_EXIT_PORT, DEBUG_EXIT_PORTS, this.debugExit, [1, 2, 4]);
    this.rtc = new CmosRtc(this.clock);
    this.bus.registerPorts(RTC_INDEX_PORT, RTC_PORTS, this.rtc);
    const create = opts.createCpu ?? ((bus, intr, c) => new Cpu(bus, intr, c) as unknown as MachineCpu);
    // Once the machine has stopped (debug-exit written), INTR reads low so the CPU takes no
    // interrupt at the boundary where it returns.
    this.interrupts = { pending: () => this.pic.pending(), acknowledge: () => this.pic.acknowledge() };
    const intr: InterruptController = {
      pending: () => this.stop === null && this.interrupts.pending(),
      acknowledge: () => this.interrupts.acknowledge(),
    };
    this.cpu = create(this.bus, intr, costs);
    if (!opts.profile.mechanisms.global_pages) this.cpu.keepGlobalPages = false;
    cpuRef = this.cpu;
    this.cpu.ledger.idle = this.clock;
    this.bus.onRamWritten = (addr, length) => this.cpu.invalidateCode(addr, length);
    this.pic.onChange = () => this.cpu.notifyIrq();
    // A device that schedules an event sooner than the CPU's current run limit makes it come back.
    this.clock.onEarlierEvent = () => {
      if (this.running) this.cpu.notifyIrq();
    };
  }

  /**
   * Loads a multiboot kernel (and modules) and sets the CPU up as a multiboot loader leaves it;
   * a Linux bzImage (told by its setup header) is loaded by the Linux boot protocol instead, with
   * `append` as its whole command line and `initrd` as its initramfs.
   */
  boot(image: Uint8Array, kernelName: string, append?: string, modules: BootModule[] = [], initrd?: Uint8Array): BootResult {
    if (isLinuxBzImage(image)) {
      if (modules.length > 0) throw new BootError(`${kernelName}: a Linux bzImage takes an initrd, not multiboot modules`);
      if (!this.cpu.resetForLinux) throw new BootError(`${kernelName}: this CPU model cannot enter a Linux kernel`);
      const linux = loadLinux(this.bus.ram, image, { kernelName, cmdline: append, initrd });
      this.cpu.resetForLinux(linux.entry, linux.bootParams);
      return linux;
    }
    if (initrd) throw new BootError(`${kernelName}: an initrd needs a Linux bzImage; a multiboot kernel takes modules`);
    const result = loadMultiboot(this.bus.ram, image, { kernelName, append, modules });
    this.cpu.resetForMultiboot(result.entry, MULTIBOOT_BOOTLOADER_MAGIC, result.infoAddr);
    return result;
  }

  /** Runs until the guest writes the debug-exit port or stops otherwise. */
  run(opts: RunOptions = {}): MachineStop {
    const budget = opts.maxInstructions ?? Infinity;
    const cpu = this.cpu;
    let traceLeft = opts.trace ? opts.traceLimit ?? 100_000 : 0;
    this.running = true;
    try {
      for (;;) {
        this.clock.runDue();
        this.flushSerial();
        if (this.stop) return this.stop;
        const retired = cpu.stats.instructions;
        if (retired >= budget) return this.finish({ kind: 'budget', detail: `instruction budget of ${budget} spent` });
        if (cpu.halted) {
          if (!(cpu.flags & EFLAGS_IF)) {
            return this.finish({ kind: 'halted', detail: `hlt with interrupts disabled at cycle ${cpu.cycles}: nothing can wake the CPU` });
          }
          if (!this.interrupts.pending()) {
            const next = this.clock.nextEventAt();
            if (next === Infinity) {
              return this.finish({ kind: 'halted', detail: `hlt at cycle ${cpu.cycles} with no interrupt pending and no device event scheduled` });
            }
            this.clock.idleUntil(next);
            continue;
          }
        }
        const limit = Math.min(this.clock.nextEventAt(), cpu.cycles + SLICE_CYCLES);
        const left = budget - retired;
        let reason: StopReason;
        if (traceLeft > 0) {
          if (!cpu.halted) opts.trace!(traceLine(cpu, this.bus.ram));
          reason = cpu.run(limit, 1);
          if (--traceLeft === 0) opts.trace!(`trace limit reached at instruction ${cpu.stats.instructions}; tracing stopped`);
        } else {
          reason = left === Infinity ? cpu.run(limit) : cpu.run(limit, left);
        }
        if (reason === 'shutdown') {
          this.clock.runDue();
          const [first, ...rest] = (cpu.shutdownReason || 'the CPU shut down').split('\n');
          return this.finish(this.stop ?? { kind: 'shutdown', detail: first!, dump: rest.join('\n') });
        }
      }
    } finally {
      this.running = false;
      this.flushSerial();
    }
  }

  /**
   * Ends the run from outside the guest (a workload's guest-time limit, scheduled on the clock):
   * the CPU comes back at the next instruction boundary and run() returns a 'budget' stop.
   */
  abort(detail: string): void {
    this.requestStop({ kind: 'budget', detail });
  }

  /** Every byte the guest sent to COM1 so far. */
  serialOutput(): Uint8Array {
    this.flushSerial();
    return Buffer.concat(this.serialAll);
  }

  /** Stops the run from outside the guest (a hypervisor shutting the domain down or crashing it). */
  halt(stop: MachineStop): void {
    this.requestStop(stop);
  }

  /** Bytes a hypervisor's console writes to the serial stream (Xen's console on COM1), after the guest's own. */
  consoleWrite(bytes: Uint8Array): void {
    for (const b of bytes) this.serialByte(b);
  }

  private finish(stop: MachineStop): MachineStop {
    this.stop = stop;
    return stop;
  }

  private requestStop(stop: MachineStop): void {
    if (this.stop) return;
    this.stop = stop;
    // Make a running CPU come back at the next instruction boundary.
    this.cpu.notifyIrq();
  }

  private serialByte(b: number): void {
    if (this.stop) return; // nothing leaves the machine after it stopped
    this.serialChunks.push(b);
  }

  private flushSerial(): void {
    if (this.serialChunks.length === 0) return;
    const chunk = Uint8Array.from(this.serialChunks);
    this.serialChunks = [];
    this.serialAll.push(chunk);
    this.opts.serial?.(chunk);
  }
}

/** Access sizes in one place for callers that drive the bus directly. */
export type { AccessSize };
