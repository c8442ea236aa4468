// Host seconds per emulated GiB for the network alone: two netperf peers over the 1 Gb/s wire,
// no CPU and no NIC model. Prints the virtual throughput too (deterministic) beside the host time.
// usage: npm run bench:wire -- [--mib N] [--loss P] [--seed S] [--pcap FILE]
import { parseArgs } from 'node:util';
import { runPair } from '../emulator/net/peer/pair.ts';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '256' },
    loss: { type: 'string', default: '0' },
    seed: { type: 'string', default: '1' },
    pcap: { type: 'string' },
  },
});
const mib = Number(values.mib);
const loss = Number(values.loss);
if (!(mib > 0) || !(loss >= 0 && loss < 1)) {
  console.error('bench:wire: --mib must be positive and --loss in [0, 1)');
  process.exit(2);
}
const bytes = Math.round(mib * 2 ** 20);
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const r = runPair({ transferBytes: bytes, faults: loss > 0 ? { seed: Number(values.seed), loss } : undefined, pcapPath: values.pcap });
const hostS = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const cpuS = (cpu.user + cpu.system) / 1e6; // less disturbed than wall time on a shared machine
if (!r.receiver.verified || !r.sender.verified) {
  console.error(`bench:wire: transfer not verified (received ${r.receiver.bytes}, first bad ${r.receiver.firstBadOffset})`);
  process.exit(1);
}
const frames = r.wire.stats(0).frames + r.wire.stats(1).frames;
console.log(`transfer          ${mib} MiB peer to peer, loss ${loss}`);
console.log(`virtual time      ${(r.sender.elapsedNs / 1e9).toFixed(6)} s, ${r.sender.mibPerSec.toFixed(2)} MiB/s (2^20 B/s)`);
console.log(`frames            ${frames} (${r.sender.tcp.retransmits} retransmitted)`);
console.log(`host time         ${hostS.toFixed(2)} s, ${(frames / hostS / 1e3).toFixed(0)}k frames/s`);
console.log(`host s per GiB    ${(hostS * 1024 / mib).toFixed(2)} wall, ${(cpuS * 1024 / mib).toFixed(2)} CPU`);
if (values.pcap) console.log(`pcap              ${values.pcap} (${r.pcapFrames} frames)`);
