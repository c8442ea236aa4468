// One netperf TCP_STREAM run on the machine: boots the guest with `run=netperf arg=DIR,BYTES,MSG`,
// attaches the network with the peer listening (the guest's netperf connects, as netperf's
// client connects to netserver), runs to the guest's exit, and measures the transfer window the
// peer sees: from the connection's establishment to its close. Throughput is bytes over the
// window in 2^20 bytes per second (netperf's -f M); CPU utilization is the guest's busy cycles
// over the window's cycles; interrupts, frames and retransmissions are counted in the window, and
// so is every other counter (window.ts: the cycle breakdown by category, exceptions, TLB,
// sensitive instructions, the back-end's and the wedge's counters) under `window`.
// Every figure is a guest quantity, so the same inputs give the same report.
import type { Machine, MachineStop } from '../../emulator/machine.ts';
import type { Profile } from '../../emulator/profiles/load.ts';
import { startMachine } from '../../emulator/run.ts';
import { attachNetwork, type AttachedNetwork } from '../../emulator/net/attach.ts';
import { wireBytes } from '../../emulator/net/wire.ts';
import { sortKeys } from '../../emulator/json.ts';
import type { NetperfResult } from '../../emulator/net/peer/netperf.ts';
import type { BackendName, BackendStats } from '../../emulator/hypervisors/hypervisor.ts';
import { snapshotCounters, windowCounters, type CounterSnapshot, type WindowCounters } from '../../emulator/window.ts';
import { isLinuxBzImage, isLinuxVmlinux } from '../../emulator/boot-linux.ts';
import { loadClientCpu } from '../../emulator/net/peer/client-cpu.ts';

export type NetperfDirection = 'send' | 'receive';

export interface NetperfRunOptions {
  /** The guest kernel (multiboot ELF) with a `netperf` program. */
  elf: Uint8Array;
  kernelName?: string;
  /** The guest's view: 'send' = the guest sends to the peer. */
  direction: NetperfDirection;
  bytes: number;
  messageBytes: number;
  mem?: number;
  profile?: Profile | string;
  /** More kernel command line, after run= and arg=. */
  append?: string;
  /** A Linux bzImage's initramfs (its /init is the netperf program). */
  initrd?: Uint8Array;
  /** The guest's symbols when its image has none (a bzImage's System.map), for the hole report. */
  symbols?: import('../../emulator/hypervisors/elf.ts').ElfSymbol[];
  /** The guest's netperf checks every byte it receives too (the peer always does). */
  check?: boolean;
  pcapPath?: string;
  /** Frame loss probability on both directions of the wire, drawn from `seed`. */
  loss?: number;
  seed?: number;
  /** Ends the run if the guest has not exited after this many guest seconds. */
  timeLimitSeconds?: number;
  serial?: (bytes: Uint8Array) => void;
  /** What runs under the guest (default hardware); xen assigns the NIC to the domain directly. */
  backend?: BackendName;
  /** The wedge ELF (the in-place VMM) for an afterburnt guest on a hypervisor back-end. */
  wedge?: Uint8Array;
  wedgeName?: string;
  /** Told as the window opens and closes (a bench reads the host clock there; the report never does). */
  onWindow?: (edge: 'start' | 'end') => void;
  /** Profiling: called with the EIP of every instruction that accesses device memory. */
  onMmio?: (eip: number) => void;
  /** Profiling: called with the machine once it is built, before the guest is loaded (scripts/bench-boot.ts samples it). */
  onMachine?: (machine: Machine) => void;
}

/** The counters read at each edge of the window. */
interface Edge {
  cycles: number;
  busy: number;
  instructions: number;
  irqs: number[];
  framesFromGuest: number;
  framesToGuest: number;
  lostFromGuest: number;
  lostToGuest: number;
  nicRequests: number;
  counters: CounterSnapshot;
}

export interface NetperfReport {
  direction: NetperfDirection;
  transfer_bytes: number;
  message_bytes: number;
  /** Bytes the receiving side got in order (peer's count when the guest sends, else acked by the guest). */
  bytes: number;
  /** The peer verified the stream (pattern and length, or all acked) and the guest exited 0. */
  verified: boolean;
  exit_value: number | null;
  stop: string;
  throughput: { unit: string; value: number; wire_goodput: number; of_wire_goodput: number };
  cpu: { utilization: number; busy_cycles: number; window_cycles: number; instructions: number };
  window_ns: number;
  interrupts: Record<string, number>;
  frames: { from_guest: number; to_guest: number; lost_from_guest: number; lost_to_guest: number };
  retransmissions: { guest: number | null; peer: number };
  /** The guest's result line, key=value pairs as printed. */
  guest: Record<string, string> | null;
  nic_errors: string[];
  /** The back-end's statistics for the whole run (hypercalls, wedge counters); absent on hardware. */
  backend?: BackendStats;
  /** Every counter over the transfer window, with the window's cycles by category (absent if the window never opened). */
  window?: WindowCounters;
}

