// PCI configuration space through configuration mechanism #1 (address register at 0xcf8, data
// window at 0xcfc-0xcff), one bus. Slot 0 holds the host bridge (an Intel 440FX, as QEMU's pc
// machine has); later devices (the DP83820 NIC) register with BARs and an interrupt pin. There is
// no BIOS, so registration does what firmware would: it assigns each BAR an address, enables
// decoding, routes the pin to a PIC line (PIRQ A-D -> IRQ 10, 10, 11, 11 as SeaBIOS programs
// QEMU's PIIX), marks that line level-triggered in the ELCR and writes it into the interrupt line
// register. The guest may move BARs afterwards; the address maps follow.
import type { AccessSize } from '../types.ts';
import type { MachineBus, MmioDevice, PortDevice } from '../bus.ts';

export const PCI_CONFIG_ADDRESS = 0xcf8;
export const PCI_CONFIG_DATA = 0xcfc;

// Type 0 header offsets.
export const PCI_VENDOR_ID = 0x00;
export const PCI_DEVICE_ID = 0x02;
export const PCI_COMMAND = 0x04;
export const PCI_STATUS = 0x06;
export const PCI_REVISION = 0x08;
export const PCI_CLASS_PROG = 0x09;
export const PCI_CACHE_LINE_SIZE = 0x0c;
export const PCI_LATENCY_TIMER = 0x0d;
export const PCI_HEADER_TYPE = 0x0e;
export const PCI_BAR0 = 0x10;
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
export const PCI_SUBSYSTEM_ID = 0x2e;
export const PCI_INTERRUPT_LINE = 0x3c;
export const PCI_INTERRUPT_PIN = 0x3d;

export const PCI_COMMAND_IO = 0x0001;
export const PCI_COMMAND_MEMORY = 0x0002;
export const PCI_COMMAND_MASTER = 0x0004;
const PCI_COMMAND_WRITABLE = 0x0547; // io, memory, master, parity, SERR, INTx disable
const PCI_BAR_IO = 0x1;

/** Where firmware-style BAR assignment starts (QEMU's pc puts small BARs just below the 4 GiB top too). */
const MEM_WINDOW_BASE = 0xfeb00000;
const MEM_WINDOW_END = 0xfec00000; // the IO-APIC lives above
const IO_WINDOW_BASE = 0xc000;
const IO_WINDOW_END = 0x10000;
/** PIRQ A-D routed to these PIC lines. */
const PIRQ_TO_IRQ = [10, 10, 11, 11];

/** One base address register: its kind, its size (a power of two) and the registers behind it. */
export interface PciBar {
  kind: 'mem' | 'io';
  size: number;
  /** Offset-addressed registers; for an I/O BAR, `offset` is the port minus the BAR base. */
  registers: MmioDevice;
}

export interface PciIdentity {
  vendorId: number;
  deviceId: number;
  /** Class code, subclass and programming interface: 0xCCSSPP. */
  classCode: number;
  revision?: number;
  subsystemVendorId?: number;
  subsystemId?: number;
  /** INTx pin: 1 = INTA# ... 4 = INTD#, 0 = none. */
  interruptPin?: number;
  /** The memory BARs the function asks for, by index: size in bytes (a power of two). */
  memoryBars?: { index: number; size: number }[];
}

/**
 * A PCI function's configuration space. Devices subclass it (or use it as is) and override
 * `readDeviceConfig`/`writeDeviceConfig` for registers at 0x40 and above.
 */
export class PciDevice {
  readonly config = new Uint8Array(256);
  /** Writable bits per config byte; BAR sizing falls out of it (write ones, read back the mask). */
  readonly writable = new Uint8Array(256);
  readonly bars: (PciBar | null)[] = [null, null, null, null, null, null];
  /** Set by the bus at registration: drives this function's interrupt line. */
  setIrq: (level: boolean) => void = () => {};
  /** Set by the bus: re-maps BARs after the guest changes a BAR or the command register. */
  onMappingChange: () => void = () => {};

