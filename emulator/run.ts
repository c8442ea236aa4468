// The one way to start a machine: a profile, a Machine, a setup hook that plugs in devices (the
// network attaches here), and the back-end that loads the guest (hardware, xen or l4). startMachine
// stops there, so a workload can schedule its own events and drive the run (harness/workloads/);
// runKernel goes on to run to the end and returns the exit value, the reason, the serial bytes and
// the statistics. `world boot` is a thin command-line shell over runKernel.
import { Machine, type MachineStop, type CpuFactory } from './machine.ts';
import { machineStats, type MachineStats } from './stats.ts';
import { loadProfile, DEFAULT_PROFILE, type Profile } from './profiles/load.ts';
import type { BootModule, BootResult } from './boot.ts';
import type { ElfSymbol } from './hypervisors/elf.ts';
import { bootOnBackend, type Backend, type BackendName, type BackendStats } from './hypervisors/hypervisor.ts';

export interface StartOptions {
  /** The multiboot kernel image (ELF). */
  elf: Uint8Array;
  /** First word of the kernel's command line, as QEMU passes the kernel path (default "kernel"). */
  kernelName?: string;
  /** RAM size in bytes (default 256 MiB). */
  mem?: number;
  /** A Profile, or a bundled profile name / .json path (default p4-2.8ghz). */
  profile?: Profile | string;
  /** Appended to the kernel's command line. */
  cmdline?: string;
  modules?: BootModule[];
  /** An initramfs, when `elf` is a Linux bzImage (or a Linux vmlinux under a wedge). */
  initrd?: Uint8Array;
  /** The guest's symbols when its image has none (a bzImage's System.map), for the hole report. */
  symbols?: ElfSymbol[];
  /** Streams serial output as it is produced. */
  serial?: (bytes: Uint8Array) => void;
  createCpu?: CpuFactory;
  /** What runs under the guest (default hardware); see emulator/hypervisors/hypervisor.ts. */
  backend?: BackendName;
  /** The wedge ELF (xen): the domain's kernel, with the guest ELF as its module. */
  wedge?: Uint8Array;
  wedgeName?: string;
  /** Called with the machine before the kernel is loaded: plug in devices (machine.pci.register). */
  setup?: (machine: Machine) => void;
}

export interface StartedMachine {
  machine: Machine;
  profile: Profile;
  backend: Backend;
}

export interface RunKernelOptions extends StartOptions {
  maxInstructions?: number;
  trace?: (line: string) => void;
  traceLimit?: number;
}

export interface RunKernelResult {
  /** The value written to the debug-exit port, or null when the guest stopped otherwise. */
  exitCode: number | null;
  /** One line: why the run ended. */
  reason: string;
  stop: MachineStop;
  serialOutput: Uint8Array;
  stats: MachineStats;
  /** The back-end's own statistics (hypercalls, emulated instructions, holes...). */
  backend: BackendStats;
  /** The multiboot loader's placement (hardware back-end only). */
  boot?: BootResult;
}

export const DEFAULT_MEM = 256 << 20;

/** Builds the machine, runs the setup hook, and boots the guest on its back-end; nothing has run yet. */
export function startMachine(opts: StartOptions): StartedMachine {
  const profile = typeof opts.profile === 'object' ? opts.profile : loadProfile(opts.profile ?? DEFAULT_PROFILE);
  const machine = new Machine({ memBytes: opts.mem ?? DEFAULT_MEM, profile, serial: opts.serial, createCpu: opts.createCpu });
  opts.setup?.(machine);
  const backend = bootOnBackend(machine, {
    backend: opts.backend ?? 'hardware', elf: opts.elf, kernelName: opts.kernelName ?? 'kernel', append: opts.cmdline,
    modules: opts.modules ?? [], initrd: opts.initrd, symbols: opts.symbols, wedge: opts.wedge, wedgeName: opts.wedgeName,
  });
  return { machine, profile, backend };
}

export function runKernel(opts: RunKernelOptions): RunKernelResult {
  const { machine, backend } = startMachine(opts);
  const stop = machine.run({ maxInstructions: opts.maxInstructions, trace: opts.trace, traceLimit: opts.traceLimit });
  return {
    exitCode: stop.kind === 'exit' ? stop.value : null,
    reason: stop.kind === 'exit' ? `guest wrote ${stop.value} to the debug-exit port` : stop.detail,
    stop,
    serialOutput: machine.serialOutput(),
    stats: machineStats(machine, stop),
    backend: backend.stats(),
    ...(backend.boot ? { boot: backend.boot } : {}),
  };
}
