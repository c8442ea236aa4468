// npm run bench:noop — how long a no-op rebuild of the default world takes, end to end (a fresh
// `node bin/world.js build` process, as a user runs it), and beside it `world --help`, the cost of
// starting the command at all. Builds once first so every step is cached (and dist/ is compiled),
// then times several runs of each and prints the medians and the slowest. A benchmark, not a
// test: it prints figures and fails only if a "no-op" run actually ran a step.
//   npm run bench:noop [-- RUNS]      (default 7)
import { execa } from 'execa';
import { loadavg, availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';

const runs = Number(process.argv[2] ?? 7);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`bench:noop: expected a number of runs, got '${process.argv[2]}'\n`);
  process.exit(2);
}
const warm = await execa('node', ['bin/world.js', 'build', '--plain'], { reject: false, all: true });
if (warm.exitCode !== 0) {
  process.stderr.write(warm.all ?? '');
  process.exit(1);
}
/** CPU seconds (user + system) used by this process's waited-for children, from /proc (Linux). */
function childCpu(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100; // cutime, cstime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

interface Timing { wall: number[]; cpu: number[] }

async function time(args: string[], check: (stdout: string, run: number) => void): Promise<Timing> {
  const t: Timing = { wall: [], cpu: [] };
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const c0 = childCpu();
    const r = await execa('node', ['bin/world.js', ...args], { reject: false });
    t.wall.push((performance.now() - t0) / 1000);
    t.cpu.push(childCpu() - c0);
    if (r.exitCode !== 0) {
      process.stderr.write(`bench:noop: world ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}\n`);
      process.exit(1);
    }
    check(r.stdout, i);
  }
  t.wall.sort((a, b) => a - b);
  t.cpu.sort((a, b) => a - b);
  return t;
}

const median = (xs: number[]): number => xs[Math.floor(xs.length / 2)]!;
const loadBefore = loadavg()[0]!;
const build = await time(['build', '--plain'], (stdout, i) => {
  const m = /world: (\d+) steps? run, (\d+) cache hits?/.exec(stdout);
  if (!m || m[1] !== '0') {
    process.stderr.write(`bench:noop: run ${i + 1} was not a no-op:\n${stdout}\n`);
    process.exit(1);
  }
  if (i === 0) process.stdout.write(`no-op build of the default world: ${m[2]} steps, all cache hits\n`);
});
const help = await time(['--help'], () => {});
const loadAfter = loadavg()[0]!;

const line = (name: string, t: Timing): string =>
  `${name}: median ${median(t.wall).toFixed(3)} s, slowest ${t.wall.at(-1)!.toFixed(3)} s; CPU (user + system) median ${median(t.cpu).toFixed(2)} s\n`;
process.stdout.write(`over ${runs} runs each, whole process (node start, compiled CLI, the work):\n`);
process.stdout.write(line('no-op rebuild', build));
process.stdout.write(line('world --help ', help));
// Wall time depends on what else the machine is doing: say how busy it was.
process.stdout.write(`machine: ${availableParallelism()} cores, load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after\n`);
