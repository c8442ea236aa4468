// Where a Linux netperf run's guest instructions and host CPU go, boot phase by boot phase: the
// bzImage's boot wrapper (decompression), start_kernel's steps, each initcall, /init up to the
// transfer window, the window, the rest. The guest is sampled every --interval cycles of guest
// time (a clock event: the report's figures are those of `world netperf` for the same run, which
// the script prints to compare); each sample is named by what the kernel is doing: the function
// do_one_initcall or start_kernel called, found by scanning the kernel stack for return addresses
// into text (System.map; an i386 kernel stack is 8 KiB), else the function holding EIP. A sample
// is charged the instructions retired and the host CPU spent since the one before. Host time
// only: what a run costs to measure, not a figure of the run.
// usage: npm run bench:boot -- [--variant native|afterburnt] [--direction send|receive]
//        [--bytes SIZE (default 4MiB)] [--interval CYCLES] [--top N]
//        [--dir DIR: a directory holding bzImage, initrd.cpio and System.map instead of the
//        installed linux@VARIANT, to compare two builds]
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runNetperf, type NetperfDirection } from '../harness/workloads/netperf.ts';
import { parseSystemMap } from '../emulator/hypervisors/system-map.ts';
import type { ElfSymbol } from '../emulator/hypervisors/elf.ts';
import type { Machine } from '../emulator/machine.ts';
import { Cpu } from '../emulator/cpu/cpu.ts';
import { parseSize } from '../src/size.ts';
import { enterEmulatorProcess } from '../harness/host-env.ts';
import { linuxFiles } from './linux-files.ts';

// The machine runs in this process, in the environment bench workers and `world netperf` give it
// (harness/host-env.ts: huge pages for guest RAM), so the figures are theirs.
const rerun = await enterEmulatorProcess();
if (rerun !== null) process.exit(rerun);

const { values } = parseArgs({
  options: {
    variant: { type: 'string', default: 'native' },
    direction: { type: 'string', default: 'send' },
    bytes: { type: 'string', default: '4MiB' },
    interval: { type: 'string', default: '28000' },
    top: { type: 'string', default: '25' },
    dir: { type: 'string' },
  },
});
const direction = values.direction as NetperfDirection;
const interval = Number(values.interval);
const top = Number(values.top);
if ((values.variant !== 'native' && values.variant !== 'afterburnt') || (direction !== 'send' && direction !== 'receive') || !(interval >= 1000) || !(top >= 1)) {
  console.error('bench:boot: --variant native|afterburnt, --direction send|receive, --interval >= 1000 cycles, --top >= 1');
  process.exit(2);
}
const bytes = parseSize(values.bytes!);
if (bytes === undefined || bytes <= 0) {
  console.error(`bench:boot: --bytes ${values.bytes}: not a size (a whole number with an optional unit B, K/KiB, M/MiB, G/GiB)`);
  process.exit(2);
}
const PAGE_OFFSET = 0xc0000000;

const files = values.dir !== undefined
  ? { kernel: join(values.dir, 'bzImage'), initrd: join(values.dir, 'initrd.cpio'), 'system-map': join(values.dir, 'System.map') }
  : await linuxFiles(values.variant!);
const symbols = parseSystemMap(readFileSync(files['system-map']!, 'latin1'), files['system-map']);
const named = (n: string): number => {
  const s = symbols.find((x) => x.name === n && x.value >= PAGE_OFFSET);
  if (!s) throw new Error(`System.map has no ${n}`);
  return s.value;
};
const text: [number, number][] = [[named('_stext'), named('_etext')], [named('_sinittext'), named('_einittext')]];
const inText = (a: number): boolean => text.some(([lo, hi]) => a >= lo && a < hi);
/** Physical addresses of the kernel's text: where startup_32 runs before paging. */
const inPhysText = (a: number): boolean => text.some(([lo, hi]) => a >= lo - PAGE_OFFSET && a < hi - PAGE_OFFSET);

function symbolAt(list: ElfSymbol[], a: number): string {
  let lo = 0, hi = list.length - 1, best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.value <= a) { best = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return best < 0 ? '?' : list[best]!.name;
}

/** What the kernel is doing at this sample, from EIP and the return addresses on its stack. */
function label(m: Machine, cpu: Cpu, kernelEntered: boolean): string {
  const eip = cpu.eip >>> 0;
  if (!kernelEntered) return 'boot wrapper (decompression, setup)';
  if (cpu.halted) return 'idle (hlt)';
  if (cpu.cpl === 3) return '/init (user mode)';
  if (eip < PAGE_OFFSET) return `${symbolAt(symbols, eip)} (before paging)`;
  const here = symbolAt(symbols, eip);
  const esp = cpu.r[4]! >>> 0;
  const stackTop = ((esp | 0x1fff) >>> 0) + 1;
  const ram = m.bus.ram;
  const chain = [here];
  for (let a = esp; a + 4 <= stackTop; a += 4) {
    const p = a - PAGE_OFFSET;
    if (p < 0 || p + 4 > ram.length) break;
    const w = (ram[p]! | (ram[p + 1]! << 8) | (ram[p + 2]! << 16) | (ram[p + 3]! << 24)) >>> 0;
    if (inText(w)) {
      const n = symbolAt(symbols, w);
      if (n !== chain[chain.length - 1]) chain.push(n);
    }
  }
  for (const [anchor, tag] of [['do_one_initcall', 'initcall'], ['kernel_init_freeable', 'kernel_init'], ['kernel_init', 'kernel_init'], ['start_kernel', 'start_kernel']] as const) {
    const k = chain.indexOf(anchor);
    if (k > 0) return `${tag}: ${chain[k - 1]}`;
  }
  return here;
}

