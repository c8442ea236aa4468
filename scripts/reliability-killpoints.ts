// npm run reliability:killpoints — the kill-point figure on the default world: a fresh clone of
// this repository's committed tree (HEAD) is built once from nothing, then for each kill point one
// step's cache entry is taken away, `world build` is killed there (SIGKILL at a crash point
// between two durable writes, SIGKILL or SIGINT inside the step's processes) and run again; it
// must complete with every installed unit byte for byte the clean build's, and .world/ must hold
// nothing orphaned outside tmp/ (test/orchestrator/killpoints.ts, audit.ts). Then `world tables`
// and `world bench` are killed at their writes: each results file and table whole or absent.
// Without --linux the world leaves out the Linux package. With --linux the world is built with it
// and the kill points are the ones inside Linux's steps only (the others are the default run's):
// crash points of fetch, unpack, configure and install, a SIGKILL during the unpacking and the
// configuration, and in each variant's kernel build a SIGKILL early (a fifth of its make output)
// and a kill late (during the final links, SIGKILL natively, SIGINT afterburnt) and at its
// store: the next build takes the kernel tree up where it stopped (Stage.resumable,
// recipes/lib/kbuild-resume.ts). 23 points, about eight kernel builds in all:
// measured at load 15-28, the clean build 30 min, a kernel-build point about 25 min, an unpack
// point 10 min (the audit hashes the 1.2 GB source tree again): several hours.
// The plan is printed, numbered; --points and --only run a part of it (the clean build is made
// in full either way: the points are planned from it).
//   npm run reliability:killpoints [-- [--linux] [--per-step N] [--points 3,5-7] [--only TEXT]...
//                                      [--keep | --reuse <dir>-clean.json]]
//   (default 2 crash points per step; --only matches a point's listed description, e.g. a step;
//   points run in the order of the --only texts they match)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { cleanBuild, crashLabelsOf, planKillPoints, runKillPoint, worldBin, type CleanBuild, type KillPoint, type KillResult } from '../test/orchestrator/killpoints.ts';
import { readResults } from '../harness/results.ts';

const args = process.argv.slice(2);
const linux = args.includes('--linux');
const perStep = Number(args[args.indexOf('--per-step') + 1] ?? 2) || 2;
/** `--points 3,5-7`: run only these of the planned points (numbered from 1 as listed). */
const pointsArg = args.includes('--points') ? args[args.indexOf('--points') + 1] : undefined;
const pointNumbers = pointsArg === undefined ? undefined : new Set(pointsArg.split(',').flatMap((r) => {
  const [a, b] = r.split('-').map(Number);
  if (!Number.isInteger(a) || (b !== undefined && !Number.isInteger(b))) throw new Error(`--points: expected numbers and ranges such as 3,5-7, got '${pointsArg}'`);
  return Array.from({ length: (b ?? a!) - a! + 1 }, (_, k) => a! + k);
}));
/** `--only TEXT` (repeatable): run only the points whose description holds one of these. */
const onlyArgs = args.flatMap((a, i) => (args[i - 1] === '--only' ? [a] : []));
const only = onlyArgs.length > 0 ? onlyArgs : undefined;
const repo = new URL('../', import.meta.url).pathname;
const started = performance.now();
const load = loadavg()[0]!.toFixed(1);

/** `--keep`: the clean build's state stays, described in <clone>-clean.json; `--reuse FILE`
 *  takes such a clean build up (its commit cloned again, its state copied per point) instead of
 *  building again: a second run of other points, alongside the first or after it. */
