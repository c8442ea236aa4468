// PCI configuration mechanism #1 through ports 0xcf8/0xcfc: the host bridge, absent slots, and
// a registered device's BAR sizing, decoding, moving and interrupt line, per the PCI spec.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Clock } from '../../emulator/clock.ts';
import { MachineBus, type MmioDevice } from '../../emulator/bus.ts';
import { PciBus, PciDevice } from '../../emulator/devices/pci.ts';
import type { AccessSize } from '../../emulator/types.ts';

function setup() {
  const time = { cycles: 0 };
  const clock = new Clock(time, 2_800_000_000);
  const bus = new MachineBus(16 << 20, clock, { port_io: 0, mmio_read: 0, mmio_write: 0 });
  const irqs: [number, boolean][] = [];
  const level: number[] = [];
  const pci = new PciBus(bus, (line, l) => irqs.push([line, l]), (line) => level.push(line));
  bus.registerPorts(0xcf8, 8, pci, [1, 2, 4]);
  const cfg = (slot: number, reg: number) => 0x80000000 | (slot << 11) | reg;
  const read = (slot: number, reg: number, size: AccessSize = 4) => {
    bus.ioWrite(0xcf8, 4, cfg(slot, reg & 0xfc));
    return bus.ioRead(0xcfc + (reg & 3), size);
  };
  const write = (slot: number, reg: number, v: number, size: AccessSize = 4) => {
    bus.ioWrite(0xcf8, 4, cfg(slot, reg & 0xfc));
    bus.ioWrite(0xcfc + (reg & 3), size, v);
  };
  return { bus, pci, irqs, level, read, write };
}

/** A register file that records what reaches it. */
class Regs implements MmioDevice {
  log: string[] = [];
  mmioRead(offset: number, size: AccessSize): number { this.log.push(`r${size}@${offset}`); return 0x1000 + offset; }
  mmioWrite(offset: number, size: AccessSize, v: number): void { this.log.push(`w${size}@${offset}=${v}`); }
}

test('the address register reads back what was written (mechanism #1 probe)', () => {
  const { bus } = setup();
  bus.ioWrite(0xcf8, 4, 0x80000000);
  assert.is(bus.ioRead(0xcf8, 4), 0x80000000);
});

test('host bridge at 00:00.0: Intel 440FX, class host bridge', () => {
  const { read } = setup();
  assert.is(read(0, 0), 0x12378086);
  assert.is(read(0, 0x08) >>> 8, 0x060000);
  assert.is(read(0, 0x0e, 1) & 0x7f, 0, 'type 0 header');
  assert.is(read(0, 2, 2), 0x1237, 'word access at offset 2');
});

test('absent slots and a disabled address register read all-ones', () => {
  const { bus, read } = setup();
  assert.is(read(5, 0), 0xffffffff);
  bus.ioWrite(0xcf8, 4, 0x00000000);
  assert.is(bus.ioRead(0xcfc, 4), 0xffffffff);
});

test('a registered device gets BAR addresses, decoding, bus mastering and an interrupt line', () => {
  const { bus, pci, read, level } = setup();
  const mem = new Regs(), io = new Regs();
  const dev = new PciDevice('nic', { vendorId: 0x100b, deviceId: 0x0022, classCode: 0x020000, interruptPin: 1 }, [
    { kind: 'io', size: 256, registers: io },
    { kind: 'mem', size: 4096, registers: mem },
  ]);
  const at = pci.register(dev);
  assert.is(at.slot, 1);
  assert.is(read(1, 0), 0x0022100b);
  const bar0 = read(1, 0x10), bar1 = read(1, 0x14);
  assert.is(bar0 & 1, 1, 'I/O BAR');
  assert.is(bar1 & 1, 0, 'memory BAR');
  assert.is(bar1 & 0xfff, 0, 'aligned to its size');
  assert.is(read(1, 0x04, 2) & 7, 7, 'I/O, memory and bus master enabled');
  assert.is(read(1, 0x3d, 1), 1, 'INTA#');
  assert.is(read(1, 0x3c, 1), at.irq);
  assert.equal(level, [at.irq], 'the line is level-triggered');
  assert.is(bus.mmioRead(bar1 + 0x10, 4), 0x1010);
  bus.mmioWrite(bar1 + 0x20, 4, 7);
  assert.is(bus.ioRead((bar0 & ~3) + 4, 2), 0x1004);
  assert.equal(mem.log, ['r4@16', 'w4@32=7']);
  assert.equal(io.log, ['r2@4']);
});

test('BAR sizing: writing all-ones reads back the size mask and type bits', () => {
  const { pci, read, write } = setup();
  const dev = new PciDevice('nic', { vendorId: 1, deviceId: 2, classCode: 0x020000 }, [
    { kind: 'io', size: 256, registers: new Regs() },
    { kind: 'mem', size: 4096, registers: new Regs() },
  ]);
  pci.register(dev, 3);
  write(3, 0x10, 0xffffffff);
  write(3, 0x14, 0xffffffff);
  assert.is(read(3, 0x10), 0xffffff01);
  assert.is(read(3, 0x14), 0xfffff000);
  assert.is(read(3, 0x18), 0, 'unimplemented BAR reads zero');
  write(3, 0x18, 0xffffffff);
  assert.is(read(3, 0x18), 0, 'and stays zero');
});

test('moving a memory BAR moves its decoder; clearing memory enable stops it', () => {
  const { bus, pci, read, write } = setup();
  const regs = new Regs();
  pci.register(new PciDevice('nic', { vendorId: 1, deviceId: 2, classCode: 0x020000 }, [null, { kind: 'mem', size: 4096, registers: regs }]), 2);
  const old = read(2, 0x14);
  write(2, 0x14, 0xfe000000);
  assert.is(read(2, 0x14), 0xfe000000);
  assert.is(bus.mmioRead(old, 4), 0xffffffff, 'old address no longer decodes');
  assert.is(bus.mmioRead(0xfe000004, 4), 0x1004);
  write(2, 0x04, 0x0000, 2);
  assert.is(bus.mmioRead(0xfe000004, 4), 0xffffffff, 'memory decode disabled');
});

test('device interrupt reaches the routed PIC line; read-only fields ignore writes', () => {
  const { pci, irqs, read, write } = setup();
  const dev = new PciDevice('nic', { vendorId: 0x100b, deviceId: 0x0022, classCode: 0x020000, interruptPin: 1 });
  const at = pci.register(dev);
  dev.setIrq(true);
  assert.equal(irqs, [[at.irq!, true]]);
  write(at.slot, 0, 0x12345678);
  assert.is(read(at.slot, 0), 0x0022100b);
  write(at.slot, 0x3c, 5, 1);
  assert.is(read(at.slot, 0x3c, 1), 5, 'interrupt line is a scratch register for software');
});

test.run();