  constructor(readonly name: string, id: PciIdentity, bars: (PciBar | null)[] = []) {
    const c = this.config;
    put16(c, PCI_VENDOR_ID, id.vendorId);
    put16(c, PCI_DEVICE_ID, id.deviceId);
    c[PCI_REVISION] = id.revision ?? 0;
    c[PCI_CLASS_PROG] = id.classCode & 0xff;
    c[PCI_CLASS_PROG + 1] = (id.classCode >> 8) & 0xff;
    c[PCI_CLASS_PROG + 2] = (id.classCode >> 16) & 0xff;
    put16(c, PCI_SUBSYSTEM_VENDOR_ID, id.subsystemVendorId ?? 0);
    put16(c, PCI_SUBSYSTEM_ID, id.subsystemId ?? 0);
    c[PCI_INTERRUPT_PIN] = id.interruptPin ?? 0;
    put16(this.writable, PCI_COMMAND, PCI_COMMAND_WRITABLE);
    this.writable[PCI_CACHE_LINE_SIZE] = 0xff;
    this.writable[PCI_LATENCY_TIMER] = 0xff;
    this.writable[PCI_INTERRUPT_LINE] = 0xff;
    bars.forEach((bar, i) => {
      if (!bar) return;
      if (i > 5) throw new Error(`pci ${name}: a type 0 header has BARs 0-5, not ${i}`);
      const min = bar.kind === 'mem' ? 16 : 4;
      if (bar.size < min || (bar.size & (bar.size - 1)) !== 0 || bar.size > 0x80000000) {
        throw new Error(`pci ${name}: BAR${i} size ${bar.size} must be a power of two of at least ${min} bytes`);
      }
      this.bars[i] = bar;
      const mask = (~(bar.size - 1) & (bar.kind === 'mem' ? 0xfffffff0 : 0xfffffffc)) >>> 0;
      put32(this.writable, PCI_BAR0 + 4 * i, mask);
      put32(this.config, PCI_BAR0 + 4 * i, bar.kind === 'io' ? PCI_BAR_IO : 0);
    });
  }

  /** The BAR's decoded base address (type bits stripped). */
  barAddress(i: number): number {
    const v = get32(this.config, PCI_BAR0 + 4 * i);
    return (this.bars[i]?.kind === 'io' ? v & 0xfffffffc : v & 0xfffffff0) >>> 0;
  }

  command(): number {
    return get16(this.config, PCI_COMMAND);
  }

  readConfig(offset: number, size: AccessSize): number {
    if (offset >= 0x40) return this.readDeviceConfig(offset, size);
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.config[offset + i]! << (8 * i);
    return v >>> 0;
  }

  writeConfig(offset: number, size: AccessSize, value: number): void {
    if (offset >= 0x40) {
      this.writeDeviceConfig(offset, size, value);
      return;
    }
    let remap = false;
    for (let i = 0; i < size; i++) {
      const o = offset + i;
      const w = this.writable[o]!;
      this.config[o] = (this.config[o]! & ~w) | ((value >>> (8 * i)) & w);
      if ((o >= PCI_COMMAND && o < PCI_COMMAND + 2) || (o >= PCI_BAR0 && o < PCI_BAR0 + 24)) remap = true;
    }
    if (remap) this.onMappingChange();
  }

  /** Device-specific configuration registers (0x40-0xff): none by default. */
  protected readDeviceConfig(_offset: number, _size: AccessSize): number {
    return 0;
  }

  protected writeDeviceConfig(_offset: number, _size: AccessSize, _value: number): void {}
}

/** The 440FX host bridge at 00:00.0, identified as QEMU's pc machine reports it. */
export function hostBridge(): PciDevice {
  return new PciDevice('host bridge', { vendorId: 0x8086, deviceId: 0x1237, classCode: 0x060000, revision: 0x02 });
}

/** Where a registered function ended up. */
export interface PciSlot {
  slot: number;
  irq: number | null;
  bars: (number | null)[];
}

interface Mapped {
  kind: 'mem' | 'io';
  base: number;
  handle: MmioDevice | PortDevice;
}

/** PCI bus 0 with configuration mechanism #1. */
export class PciBus implements PortDevice {
  /** The configuration address register (0xcf8). */
  address = 0;
  private slots: (PciDevice | null)[] = new Array<PciDevice | null>(32).fill(null);
  private mapped = new Map<PciDevice, Mapped[]>();
  private nextMem = MEM_WINDOW_BASE;
  private nextIo = IO_WINDOW_BASE;

  /**
   * `bus` carries the BAR mappings; `routeIrq(line, level)` drives a PIC input and
   * `setLevelTriggered(line)` marks it level-triggered in the ELCR.
   */
  constructor(
    private bus: MachineBus,
    private routeIrq: (line: number, level: boolean) => void,
    private setLevelTriggered: (line: number) => void,
  ) {
    this.register(hostBridge(), 0);
  }

  /**
   * Plugs `dev` into `slot` (default: the first free one), assigns its BARs and interrupt line as
   * firmware would, and enables its decoders (and bus mastering, which a NIC needs for DMA).
   */
  register(dev: PciDevice, slot?: number): PciSlot {
    const s = slot ?? this.slots.findIndex((d) => d === null);
    if (s < 0 || s > 31) throw new Error(`pci: no free slot for ${dev.name}`);
    if (this.slots[s]) throw new Error(`pci: slot ${s} is taken by ${this.slots[s]!.name}`);
    this.slots[s] = dev;
    const bars: (number | null)[] = [];
    let command = 0;
    dev.bars.forEach((bar, i) => {
      if (!bar) {
        bars.push(null);
        return;
      }
      const base = this.allocate(bar, dev.name);
      put32(dev.config, PCI_BAR0 + 4 * i, base | (bar.kind === 'io' ? PCI_BAR_IO : 0));
      command |= bar.kind === 'io' ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
      bars.push(base);
    });
    let irq: number | null = null;
    const pin = dev.config[PCI_INTERRUPT_PIN]!;
    if (pin >= 1 && pin <= 4) {
      const line = PIRQ_TO_IRQ[(s + pin - 1) & 3]!;
      irq = line;
      dev.config[PCI_INTERRUPT_LINE] = line;
      this.setLevelTriggered(line);
      dev.setIrq = (level) => this.routeIrq(line, level);
    }
    if (s !== 0) command |= PCI_COMMAND_MASTER;
    put16(dev.config, PCI_COMMAND, dev.command() | command);
    dev.onMappingChange = () => this.remap(dev);
    this.remap(dev);
    return { slot: s, irq, bars };
  }