const keep = args.includes('--keep');
const reuseFile = args.includes('--reuse') ? args[args.indexOf('--reuse') + 1] : undefined;
const reused = reuseFile === undefined ? undefined : JSON.parse(readFileSync(reuseFile, 'utf8')) as KeptClean;
interface KeptClean { commit: string; dir: string; clean: CleanBuild }
const dir = mkdtempSync(join(tmpdir(), 'world-killpoints-'));
const commit = reused?.commit ?? execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
execFileSync('git', ['clone', '--quiet', '--local', '--no-checkout', repo, dir]);
execFileSync('git', ['-C', dir, 'fetch', '--quiet', repo, commit]);
execFileSync('git', ['-C', dir, 'checkout', '--quiet', commit]);
process.stdout.write(`world at ${commit.slice(0, 12)}\n`);
symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
if (!linux) {
  const yaml = readFileSync(join(dir, 'world.yaml'), 'utf8');
  writeFileSync(join(dir, 'world.yaml'), yaml.replace(/^ {2}linux: \{\}\n/m, ''));
}
const world = (a: string[], env: Record<string, string> = {}) => execa('node', [join(dir, 'bin/world.js'), ...a], { cwd: dir, reject: false, all: true, env: { CI: 'true', ...env } });
await world(['--help']); // compiles dist/ once, outside any timing
void worldBin;

// A reused clean build's crash labels may name its clone's paths: they are this clone's now.
const clean: CleanBuild = reused
  ? { ...reused.clean, points: reused.clean.points.map((l) => l.split(reused.dir).join(dir)) }
  : await cleanBuild(dir, ['-j', '2']);
if (keep && !reused) writeFileSync(`${dir}-clean.json`, JSON.stringify({ commit, dir, clean } satisfies KeptClean) + '\n');
if (reused) process.stdout.write(`clean build of ${reuseFile} taken up (state ${clean.snapshot})\n`);
process.stdout.write(`clean build: ${clean.steps.length} steps, ${clean.points.length} crash points passed\n`);
for (const { step, seconds } of clean.steps.filter((s) => !linux || /^linux[:@]/.test(s.step))) {
  process.stdout.write(`  ${step}: ${seconds.toFixed(1)} s, ${clean.logLines[step]} log lines\n`);
}
for (const [unit, hash] of Object.entries(clean.hashes).filter(([u]) => !linux || u.startsWith('linux'))) process.stdout.write(`  out/${unit}: ${hash}\n`);
/** The kill points inside Linux's steps (see the top comment). A kernel build killed costs a
 *  whole build with its resumed rerun, so its points are few and chosen; the others are cheap. */
function linuxKillPoints(c: CleanBuild): KillPoint[] {
  const out: KillPoint[] = [];
  c.steps.filter((s) => /^linux[:@]/.test(s.step)).forEach(({ step }, i) => {
    const stage = step.slice(step.lastIndexOf(':') + 1);
    const afterburnt = step.startsWith('linux@afterburnt');
    if (stage === 'build') {
      out.push({ kind: 'signal', step, signal: 'SIGKILL', share: 0.2, by: 'log' });
      // 96% of its make output: the links of vmlinux.o and vmlinux.
      out.push({ kind: 'signal', step, signal: afterburnt ? 'SIGINT' : 'SIGKILL', share: 0.96, by: 'log' });
      out.push({ kind: 'crash', step, label: `step:ran ${step}` });
      return;
    }
    const labels = crashLabelsOf(c, step);
    for (let j = 0; j < Math.min(perStep, labels.length); j++) out.push({ kind: 'crash', step, label: labels[(i + j) % labels.length]! });
    if (stage === 'unpack') out.push({ kind: 'signal', step, signal: 'SIGKILL', share: 0.5 });
    if (stage === 'configure') out.push({ kind: 'signal', step, signal: afterburnt ? 'SIGKILL' : 'SIGINT', share: 0.5, by: 'log' });
    if (stage === 'install') out.push({ kind: 'signal', step, signal: afterburnt ? 'SIGINT' : 'SIGKILL', share: 0.5 });
  });
  return out;
}

const planned = linux ? linuxKillPoints(clean) : planKillPoints(clean, { perStep, longSeconds: 2 });
/** What a kill point does, in words (the plan's listing and the --only match). */
const describe = (p: KillPoint): string => p.kind === 'crash' ? `${p.step}: SIGKILL at ${p.label}`
  : `${p.step}: ${p.signal} at ${Math.round(p.share * 100)}% of its ${p.by === 'log' ? 'make output' : 'duration'}`;
