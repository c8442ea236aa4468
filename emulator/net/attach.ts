// Plugs the network (emulator/net/network.ts) into a Machine: the DP83820 becomes a PCI function
// 100B:0022 with its registers in memory BAR1, its interrupt pin drives the PIC line the PCI bus
// routes it to, its DMA goes to the machine's RAM and drops the CPU's decoded code where it
// writes, and the wire and peer keep time on the machine's cycle clock.
import type { Machine } from '../machine.ts';
import { PciDevice, type PciBar, type PciSlot } from '../devices/pci.ts';
import { buildNetwork, type Network, type NetworkOptions } from './network.ts';
import type { IrqLine } from '../types.ts';

/** Everything buildNetwork takes except what the machine supplies. */
export type AttachOptions = Omit<NetworkOptions, 'clock' | 'mhz' | 'ram' | 'irq' | 'onDmaWrite' | 'dmaGuard'>;

export interface AttachedNetwork extends Network {
  /** The NIC's PCI function and where the bus put it (slot, BAR addresses, IRQ line). */
  pci: PciDevice;
  slot: PciSlot;
}

/** Builds the network on `machine` and registers the NIC on its PCI bus; call before boot. */
export function attachNetwork(machine: Machine, o: AttachOptions): AttachedNetwork {
  // The NIC is handed its interrupt line before its PCI function exists; the bus sets
  // dev.setIrq when it registers the function, so the line forwards to it late.
  let dev: PciDevice | undefined;
  const irq: IrqLine = {
    raise: () => dev?.setIrq(true),
    lower: () => dev?.setIrq(false),
  };
  const net = buildNetwork({
    ...o,
    clock: machine.clock,
    mhz: machine.profile.cpuMhz,
    ram: machine.bus.ram,
    irq,
    onDmaWrite: (addr, len) => (machine.cpu.dmaWritten ? machine.cpu.dmaWritten(addr, len) : machine.cpu.invalidateCode(addr, len)),
    // A hypervisor back-end sets machine.dmaLimit: the NIC may not reach the hypervisor's memory.
    dmaGuard: {
      limit: () => machine.dmaLimit?.end ?? machine.bus.ram.length,
      refused: (addr, len) => {
        const l = machine.dmaLimit!;
        machine.halt({
          kind: 'shutdown',
          detail: `${l.owner}: dp83820 DMA at 0x${addr.toString(16)} (${len} bytes) is outside the guest's physical memory [0, 0x${l.end.toString(16)})`,
          dump: machine.cpu.dumpState(),
        });
      },
    },
  });
  const nic = net.nic;
  const id = nic.pci;
  const bars: (PciBar | null)[] = [];
  for (const b of id.memoryBars ?? []) {
    bars[b.index] = {
      kind: 'mem',
      size: b.size,
      registers: nic,
    };
  }
  dev = new PciDevice('dp83820', {
    vendorId: id.vendorId,
    deviceId: id.deviceId,
    classCode: id.classCode,
    revision: id.revision,
    interruptPin: id.interruptPin,
  }, Array.from(bars, (b) => b ?? null));
  const slot = machine.pci.register(dev);
  machine.nic = {
    takeLink: () => {
      const link = nic.link;
      if (!link) throw new Error('dp83820: no wire plugged in');
      nic.attach(undefined);
      return link;
    },
    mac: nic.stationAddress,
    bar1: slot.bars[1] ?? null,
    irq: slot.irq,
  };
  return { ...net, pci: dev, slot };
}
