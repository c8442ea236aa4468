// Two peer hosts joined by a wire, one netperf sender and one receiver: the peer-to-peer setup
// used by the tests, the determinism check and the wire bench (no CPU, no NIC in between).
import { PcapWriter } from '../pcap.ts';
import { TimeBase } from '../seams.ts';
import { SimClock } from '../sim-clock.ts';
import { Wire } from '../wire.ts';
import type { WireFaults } from '../wire.ts';
import { Host } from './host.ts';
import { parseIp } from './ipv4.ts';
import { NetperfPeer } from './netperf.ts';
import type { NetperfResult } from './netperf.ts';
import type { TcpConfig } from './tcp.ts';
import type { ClientCpu } from './client-cpu.ts';

export interface PairOptions {
  transferBytes: number;
  mhz?: number;
  latencyNs?: number;
  faults?: WireFaults;
  pcapPath?: string;
  processingNs?: number;
  /** The sending host's CPU (client-cpu.ts): every frame it sends or receives takes its time. */
  senderCpu?: ClientCpu;
  tcp?: Partial<TcpConfig>;
  /** Stop after this much virtual time (ns) even if the transfer has not finished. */
  limitNs?: number;
}

export interface PairResult {
  sender: NetperfResult;
  receiver: NetperfResult;
  wire: Wire;
  endNs: number;
  pcapFrames: number;
}

export function runPair(o: PairOptions): PairResult {
  const clock = new SimClock();
  const time = new TimeBase(clock, o.mhz ?? 2800);
  const pcap = o.pcapPath ? new PcapWriter(o.pcapPath) : undefined;
  const wire = new Wire(time, { latencyNs: o.latencyNs ?? 1000, faults: o.faults, tap: pcap?.tap });
  const a = new Host({ time, port: wire.port(0), mac: Uint8Array.of(2, 0, 0, 0, 0, 0xa), ip: parseIp('10.0.0.1'), processingNs: o.processingNs, cpu: o.senderCpu });
  const b = new Host({ time, port: wire.port(1), mac: Uint8Array.of(2, 0, 0, 0, 0, 0xb), ip: parseIp('10.0.0.2'), processingNs: o.processingNs });
  const receiver = new NetperfPeer(b, time, { role: 'receive', transferBytes: o.transferBytes, open: 'passive', remoteIp: a.ip, remotePort: 0, localPort: 12866, tcp: o.tcp });
  const sender = new NetperfPeer(a, time, { role: 'send', transferBytes: o.transferBytes, open: 'active', remoteIp: b.ip, remotePort: 12866, localPort: 40000, tcp: o.tcp });
  receiver.start();
  sender.start();
  const limit = o.limitNs === undefined ? Infinity : time.cyclesAt(o.limitNs);
  try {
    clock.run(limit, () => sender.done && receiver.done);
  } catch (e) {
    pcap?.abort();
    throw e;
  }
  pcap?.close();
  return { sender: sender.result(), receiver: receiver.result(), wire, endNs: time.nowNs(), pcapFrames: pcap?.frames ?? 0 };
}