planned.forEach((p, i) => process.stdout.write(`  [${i + 1}] ${describe(p)}\n`));
// Run in the order of the --only texts a point first matches (then the plan's order): the
// points that matter most first, when a run may be cut short.
const rank = (p: KillPoint): number => only ? only.findIndex((o) => describe(p).includes(o)) : 0;
const points = planned.filter((p, i) => (!pointNumbers || pointNumbers.has(i + 1)) && rank(p) >= 0)
  .map((p, i) => ({ p, i })).sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i).map(({ p }) => p);
process.stdout.write(`${planned.length} kill points planned, ${points.length} to run\n`);
const results: KillResult[] = [];
for (const p of points) {
  const begun = performance.now();
  const r = await runKillPoint(dir, clean, p, ['-j', '2']);
  results.push(r);
  const resumed = r.resumed ? `; resumed, its rerun's log ${r.rerunLines} of the clean build's ${clean.logLines[p.step]} lines` : '';
  process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'} [${planned.indexOf(p) + 1}] ${r.killed}${resumed} (${((performance.now() - begun) / 60000).toFixed(1)} min)` +
    `${r.ok ? '' : `\n  ${r.problems.join('\n  ')}`}\n`);
}

// world tables and world bench killed at their writes: every output whole (equal to an
// uninterrupted run's) or absent, and a stale temporary file swept by the next run.
const outputs: string[] = [];
let fileKills = 0;
let fileOk = 0;
if (!linux) await killTablesAndBench();
async function killTablesAndBench(): Promise<void> {
  const reference = join(dir, 'reference-tables');
  await world(['tables', '--quiet', '--out', reference, 'results/baseline.json']);
  const names = readdirSync(reference).sort();
  const labels = names.flatMap((n) => [`atomic:written results-k/${n}`, `atomic:renamed results-k/${n}`]);
  for (const label of labels) {
    rmSync(join(dir, 'results-k'), { recursive: true, force: true });
    const r = await world(['tables', '--quiet', '--out', 'results-k', 'results/baseline.json'], { WORLD_CRASH_AT: label });
    fileKills += 1;
    const bad: string[] = [];
    if (r.signal !== 'SIGKILL') bad.push(`not killed (exit ${r.exitCode})`);
    for (const n of names) {
      const f = join(dir, 'results-k', n);
      if (existsSync(f) && readFileSync(f, 'utf8') !== readFileSync(join(reference, n), 'utf8')) bad.push(`${n}: neither whole nor absent`);
    }
    const again = await world(['tables', '--quiet', '--out', 'results-k', 'results/baseline.json']);
    const left = readdirSync(join(dir, 'results-k')).filter((n) => !names.includes(n));
    if (again.exitCode !== 0 || left.length > 0) bad.push(`the next run: exit ${again.exitCode}, left ${left.join(', ') || 'nothing'}`);
    if (bad.length === 0) fileOk += 1; else outputs.push(`FAIL world tables killed at ${label}: ${bad.join('; ')}`);
  }
  // world bench: one short run, killed at the write of its results and while it runs.
  const benchArgs = ['bench', '--transfer', '64KiB', '--out', 'results-b', '-j', '1', 'hardware'];
  const benchKills: { what: string; env: Record<string, string>; afterMs?: number; signal?: 'SIGKILL' | 'SIGINT' }[] = [
    { what: 'at atomic:written latest.json', env: { WORLD_CRASH_AT: `atomic:written ${join(dir, 'results-b', 'latest.json')}` } },
    { what: 'at atomic:renamed latest.json', env: { WORLD_CRASH_AT: `atomic:renamed ${join(dir, 'results-b', 'latest.json')}` } },
    { what: 'SIGKILL 3 s in', env: {}, afterMs: 3000, signal: 'SIGKILL' },
    { what: 'SIGINT 3 s in', env: {}, afterMs: 3000, signal: 'SIGINT' },
  ];
  for (const k of benchKills) {
    rmSync(join(dir, 'results-b'), { recursive: true, force: true });
    const child = world(benchArgs, k.env);
    if (k.signal) setTimeout(() => child.kill(k.signal), k.afterMs);
    const r = await child;
    fileKills += 1;
    const bad: string[] = [];
    const f = join(dir, 'results-b', 'latest.json');
    if (existsSync(f)) { try { readResults(f); } catch (err) { bad.push(`latest.json not whole: ${(err as Error).message}`); } }
    if (k.signal === 'SIGINT' && r.exitCode !== 130 && r.exitCode !== 0) bad.push(`SIGINT: exit ${r.exitCode}`);
    if (k.env.WORLD_CRASH_AT && r.signal !== 'SIGKILL') bad.push(`not killed at ${k.env.WORLD_CRASH_AT} (exit ${r.exitCode})`);
    if (k.env.WORLD_CRASH_AT?.startsWith('atomic:renamed') && !existsSync(f)) bad.push('killed after the rename, yet no results file');
    if (bad.length === 0) fileOk += 1; else outputs.push(`FAIL world bench killed ${k.what}: ${bad.join('; ')}`);
    process.stdout.write(`${bad.length === 0 ? 'ok  ' : 'FAIL'} world bench killed ${k.what}: ${existsSync(f) ? 'results whole' : 'no results file'} (exit ${r.exitCode ?? r.signal})\n`);
  }
}
for (const o of outputs) process.stdout.write(o + '\n');

