// Deep guest fuzzing: boots the fuzz kernel (guests/fuzz) seed after seed on each back-end until
// the machines have retired the requested number of instructions, and prints what it saw:
// instructions run, the guest's exceptions by vector, host-side exceptions (a JavaScript error
// inside the emulator or a hypervisor model), hangs (a boot that spent its instruction budget
// without finishing), and guest stops (the kernel ended otherwise: a model refusal, a triple
// fault, the kernel's own fault). Exits 1 when any of the last three is not zero.
// usage: npm run reliability:fuzz -- [--instructions 1e8] [--backends hardware,xen,l4] [--streams 128]
//        [--insns 48] [--first-seed 1] [--budget 5e7] [--json FILE]
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { buildFuzzKernel } from '../guests/fuzz/build.ts';
import { runFuzz, modesFor, tickLimitFor, type FuzzRun } from '../guests/fuzz/run.ts';
import { BACKENDS } from '../emulator/hypervisors/backend-names.ts';
import type { BackendName } from '../emulator/hypervisors/hypervisor.ts';
import { writeFileAtomic } from '../src/atomic.ts';

const { values } = parseArgs({
  options: {
    instructions: { type: 'string', default: '1e8' },
    backends: { type: 'string', default: 'hardware,xen,l4' },
    streams: { type: 'string', default: '128' },
    insns: { type: 'string', default: '48' },
    'first-seed': { type: 'string', default: '1' },
    budget: { type: 'string', default: '5e7' },
    json: { type: 'string' },
  },
});
const target = Number(values.instructions);
const streams = Number(values.streams);
const insns = Number(values.insns);
const budget = Number(values.budget);
const backends = values.backends.split(',') as BackendName[];
for (const b of backends) {
  if (!(BACKENDS as readonly string[]).includes(b)) {
    console.error(`reliability:fuzz: unknown back-end '${b}' (expected ${BACKENDS.join(', ')})`);
    process.exit(2);
  }
}
if (!(target > 0) || !(streams > 0) || !(insns > 0 && insns <= 256) || !(budget > 0)) {
  console.error('reliability:fuzz: --instructions, --streams and --budget must be positive, --insns 1..256');
  process.exit(2);
}

const elf = readFileSync(await buildFuzzKernel());
const runs: FuzzRun[] = [];
const cpu0 = process.cpuUsage();
let total = 0;
for (let seed = Number(values['first-seed']); total < target; seed++) {
  for (const backend of backends) {
    const r = runFuzz(elf, backend, { seed, streams, insns, modes: modesFor(backend), det: false, tickLimit: tickLimitFor(backend) }, budget);
    runs.push(r);
    total += r.instructions;
    if (r.outcome !== 'ok') console.log(`  seed ${seed} on ${backend}: ${r.outcome}: ${r.detail.split('\n')[0]}`);
  }
}
const cpuS = (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1e6;

const vectors = new Map<string, number[]>();
const count = (o: FuzzRun['outcome'], b?: BackendName) => runs.filter((r) => r.outcome === o && (!b || r.backend === b)).length;
for (const r of runs) {
  for (const [v, n] of Object.entries(r.vectors)) {
    const row = vectors.get(v) ?? backends.map(() => 0);
    row[backends.indexOf(r.backend)]! += n;
    vectors.set(v, row);
  }
}
const sum = (f: (r: FuzzRun) => number, b: BackendName) => runs.filter((r) => r.backend === b).reduce((a, r) => a + f(r), 0);
const seeds = new Set(runs.map((r) => r.seed)).size;
console.log(`fuzz kernel: ${seeds} seeds x ${backends.length} back-ends, ${streams} streams of ${insns} instructions per boot`);
console.log(`| | ${backends.join(' | ')} | total |`);
console.log(`|---|${backends.map(() => '---:').join('|')}|---:|`);
const row = (name: string, f: (b: BackendName) => number) => {
  const cells = backends.map(f);
  console.log(`| ${name} | ${cells.join(' | ')} | ${cells.reduce((a, x) => a + x, 0)} |`);
};
row('instructions run', (b) => sum((r) => r.instructions, b));
row('streams', (b) => sum((r) => r.streams, b));
row('streams ended by the timer (loops)', (b) => sum((r) => r.timeouts, b));
row('host-side exceptions', (b) => count('host', b));
row('hangs', (b) => count('hang', b));
row('guest stops', (b) => count('guest', b));
for (const v of [...vectors.keys()].sort()) {
  const cells = vectors.get(v)!;
  console.log(`| exceptions, vector 0x${v} | ${cells.join(' | ')} | ${cells.reduce((a, x) => a + x, 0)} |`);
}
console.log(`${(total / 1e6).toFixed(1)} M instructions in ${cpuS.toFixed(1)} host CPU s`);
if (values.json) {
  writeFileAtomic(values.json, JSON.stringify(runs.map(({ serial: _s, ...r }) => r), null, 2) + '\n');
}
process.exitCode = runs.some((r) => r.outcome !== 'ok') ? 1 : 0;
