// `npm run bench:full [-- --transfer SIZE] [-j N]`: the whole benchmark matrix at the slides'
// transfer of 1 GiB per run (netperf -l -1073741824), N runs at a time (default 2, the 2-core
// machine), and how long it took. Results go to .world/bench-full/full.json, apart from the
// committed results/, since a run at another transfer is another experiment. With a smaller
// --transfer it prints a linear extrapolation to 1 GiB from the measured time, which overstates
// (boot and compile costs do not grow with the transfer). world bench builds the guests the
// matrix needs first, through the cache: run it once before timing. It also sums the host CPU of
// each run by configuration and names the costliest. Host seconds are printed only.
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { parseSize } from '../src/size.ts';
import { readResults, type Results } from '../harness/results.ts';

const GIB = 2 ** 30;
/** How many configurations the summary names. */
const TOP = 6;

/**
 * Host CPU seconds per configuration (both directions), from world bench's line for each run
 * ("bench: [k/n] CONFIG/WORKLOAD: ... (S s, host CPU C s)"), beside the guest instructions its
 * runs retired (the results file): where the matrix's time goes, and whether a configuration
 * costs more host time per guest instruction than the others or simply has more instructions.
 */
function hostCpuSummary(out: string, results: Results | null): string[] {
  const byConfig = new Map<string, number>();
  let total = 0;
  for (const line of out.split('\n')) {
    const m = /^bench: \[\d+\/\d+\] ([^/\s]+)\/\S+: .*host CPU ([\d.]+) s\)$/.exec(line);
    if (!m) continue;
    const cpu = Number(m[2]);
    byConfig.set(m[1]!, (byConfig.get(m[1]!) ?? 0) + cpu);
    total += cpu;
  }
  if (byConfig.size === 0) return [];
  const instructions = new Map<string, number>();
  for (const r of results?.runs ?? []) {
    if (r.status === 'ok' && r.figures) instructions.set(r.configuration, (instructions.get(r.configuration) ?? 0) + r.figures.run.instructions);
  }
  const perInstruction = (c: string, t: number): string => {
    const n = instructions.get(c);
    return n ? ` (${(n / 1e9).toFixed(2)} G guest instructions, ${((t / n) * 1e9).toFixed(1)} ns each)` : '';
  };
  const top = [...byConfig].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, TOP);
  return [`  host CPU ${total.toFixed(0)} s over the runs; the ${top.length} costliest configurations: ` +
    top.map(([c, t]) => `${c} ${t.toFixed(0)} s${perInstruction(c, t)}`).join(', ')];
}
const GOAL_SECONDS = 600;

const { values } = parseArgs({
  options: { transfer: { type: 'string', default: '1GiB' }, jobs: { type: 'string', short: 'j', default: '2' } },
  allowPositionals: false,
});
const transfer = parseSize(values.transfer);
const jobs = Number(values.jobs);
if (transfer === undefined || transfer <= 0 || !Number.isSafeInteger(jobs) || jobs <= 0) {
  process.stderr.write(`bench-full: --transfer '${values.transfer}' -j '${values.jobs}': expected a size such as 1GiB or 64MiB and a positive whole number\n` +
    'usage: npm run bench:full -- [--transfer SIZE (default 1GiB)] [-j N (default 2)]\n');
  process.exit(2);
}

const world = fileURLToPath(new URL('../bin/world.js', import.meta.url));
const out = fileURLToPath(new URL('../.world/bench-full', import.meta.url));
const load0 = loadavg()[0]!;
const t0 = performance.now();
// world bench's progress (on stderr) goes to the terminal as it comes, and is kept to sum each run's host CPU.
const r = await execa(process.execPath, [world, 'bench', '-j', String(jobs), '--transfer', values.transfer, '--out', out, '--name', 'full', '--plain'],
  { stdin: 'inherit', stdout: 'inherit', stderr: ['pipe', 'inherit'], reject: false });
const seconds = (performance.now() - t0) / 1000;
const load1 = loadavg()[0]!;
const lines = [
  `bench:full: the matrix at ${values.transfer} per run, -j ${jobs}: ${seconds.toFixed(0)} s wall ` +
    `(machine load ${load0.toFixed(1)} before, ${load1.toFixed(1)} after); results in ${out}/full.json`,
];
let results: Results | null = null;
try {
  results = readResults(`${out}/full.json`);
} catch { /* no results file (the bench failed early): the summary goes without instruction counts */ }
lines.push(...hostCpuSummary(String(r.stderr ?? ''), results));
if (transfer !== GIB) lines.push(`  linear extrapolation to 1GiB per run: ${(seconds * GIB / transfer).toFixed(0)} s (goal ${GOAL_SECONDS} s)`);
else lines.push(`  goal ${GOAL_SECONDS} s: ${seconds <= GOAL_SECONDS ? 'met' : 'not met'}`);
process.stdout.write(lines.join('\n') + '\n');
process.exitCode = r.exitCode ?? 1;