/**
 * What a Linux guest needs on its command line before run= and arg=: the serial console, the
 * contract's address for eth0 through the kernel's own IP autoconfiguration (static, no DHCP), no
 * port-0x80 delays (io_delay=none) and no speculation mitigations (a 486 has none to mitigate; the
 * MDS buffer clearing would otherwise run verw at every return to user).
 */
export const LINUX_NETPERF_ARGS = 'console=ttyS0 io_delay=none mitigations=off ip=10.0.0.2::10.0.0.1:255.255.255.0::eth0:off';

/** How a run stopped by a Linux panic is reported (`stop`): this prefix, then Linux's panic message. */
export const LINUX_PANIC_STOP = 'Linux panicked: ';

/**
 * Ends the run at the end of a Linux panic report (its `---[ end Kernel panic - not syncing: ... ]---`
 * line) instead of letting the kernel spin until the time limit: the stop names Linux's message.
 * Only the text after the last line break is kept between chunks, so the scan stays linear.
 */
function linuxPanicWatch(machine: () => Machine): (bytes: Uint8Array) => void {
  let line = '';
  return (bytes) => {
    const text = line + Buffer.from(bytes).toString('latin1');
    const lines = text.split('\n');
    line = lines.pop()!;
    for (const l of lines) {
      const m = /---\[ end Kernel panic - not syncing: (.*?) \]---/.exec(l);
      if (m) machine().abort(LINUX_PANIC_STOP + m[1]!);
    }
  };
}

/** The port the peer listens on (netserver's). */
export const NETSERVER_PORT = 12866;
export const THROUGHPUT_UNIT = '2^20 bytes/s (netperf -f M)';
/** TCP payload of a full segment without options, the MSS both sides use on Ethernet. */
export const TCP_MSS = 1460;
const TCP_IP_ETH_HEADERS = 14 + 20 + 20;

/**
 * The most TCP goodput a full-duplex 1 Gb/s wire carries in one direction, in 2^20 B/s: every
 * frame carries TCP_MSS bytes and occupies preamble, header, payload, FCS and the inter-frame gap
 * (1538 bytes of wire time). ACKs travel the other direction, so they take no share.
 */
export function wireGoodputMiBps(bitsPerSecond = 1e9): number {
  return ((bitsPerSecond / 8) * TCP_MSS) / wireBytes(TCP_MSS + TCP_IP_ETH_HEADERS) / 2 ** 20;
}

/**
 * The guest's result line, the last one starting `netperf:`: its `key=value` pairs as printed,
 * and any bare words (direction, outcome) in order under `words`.
 */
