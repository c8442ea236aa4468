// The seams of the emulator: what the CPU needs from the rest of the machine, what the machine
// needs from the CPU, and what a device is given (its interrupt line, its DMA). The CPU
// (emulator/cpu/) knows nothing of devices; devices (emulator/devices/) know nothing of the CPU;
// emulator/machine.ts wires them together. The device's registers are bus.ts's MmioDevice and
// PortDevice, its clock clock.ts's Scheduler.

/** Sizes of a memory or port access in bytes. */
export type AccessSize = 1 | 2 | 4;

/**
 * The physical address space and the I/O port space as the CPU sees them.
 * RAM is exposed directly so the CPU's hot paths can index it without a call; everything
 * at or above `ram.length` (and any hole the machine declares) goes through mmioRead/mmioWrite,
 * which return all-ones and ignore writes where no device answers.
 */
export interface Bus {
  readonly ram: Uint8Array;
  mmioRead(addr: number, size: AccessSize): number;
  mmioWrite(addr: number, size: AccessSize, value: number): void;
  ioRead(port: number, size: AccessSize): number;
  ioWrite(port: number, size: AccessSize, value: number): void;
}

/** The interrupt controller as the CPU sees it (the 8259A pair's INTR output and INTA cycle). */
export interface InterruptController {
  /** True while the controller asserts INTR. */
  pending(): boolean;
  /** The INTA cycle: returns the vector to deliver and updates the controller's state. */
  acknowledge(): number;
}

/** One input of the interrupt controller (a PIC line) as a device drives it; level-triggered. */
export interface IrqLine {
  raise(): void;
  lower(): void;
}

/**
 * Bus-master access to guest physical memory. Every call is bounds-checked: an address that
 * does not name guest RAM returns false (reads) and changes nothing; the device turns that
 * into a device error (a PCI master abort), never a host exception.
 */
export interface DmaMemory {
  /** Copies len bytes at guest address addr into dst[dstOff..]; false if out of RAM. */
  read(addr: number, dst: Uint8Array, dstOff: number, len: number): boolean;
  /** Copies src[srcOff..srcOff+len) to guest address addr; false if out of RAM. */
  write(addr: number, src: Uint8Array, srcOff: number, len: number): boolean;
  /** A little-endian 32-bit word at addr, or undefined if out of RAM. */
  read32(addr: number): number | undefined;
  /** Writes a little-endian 32-bit word; false if out of RAM. */
  write32(addr: number, value: number): boolean;
}

/**
 * Cycle costs, one field per instruction or event class, in CPU cycles. Loaded from a cost
 * profile (emulator/profiles/NAME.json) where each figure carries its source or "estimate".
 */
export interface CostTable {
  alu: number;
  load: number;
  store: number;
  branch_taken: number;
  branch_not_taken: number;
  imul: number;
  div: number;
  rep_movs_setup: number;
  rep_per_element: number;
  /** Memory bus time per KiB crossing it: what rep movs/stos pay per byte (see profiles/string-costs.ts). */
  bus_cycles_per_kib: number;
  lea: number;
  shift: number;
  /** adc and sbb (the carry is a dependency). */
  adc: number;
  /** A read that misses both caches: the CPU's first read of a line a device wrote by DMA. */
  l2_miss_to_memory: number;
  locked_rmw_extra: number;
  pushf: number;
  popf: number;
  cli: number;
  sti: number;
  mov_to_sreg: number;
  mov_from_sreg: number;
  rdtsc: number;
  cpuid: number;
  int_n_cross_ring: number;
  int_n_same_ring: number;
  iret_cross_ring: number;
  iret_same_ring: number;
  hw_interrupt_entry: number;
  exception_entry: number;
  mov_cr3: number;
  mov_cr_other: number;
  tlb_miss_refill: number;
  invlpg: number;
  descriptor_table_load: number;
  wbinvd: number;
  port_io: number;
  mmio_read: number;
  mmio_write: number;
  far_transfer: number;
  /** Not cycles: the data TLB's entries (0: unbounded; see cpu/tlb-capacity.ts). */
  dtlb_entries: number;
  /** Not cycles: the instruction TLB's entries (0: unbounded). */
  itlb_entries: number;
}

/** Why Cpu.run returned. */
export type StopReason =
  | 'limit'      // the cycle limit given to run() was reached
  | 'halt'       // hlt executed; the machine advances the clock to the next event
  | 'irq'        // an interrupt line changed and the machine should look at its devices
  | 'shutdown';  // triple fault or an unrecoverable state: see Cpu.shutdownReason