interface Tally { samples: number; instructions: number; host: number }
type Phase = 'before the window' | 'window' | 'after the window';
const tallies = new Map<Phase, Map<string, Tally>>();
let phase: Phase = 'before the window';
const cpuNow = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};
const c0 = cpuNow();
let last = { instructions: 0, host: c0 };
let kernelEntered = false;

const { report, machine } = runNetperf({
  elf: readFileSync(files.kernel!), kernelName: 'bzImage', initrd: readFileSync(files.initrd!), direction, bytes, messageBytes: 32768,
  onMachine: (m) => {
    const cpu = m.cpu;
    if (!(cpu instanceof Cpu)) throw new Error('bench:boot: the machine does not run emulator/cpu');
    const sample = (): void => {
      const eip = cpu.eip >>> 0;
      kernelEntered ||= eip >= PAGE_OFFSET || inPhysText(eip);
      const name = label(m, cpu, kernelEntered);
      const instructions = cpu.stats.instructions, host = cpuNow();
      const t = tallies.get(phase) ?? new Map<string, Tally>();
      tallies.set(phase, t);
      const e = t.get(name) ?? { samples: 0, instructions: 0, host: 0 };
      e.samples++;
      e.instructions += instructions - last.instructions;
      e.host += host - last.host;
      t.set(name, e);
      last = { instructions, host };
      m.clock.schedule(m.clock.now() + interval, 'bench:boot sample', sample);
    };
    m.clock.schedule(interval, 'bench:boot sample', sample);
  },
  onWindow: (edge) => { phase = edge === 'start' ? 'window' : 'after the window'; },
});
const hostTotal = cpuNow() - c0;
const hz = machine.profile.cpuMhz * 1e6;
const ms = (samples: number): string => ((samples * interval * 1000) / hz).toFixed(1);
const row = (name: string, t: Tally): string =>
  `${name.padEnd(44)} ${ms(t.samples).padStart(7)} ms ${(t.instructions / 1e6).toFixed(2).padStart(7)} M instr ${t.host.toFixed(2).padStart(6)} s host`;
const sum = (t: Iterable<Tally>): Tally => {
  const s: Tally = { samples: 0, instructions: 0, host: 0 };
  for (const x of t) { s.samples += x.samples; s.instructions += x.instructions; s.host += x.host; }
  return s;
};

console.log(`${values.dir ?? `linux@${values.variant}`} netperf ${direction} ${bytes} bytes: ${report.throughput.value} MiB/s, cpu ${(report.cpu.utilization * 100).toFixed(2)}%, ` +
  `${report.cpu.instructions} instructions in the window, ${machine.cpu.stats.instructions} in the run, ${report.verified ? 'verified' : 'NOT VERIFIED: ' + report.stop}`);
console.log(`host CPU ${hostTotal.toFixed(2)} s for the run (machine set-up included); samples every ${interval} cycles, columns: guest time, instructions, host CPU\n`);
const pre = tallies.get('before the window') ?? new Map<string, Tally>();
const groups: [string, (k: string) => boolean][] = [
  ['boot wrapper', (k) => k.startsWith('boot wrapper')],
  ['start_kernel (to rest_init)', (k) => k.startsWith('start_kernel:') || k.endsWith('(before paging)')],
  ['initcalls', (k) => k.startsWith('initcall:')],
  ['kernel_init after the initcalls', (k) => k.startsWith('kernel_init:')],
  ['/init (user mode) before the window', (k) => k.startsWith('/init')],
  ['idle (hlt: the PIT, the link, the peer)', (k) => k === 'idle (hlt)'],
];
const claimed = new Set<string>();
for (const [title, test] of groups) {
  const keys = [...pre.keys()].filter(test);
  keys.forEach((k) => claimed.add(k));
  console.log(row(title, sum(keys.map((k) => pre.get(k)!))));
}
console.log(row('other kernel code before the window', sum([...pre].filter(([k]) => !claimed.has(k)).map(([, t]) => t))));
console.log(row('= before the window', sum(pre.values())));
for (const p of ['window', 'after the window'] as const) console.log(row(`= ${p}`, sum((tallies.get(p) ?? new Map<string, Tally>()).values())));
console.log(`\nbefore the window, the ${top} largest by host CPU:`);
for (const [k, t] of [...pre].sort((a, b) => b[1].host - a[1].host).slice(0, top)) console.log(row(k, t));
const win = tallies.get('window') ?? new Map<string, Tally>();
console.log(`\nin the window, the ${top} largest by host CPU (a sample is named by the function holding EIP):`);
for (const [k, t] of [...win].sort((a, b) => b[1].host - a[1].host).slice(0, top)) console.log(row(k, t));
if (!report.verified) process.exit(1);