export function parseGuestResult(serial: string): Record<string, string> | null {
  const lines = serial.split('\n').filter((l) => l.startsWith('netperf:'));
  if (lines.length === 0) return null;
  const out: Record<string, string> = {};
  const words: string[] = [];
  for (const token of lines[lines.length - 1]!.slice('netperf:'.length).trim().split(/\s+/)) {
    const eq = token.indexOf('=');
    if (eq > 0) out[token.slice(0, eq)] = token.slice(eq + 1);
    else if (token !== '') words.push(token);
  }
  if (words.length > 0) out.words = words.join(' ');
  return out;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export interface NetperfRunResult {
  report: NetperfReport;
  serial: string;
  peer: NetperfResult;
  net: AttachedNetwork;
  machine: Machine;
  stop: MachineStop;
}

/** The window's counters, with the NIC's interrupt requests among the devices' figures. */
function windowWithNic(a: Edge, b: Edge): WindowCounters {
  const w = windowCounters(a.counters, b.counters);
  w.devices.nic_interrupt_requests = b.nicRequests - a.nicRequests;
  return w;
}

export function runNetperf(o: NetperfRunOptions): NetperfRunResult {
  const edges: Edge[] = [];
  let net: AttachedNetwork | undefined;
  const edge = (): void => {
    const n = net!;
    edges.push({
      cycles: machine.clock.now(),
      busy: machine.clock.busyCycles(),
      instructions: machine.cpu.stats.instructions,
      irqs: [...machine.pic.delivered],
      framesFromGuest: n.wire.stats(0).frames,
      framesToGuest: n.wire.stats(1).frames,
      lostFromGuest: n.wire.stats(0).lost,
      lostToGuest: n.wire.stats(1).lost,
      nicRequests: n.nic.stats.interrupts,
      counters: snapshotCounters(machine, (o.backend ?? 'hardware') !== 'hardware' ? backend : null),
    });
    o.onWindow?.(edges.length === 1 ? 'start' : 'end');
  };
  // The network attaches before the guest boots, so the NIC is on the bus when the back-end loads it.
  const attach = (m: Machine): void => {
    o.onMachine?.(m);
    const onMmio = o.onMmio;
    // The guest kernel's segments are flat, so the EIP is the instruction's linear address.
    if (onMmio) m.bus.mmioWatch = () => onMmio(m.cpu.eip >>> 0);
    net = attachNetwork(m, {
      pcapPath: o.pcapPath,
      // The slides' client: its own CPU paces what it sends and acknowledges.
      peerCpu: m.profile.mechanisms.client_cpu ? loadClientCpu() : undefined,
      faults: o.loss ? { seed: o.seed ?? 1, loss: o.loss } : undefined,
      netperf: {
        direction: o.direction === 'send' ? 'from-guest' : 'to-guest',
        transferBytes: o.bytes,
        messageBytes: o.messageBytes,
        open: 'passive',
        peerPort: NETSERVER_PORT,
        onStart: edge,
        onEnd: edge,
      },
    });
  };
  const isLinux = isLinuxBzImage(o.elf) || isLinuxVmlinux(o.elf);
  const linux = isLinux ? `${LINUX_NETPERF_ARGS} ` : '';
  const cmdline = `${linux}run=netperf arg=${o.direction},${o.bytes},${o.messageBytes}${o.check ? ',check' : ''}${o.append ? ' ' + o.append : ''}`;
  const panic = isLinux ? linuxPanicWatch(() => machine) : null;
  const { machine, profile, backend } = startMachine({
    elf: o.elf, kernelName: o.kernelName, mem: o.mem, profile: o.profile, cmdline, initrd: o.initrd, symbols: o.symbols,
    serial: panic || o.serial ? (bytes) => { o.serial?.(bytes); panic?.(bytes); } : undefined,
    backend: o.backend, wedge: o.wedge, wedgeName: o.wedgeName, setup: attach,
  });
  const hz = profile.cpuMhz * 1e6;
  const limit = o.timeLimitSeconds ?? 10 + o.bytes / (4 << 20);
  machine.clock.schedule(Math.round(limit * hz), 'netperf time limit', () => machine.abort(`the guest ran ${limit} guest seconds without exiting`));
  const stop = machine.run();
  // The guest may exit while its last segment is still on the wire: let the network finish
  // (the CPU no longer runs; the cycles pass as idle) for at most 100 ms of guest time.
  const drainEnd = machine.clock.now() + Math.round(0.1 * hz);
  if (!net) throw new Error('runNetperf: the setup hook did not attach the network');
  while (!net.netperf.done) {
    const next = machine.clock.nextEventAt();
    if (next > drainEnd) break;
    machine.clock.idleUntil(next);
    machine.clock.runDue();
  }
  const peer = net.finish();
  const serial = Buffer.from(machine.serialOutput()).toString('latin1');
  const guest = parseGuestResult(serial);
  const exitValue = stop.kind === 'exit' ? stop.value : null;
  // A connection the peer never saw close ends its window where the run ended.
  if (edges.length === 1) edge();
  const [a, b] = edges;
  const windowCycles = a && b ? b.cycles - a.cycles : 0;
  const busy = a && b ? b.busy - a.busy : 0;
  const interrupts: Record<string, number> = {};
  if (a && b) {
    b.irqs.forEach((n, irq) => {
      if (n - a.irqs[irq]! > 0) interrupts[irq] = n - a.irqs[irq]!;
    });
  }
  const mibps = peer.mibPerSec;
  const bound = wireGoodputMiBps();
  const guestRetrans = guest?.retransmits !== undefined && /^\d+$/.test(guest.retransmits) ? Number(guest.retransmits) : null;
  const report: NetperfReport = {
    direction: o.direction,
    transfer_bytes: o.bytes,
    message_bytes: o.messageBytes,
    bytes: peer.bytes,
    verified: peer.verified && exitValue === 0,
    exit_value: exitValue,
    stop: stop.kind === 'exit' ? `guest wrote ${stop.value} to the debug-exit port` : stop.detail,
    throughput: { unit: THROUGHPUT_UNIT, value: round(mibps, 3), wire_goodput: round(bound, 3), of_wire_goodput: round(mibps / bound, 4) },
    cpu: {
      utilization: windowCycles > 0 ? round(busy / windowCycles, 4) : 0,
      busy_cycles: busy,
      window_cycles: windowCycles,
      instructions: a && b ? b.instructions - a.instructions : 0,
    },
    window_ns: peer.elapsedNs,
    interrupts,
    frames: a && b
      ? { from_guest: b.framesFromGuest - a.framesFromGuest, to_guest: b.framesToGuest - a.framesToGuest, lost_from_guest: b.lostFromGuest - a.lostFromGuest, lost_to_guest: b.lostToGuest - a.lostToGuest }
      : { from_guest: 0, to_guest: 0, lost_from_guest: 0, lost_to_guest: 0 },
    retransmissions: { guest: guestRetrans, peer: peer.tcp.retransmits },
    guest,
    nic_errors: [...net.nic.errors],
    ...((o.backend ?? 'hardware') !== 'hardware' ? { backend: backend.stats() } : {}),
    ...(a && b ? { window: windowWithNic(a, b) } : {}),
  };
  return { report: sortKeys(report), serial, peer, net, machine, stop };
}