  device(slot: number): PciDevice | null {
    return this.slots[slot] ?? null;
  }

  ioRead(port: number, size: AccessSize): number {
    if (port >= PCI_CONFIG_ADDRESS && port < PCI_CONFIG_ADDRESS + 4) {
      // Only dword accesses reach the address register; narrower ones are not decoded here.
      return port === PCI_CONFIG_ADDRESS && size === 4 ? this.address >>> 0 : ones(size);
    }
    const target = this.target(port);
    if (!target) return ones(size);
    return target.dev.readConfig(target.offset, size);
  }

  ioWrite(port: number, size: AccessSize, value: number): void {
    if (port >= PCI_CONFIG_ADDRESS && port < PCI_CONFIG_ADDRESS + 4) {
      if (port === PCI_CONFIG_ADDRESS && size === 4) this.address = (value & 0x80fffffc) >>> 0;
      return;
    }
    const target = this.target(port);
    if (target) target.dev.writeConfig(target.offset, size, value);
  }

  /** The function and register a data-window access at `port` addresses, if any answers. */
  private target(port: number): { dev: PciDevice; offset: number } | null {
    const a = this.address;
    if (!(a & 0x80000000)) return null;
    const busNo = (a >>> 16) & 0xff, slot = (a >>> 11) & 0x1f, fn = (a >>> 8) & 7;
    if (busNo !== 0 || fn !== 0) return null;
    const dev = this.slots[slot];
    if (!dev) return null;
    return { dev, offset: (a & 0xfc) + (port - PCI_CONFIG_DATA) };
  }

  private allocate(bar: PciBar, name: string): number {
    if (bar.kind === 'mem') {
      const base = align(this.nextMem, bar.size);
      if (base + bar.size > MEM_WINDOW_END) throw new Error(`pci: no room in the MMIO window for ${name}'s ${bar.size}-byte BAR`);
      this.nextMem = base + bar.size;
      return base;
    }
    const base = align(this.nextIo, bar.size);
    if (base + bar.size > IO_WINDOW_END) throw new Error(`pci: no room in the I/O window for ${name}'s ${bar.size}-port BAR`);
    this.nextIo = base + bar.size;
    return base;
  }

  /** Rebuilds `dev`'s address decoders from its BARs and command register. */
  private remap(dev: PciDevice): void {
    for (const m of this.mapped.get(dev) ?? []) {
      if (m.kind === 'mem') this.bus.unmapMmio(m.handle as MmioDevice);
      else this.bus.unregisterPorts(m.handle as PortDevice);
    }
    const now: Mapped[] = [];
    const cmd = dev.command();
    dev.bars.forEach((bar, i) => {
      if (!bar) return;
      const base = dev.barAddress(i);
      if (base === 0) return;
      if (bar.kind === 'mem') {
        if (!(cmd & PCI_COMMAND_MEMORY) || base + bar.size > 0x100000000) return;
        const regs = bar.registers;
        // A fresh object per mapping so unmapping removes exactly this BAR's region.
        const handle: MmioDevice = {
          mmioRead: (o, s) => regs.mmioRead(o, s),
          mmioWrite: (o, s, v) => regs.mmioWrite(o, s, v),
        };
        // A BAR the guest parked over RAM or another device (e.g. mid-sizing) decodes nothing.
        if (this.bus.tryMapMmio(base, bar.size, handle, `${dev.name} BAR${i}`)) now.push({ kind: 'mem', base, handle });
      } else {
        if (!(cmd & PCI_COMMAND_IO) || base + bar.size > 0x10000) return;
        const regs = bar.registers;
        const handle: PortDevice = {
          ioRead: (p, s) => regs.mmioRead(p - base, s),
          ioWrite: (p, s, v) => regs.mmioWrite(p - base, s, v),
        };
        if (this.bus.tryRegisterPorts(base, bar.size, handle, [1, 2, 4])) now.push({ kind: 'io', base, handle });
      }
    });
    this.mapped.set(dev, now);
  }
}

function ones(size: AccessSize): number {
  return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
}

function align(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >> 8) & 0xff;
}

function put32(b: Uint8Array, o: number, v: number): void {
  for (let i = 0; i < 4; i++) b[o + i] = (v >>> (8 * i)) & 0xff;
}

function get16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

function get32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
