// Host seconds per emulated GiB transferred by `world netperf`: the whole machine (CPU, NIC,
// wire, peer) booting the native guest kernel and moving --mib MiB in each direction. Host time
// is taken over the transfer window (connection established to closed, what the figure is
// about) and over the whole run (boot and RAM set-up included, which small transfers do not
// amortize), as wall time and as process CPU time (less disturbed on a shared host). The guest
// figures (throughput, CPU) printed beside it are deterministic; the host time is not.
// usage: npm run bench:netperf -- [--mib N (default 256)] [--direction send|receive|both] [--guest ELF]
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { runNetperf, type NetperfDirection } from '../harness/workloads/netperf.ts';
import { defaultGuest } from '../src/commands/netperf.ts';
import { enterEmulatorProcess } from '../harness/host-env.ts';

// The machine runs in this process, in the environment bench workers and `world netperf` give it
// (harness/host-env.ts: huge pages for guest RAM), so the figures are theirs.
const rerun = await enterEmulatorProcess();
if (rerun !== null) process.exit(rerun);

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '256' },
    direction: { type: 'string', default: 'both' },
    guest: { type: 'string' },
  },
});
const mib = Number(values.mib);
const dirs: NetperfDirection[] = values.direction === 'both' ? ['send', 'receive'] : [values.direction as NetperfDirection];
if (!(mib > 0) || !dirs.every((d) => d === 'send' || d === 'receive')) {
  console.error('bench:netperf: --mib must be positive and --direction send, receive or both');
  process.exit(2);
}
const guestPath = values.guest ?? (await defaultGuest());
const elf = readFileSync(guestPath);
const bytes = Math.round(mib * 2 ** 20);
let totalWall = 0, totalCpu = 0, failed = false;
const cpuNow = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};
const wallNow = (): number => Number(process.hrtime.bigint()) / 1e9;
for (const direction of dirs) {
  const t0 = wallNow(), c0 = cpuNow();
  const win: Record<string, [number, number]> = {};
  const { report } = runNetperf({
    elf, kernelName: guestPath, direction, bytes, messageBytes: 32768,
    onWindow: (edge) => { win[edge] = [wallNow(), cpuNow()]; },
  });
  const all = [wallNow() - t0, cpuNow() - c0];
  const [wall, cpu] = win.start && win.end ? [win.end[0] - win.start[0], win.end[1] - win.start[1]] : [NaN, NaN];
  totalWall += wall;
  totalCpu += cpu;
  if (!report.verified) failed = true;
  console.log(`${direction.padEnd(8)} ${mib} MiB  ${report.throughput.value.toFixed(2)} MiB/s (2^20 B/s), cpu ${(report.cpu.utilization * 100).toFixed(2)}%, ` +
    `${report.verified ? 'verified' : 'NOT VERIFIED: ' + report.stop}`);
  console.log(`         guest ${(report.cpu.instructions / mib / 1e6).toFixed(2)} M instructions per MiB in the window`);
  console.log(`         host, window ${wall.toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU -> ${(wall * 1024 / mib).toFixed(1)} s wall / ${(cpu * 1024 / mib).toFixed(1)} s CPU per GiB`);
  console.log(`         host, whole run ${all[0]!.toFixed(2)} s wall, ${all[1]!.toFixed(2)} s CPU (boot and RAM set-up included)`);
}
const gib = (mib * dirs.length) / 1024;
console.log(`host s per GiB   ${(totalWall / gib).toFixed(1)} wall, ${(totalCpu / gib).toFixed(1)} CPU, over the transfer windows (goal: 20 s wall per GiB)`);
if (failed) process.exit(1);
