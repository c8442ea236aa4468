// npm run bench:noop — how long a no-op rebuild of the default world takes, end to end (a fresh
// `node bin/world.js build` process, as a user runs it). Builds once first so every step is
// cached, then times several no-op runs and prints the median and the slowest. A benchmark,
// not a test: it prints figures and fails only if a "no-op" run actually ran a step.
import { execa } from 'execa';
import { loadavg, availableParallelism } from 'node:os';

const runs = Number(process.argv[2] ?? 5);
const warm = await execa('node', ['bin/world.js', 'build', '--plain'], { reject: false, all: true });
if (warm.exitCode !== 0) {
  process.stderr.write(warm.all ?? '');
  process.exit(1);
}
const times: number[] = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const r = await execa('node', ['bin/world.js', 'build', '--plain'], { reject: false });
  times.push((performance.now() - t0) / 1000);
  const m = /world: (\d+) steps? run, (\d+) cache hits?/.exec(r.stdout);
  if (r.exitCode !== 0 || !m || m[1] !== '0') {
    process.stderr.write(`bench:noop: run ${i + 1} was not a no-op:\n${r.stdout}\n${r.stderr}\n`);
    process.exit(1);
  }
  if (i === 0) process.stdout.write(`no-op build of the default world: ${m[2]} steps, all cache hits\n`);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)]!;
process.stdout.write(`no-op rebuild: median ${median.toFixed(3)} s, slowest ${times.at(-1)!.toFixed(3)} s over ${runs} runs (whole process, incl. node + tsx start)\n`);
// Wall time depends on what else the machine is doing; say how busy it was.
process.stdout.write(`machine: ${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(2)}\n`);
