// `npm run bench:ab -- --base REF [--config NAME] [--direction send|receive] [--bytes SIZE] [--rounds N]`:
// the host CPU seconds of one `world netperf` run of this tree against the same run of commit
// REF, the two started together (one per core of the 2-core machine), N rounds, and the ratio of
// each pair. On a shared host the same run's time drifts by a third from hour to hour, so two
// runs an hour apart cannot tell a 10% step; two runs side by side see the same machine, and
// their ratio moves by a few percent. CPU time is the process's own (user + system, the
// compiler threads included), read at its exit.
// REF's tree is checked out once to .world/bench-ab/<commit> (a git worktree), sharing this tree's
// node_modules and .world (the build cache is keyed by content, so both find the guest kernels
// they need; a first run of each, one after the other, builds anything missing before the timed
// rounds). The guest figures of the two reports (`world netperf --json`, every figure but host
// time) are compared too: a change meant only for speed must leave them identical (exit 1 if not).
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { emulatorEnv } from '../harness/host-env.ts';
import { parseSize } from '../src/size.ts';
import { median } from './median.ts';

const USAGE = 'usage: npm run bench:ab -- --base REF [--config NAME (default linux-hardware)] [--direction send|receive (default send)] ' +
  '[--bytes SIZE (default 128MiB)] [--rounds N (default 3)]';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    config: { type: 'string', default: 'linux-hardware' },
    direction: { type: 'string', default: 'send' },
    bytes: { type: 'string', default: '128MiB' },
    rounds: { type: 'string', default: '3' },
  },
  allowPositionals: false,
});
const rounds = Number(values.rounds);
if (values.base === undefined || parseSize(values.bytes) === undefined || !(values.direction === 'send' || values.direction === 'receive') ||
  !Number.isSafeInteger(rounds) || rounds <= 0) {
  process.stderr.write(`bench:ab: --base is required, --bytes a size such as 128MiB, --direction send or receive, --rounds a positive whole number\n${USAGE}\n`);
  process.exit(2);
}

const root = fileURLToPath(new URL('..', import.meta.url));
const rev = await execa('git', ['rev-parse', '--verify', '--quiet', `${values.base}^{commit}`], { cwd: root, reject: false });
if (rev.exitCode !== 0) {
  process.stderr.write(`bench:ab: --base '${values.base}' names no commit of this repository\n${USAGE}\n`);
  process.exit(2);
}
const commit = rev.stdout.trim();
const baseDir = `${root}/.world/bench-ab/${commit}`;

/**
 * REF's tree, checked out once as a detached git worktree (the build's source lists come from
 * git, so a plain export would hash as another tree): ready once its .world link exists, which
 * is made last; an interrupted set-up is removed and made again.
 */
async function checkoutBase(): Promise<void> {
  if (existsSync(`${baseDir}/.world`)) return;
  rmSync(baseDir, { recursive: true, force: true });
  await execa('git', ['worktree', 'prune'], { cwd: root });
  mkdirSync(dirname(baseDir), { recursive: true });
  await execa('git', ['worktree', 'add', '--detach', '--force', baseDir, commit], { cwd: root });
  symlinkSync(`${root}/node_modules`, `${baseDir}/node_modules`);
  symlinkSync(`${root}/.world`, `${baseDir}/.world`);
}

/** Prints the process's CPU seconds on stderr as it exits (loaded with --import before the command). */
const CPU_HOOK = 'data:text/javascript,process.on("exit",()=>{const c=process.cpuUsage();process.stderr.write("\\nbench-ab-cpu "+(c.user+c.system)/1e6+"\\n")})';

interface Run { cpu: number; report: string }

/**
 * One `world netperf` of the tree in `dir`. Both trees' machines run in the bench workers'
 * environment (harness/host-env.ts), set here: a tree before `world netperf` re-ran itself to get
 * it would otherwise run without it beside one that has it.
 */
async function netperf(dir: string, bytes: string): Promise<Run> {
  const r = await execa(process.execPath, ['--import', CPU_HOOK, 'bin/world.js', 'netperf', '--config', values.config,
    '--direction', values.direction, '--bytes', bytes, '--json'], { cwd: dir, reject: false, env: emulatorEnv() });
  const m = /bench-ab-cpu ([\d.]+)/.exec(r.stderr);
  if (r.exitCode !== 0 || !m) throw new Error(`world netperf in ${dir} exited ${r.exitCode}:\n${r.stderr.slice(-2000)}`);
  // The report less its host time (key `host`), which is the one figure not from the guest's clock.
  const report = JSON.parse(r.stdout) as Record<string, unknown>;
  delete report.host;
  return { cpu: Number(m[1]), report: JSON.stringify(report) };
}

await checkoutBase();
// One small run of each, one after the other: builds what either tree lacks and compiles its dist/.
process.stderr.write(`bench:ab: ${values.base} is ${commit.slice(0, 12)}; preparing both trees\n`);
await netperf(baseDir, '1MiB');
await netperf(root, '1MiB');

const load0 = loadavg()[0]!;
const ratios: number[] = [];
let same = true;
for (let k = 1; k <= rounds; k++) {
  const [base, head] = await Promise.all([netperf(baseDir, values.bytes), netperf(root, values.bytes)]);
  if (base.report !== head.report) same = false;
  ratios.push(head.cpu / base.cpu);
  process.stdout.write(`round ${k}: base ${base.cpu.toFixed(1)} s, this tree ${head.cpu.toFixed(1)} s CPU: ratio ${(head.cpu / base.cpu).toFixed(3)}\n`);
}
process.stdout.write(`bench:ab: ${values.config} ${values.direction} ${values.bytes}, this tree against ${commit.slice(0, 12)}: ` +
  `median CPU ratio ${median(ratios).toFixed(3)} over ${rounds} round(s) (machine load ${load0.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after); ` +
  `guest figures ${same ? 'identical' : 'DIFFER'}\n`);
if (!same) process.exitCode = 1;
