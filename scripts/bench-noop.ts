// npm run bench:noop — how long a no-op rebuild of the default world takes, end to end (a fresh
// `node bin/world.js build` process, as a user runs it). Builds once first so every step is
// cached, then times several no-op runs and prints the median and the slowest. A benchmark,
// not a test: it prints figures and fails only if a "no-op" run actually ran a step.
import { execa } from 'execa';
import { loadavg, availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';

const runs = Number(process.argv[2] ?? 5);
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

const times: number[] = [];
const cpus: number[] = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const c0 = childCpu();
  const r = await execa('node', ['bin/world.js', 'build', '--plain'], { reject: false });
  times.push((performance.now() - t0) / 1000);
  cpus.push(childCpu() - c0);
  const m = /world: (\d+) steps? run, (\d+) cache hits?/.exec(r.stdout);
  if (r.exitCode !== 0 || !m || m[1] !== '0') {
    process.stderr.write(`bench:noop: run ${i + 1} was not a no-op:\n${r.stdout}\n${r.stderr}\n`);
    process.exit(1);
  }
  if (i === 0) process.stdout.write(`no-op build of the default world: ${m[2]} steps, all cache hits\n`);
}
times.sort((a, b) => a - b);
cpus.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)]!;
const cpuMedian = cpus[Math.floor(cpus.length / 2)]!;
process.stdout.write(`no-op rebuild: median ${median.toFixed(3)} s, slowest ${times.at(-1)!.toFixed(3)} s over ${runs} runs (whole process, incl. node + tsx start)\n`);
// Wall time depends on what else the machine is doing: say how busy it was, and the CPU time used.
process.stdout.write(`no-op rebuild CPU time (user + system): median ${cpuMedian.toFixed(2)} s\n`);
process.stdout.write(`machine: ${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(2)}\n`);