const ok = results.filter((r) => r.ok).length;
const crash = results.filter((r) => r.point.kind === 'crash').length;
const sigkill = results.filter((r) => r.point.kind === 'signal' && r.point.signal === 'SIGKILL').length;
const sigint = results.length - crash - sigkill;
const early = results.filter((r) => r.killed.endsWith('(finished first)')).length;
const stepsKilled = new Set(results.map((r) => r.point.step)).size;
const stepsPlanned = new Set(planned.map((p) => p.step)).size;
const part = points.length < planned.length ? ` (${points.length} of the ${planned.length} planned points run)` : '';
const resumed = results.filter((r) => r.resumed).length;
const minutes = `${((performance.now() - started) / 60000).toFixed(1)} min, load ${load} -> ${loadavg()[0]!.toFixed(1)}`;
if (linux) {
  process.stdout.write(`kill points in Linux: ${ok} of ${results.length} builds of the default world killed inside Linux's steps ` +
    `(${crash} at crash points between writes, ${sigkill} SIGKILL and ${sigint} SIGINT inside steps, over ${stepsKilled} of the ${stepsPlanned} Linux steps; ` +
    `${early} of the signals landed after the build had finished; ${resumed} reruns took up the killed kernel build's tree) ` +
    `rebuilt to the clean build's bytes with nothing orphaned in .world/${part} (${minutes})\n`);
} else {
  process.stdout.write(`kill points: ${ok} of ${results.length} builds of the default world (without Linux) killed ` +
    `(${crash} at crash points between writes, ${sigkill} SIGKILL and ${sigint} SIGINT inside steps, over all ${clean.steps.length} steps; ` +
    `${early} of the signals landed after the build had finished) ` +
    `rebuilt to the clean build's bytes with nothing orphaned in .world/${part}; world tables and bench killed ${fileKills} times: ${fileOk} left every file whole or absent ` +
    `(${minutes})\n`);
}
rmSync(dir, { recursive: true, force: true });
if (!keep && !reused) rmSync(clean.snapshot, { recursive: true, force: true });
else if (keep && !reused) process.stdout.write(`kept: ${clean.snapshot}, ${dir}-clean.json (--reuse it; remove both when done)\n`);
process.exitCode = ok === results.length && fileOk === fileKills ? 0 : 1;
