// The whole network of a run in one call: the DP83820 on the machine's side, the wire, the peer
// host with its netperf, and the pcap writer. The machine supplies its clock, RAM, interrupt line
// and code-cache hook; it then maps nic.read32/write32 at BAR1 and presents nic.pci in config space.
import { Dp83820 } from '../devices/dp83820.ts';
import { RamDma, type DmaGuard } from '../dma.ts';
import { PcapWriter } from './pcap.ts';
import { Host } from './peer/host.ts';
import type { ClientCpu } from './peer/client-cpu.ts';
import { parseMac } from './peer/ethernet.ts';
import { parseIp } from './peer/ipv4.ts';
import { NetperfPeer } from './peer/netperf.ts';
import type { NetperfResult } from './peer/netperf.ts';
import type { TcpConfig } from './peer/tcp.ts';
import type { Scheduler } from '../clock.ts';
import type { IrqLine } from '../types.ts';
import { TimeBase } from './seams.ts';
import { Wire } from './wire.ts';
import type { WireFaults } from './wire.ts';

export interface NetworkOptions {
  clock: Scheduler;
  /** CPU clock rate of the profile: cycles <-> ns. */
  mhz: number;
  ram: Uint8Array;
  /** Told about every byte range the NIC writes into RAM (drop decoded code there). */
  onDmaWrite?: (addr: number, len: number) => void;
  /** A hypervisor's DMA limit (guest physical memory ends below RAM's end). */
  dmaGuard?: DmaGuard;
  irq: IrqLine;
  onError?: (message: string) => void;
  nicMac?: string;          // default 02:00:00:00:00:20
  peerMac?: string;         // default 02:00:00:00:00:10
  guestIp?: string;         // default 10.0.0.2
  peerIp?: string;          // default 10.0.0.1
  netperf: {
    /** 'to-guest': the peer sends, the guest receives; 'from-guest': the guest sends. */
    direction: 'to-guest' | 'from-guest';
    transferBytes: number;
    messageBytes?: number;
    /** 'active': the peer connects to the guest's port; 'passive': the guest connects to the peer. */
    open?: 'active' | 'passive';
    guestPort?: number;     // default 12866
    peerPort?: number;      // default 40000
    tcp?: Partial<TcpConfig>;
    /** Called as the measured interval starts (connection established) and ends (closed). */
    onStart?: () => void;
    onEnd?: () => void;
  };
  latencyNs?: number;
  faults?: WireFaults;
  peerProcessingNs?: number;
  /** The peer's CPU (the slides' client): paces what it sends and acknowledges; replaces peerProcessingNs. */
  peerCpu?: ClientCpu;
  pcapPath?: string;
}

export interface Network {
  nic: Dp83820;
  wire: Wire;
  peer: Host;
  netperf: NetperfPeer;
  time: TimeBase;
  /** Stops capturing (renames the pcap into place) and returns the peer's view of the run. */
  finish(): NetperfResult;
}

/** Parses one option, naming it in the error. */
function option<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new Error(`network option ${name}: ${(e as Error).message}`);
  }
}

export function buildNetwork(o: NetworkOptions): Network {
  const time = option('mhz', () => new TimeBase(o.clock, o.mhz));
  const nicMac = option('nicMac', () => parseMac(o.nicMac ?? '02:00:00:00:00:20'));
  const peerMac = option('peerMac', () => parseMac(o.peerMac ?? '02:00:00:00:00:10'));
  const peerIp = option('peerIp', () => parseIp(o.peerIp ?? '10.0.0.1'));
  const guestIp = option('guestIp', () => parseIp(o.guestIp ?? '10.0.0.2'));
  // The capture file is opened last, once every option has been accepted.
  let pcap: PcapWriter | undefined;
  const tap = o.pcapPath ? (startNs: number, f: Uint8Array, nowNs: number): void => pcap!.tap(startNs, f, nowNs) : undefined;
  const wire = new Wire(time, { latencyNs: o.latencyNs ?? 1000, faults: o.faults, tap });
  const nic = new Dp83820({
    mac: nicMac,
    time,
    dma: new RamDma(o.ram, o.onDmaWrite, o.dmaGuard),
    irq: o.irq,
    port: wire.port(0),
    onError: o.onError,
  });
  const peer = new Host({
    time,
    port: wire.port(1),
    mac: peerMac,
    ip: peerIp,
    processingNs: o.peerProcessingNs,
    cpu: o.peerCpu,
  });
  const n = o.netperf;
  const open = n.open ?? 'active';
  const guestPort = n.guestPort ?? 12866;
  const peerPort = n.peerPort ?? 40000;
  const netperf = option('netperf', () => new NetperfPeer(peer, time, {
    role: n.direction === 'to-guest' ? 'send' : 'receive',
    transferBytes: n.transferBytes,
    messageBytes: n.messageBytes,
    open,
    remoteIp: guestIp,
    remotePort: guestPort,
    localPort: peerPort,
    tcp: n.tcp,
    onStart: n.onStart,
    onEnd: n.onEnd,
  }));
  if (o.pcapPath) pcap = new PcapWriter(o.pcapPath);
  netperf.start();
  let finished = false;
  return {
    nic, wire, peer, netperf, time,
    finish(): NetperfResult {
      if (!finished && pcap) pcap.close();
      finished = true;
      return netperf.result();
    },
  };
}
