// Kill-point builds: a world is built once cleanly, then for each kill point one step's cache
// entry is taken away, `world build` is started and killed at that point (SIGKILL at a named
// crash point between two durable writes, src/crashpoint.ts; or SIGKILL or SIGINT after a share
// of the step's clean duration, inside its processes), and `world build` is run again. It must
// complete, install the clean build's bytes for every unit, and leave nothing in .world/ outside
// tmp/ that audit.ts finds orphaned or partial. Used by killpoints.test.ts (the basic fixture, a
// short sample) and scripts/reliability-killpoints.ts (the default world, the full figure).
import { cpSync, existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, rmSync, unlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { execa } from 'execa';
import { auditState, installedHashes } from './audit.ts';

export const worldBin = new URL('../../bin/world.js', import.meta.url).pathname;

export type KillPoint =
  | { kind: 'crash'; step: string; label: string }
  | { kind: 'signal'; step: string; signal: 'SIGKILL' | 'SIGINT'; share: number; by?: 'time' | 'log' };

export interface StepTiming { step: string; seconds: number }

/** Where a step's log is written (src/run/logger.ts): .world/logs/<unit>/<stage>.log. */
export function stepLogPath(dir: string, step: string): string {
  const at = step.lastIndexOf(':');
  return join(dir, '.world', 'logs', step.slice(0, at), `${step.slice(at + 1)}.log`);
}

function lineCount(path: string): number {
  try { return readFileSync(path, 'utf8').split('\n').length - 1; } catch { return 0; }
}

export interface CleanBuild {
  hashes: Record<string, string>;
  steps: StepTiming[];
  /** The crash points the clean build passed, in order (labels). */
  points: string[];
  /** Lines each step's log held after the clean build (a make's progress, one line per target). */
  logLines: Record<string, number>;
  snapshot: string;
}

export interface KillResult {
  point: KillPoint; ok: boolean; problems: string[]; killed: string;
  /** The next build took up the killed step's kept work (a resumable stage, src/resume.ts). */
  resumed: boolean;
  /** Lines of the killed step's log in the next build, against the clean build's (how much was redone). */
  rerunLines: number;
}

interface RunOutcome { exitCode: number | undefined; signal: string | undefined; output: string; started: Set<string> }

/**
 * Copies a state directory, leaving out sockets (the afterburner daemon's, which cannot be copied
 * and is remade). Artifacts are linked, not copied: nothing writes into cas/ once an artifact is
 * stored (the audit hashes each again), and the Linux tree there is a gigabyte of small files.
 */
function copyState(from: string, to: string): void {
  const cas = join(from, 'cas');
  cpSync(from, to, { recursive: true, verbatimSymlinks: true, filter: (src) => src !== cas && !lstatSync(src).isSocket() });
  if (existsSync(cas)) execFileSync('cp', ['-al', cas, join(to, 'cas')]);
}

/** The processes whose working directory is inside `dir`: a killed build's make and compilers. */
function processesIn(dir: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try { if (readlinkSync(`/proc/${p}/cwd`).startsWith(dir + '/')) out.push(Number(p)); } catch { /* gone or not ours */ }
  }
  return out;
}

/**
 * Kills what a killed build left running (its steps run in their own process groups, so they
 * outlive it), as a power cut would have: otherwise they would go on writing into tmp/ while
 * the next build sweeps it.
 */
export async function killLeftovers(dir: string): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const pids = processesIn(dir);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try { process.kill(-pid, 'SIGKILL'); } catch { /* not a group leader */ }
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Calls `each` with every JSON event line (`world build --json`) that `child` prints, as it prints it. */
function onBuildEvents(child: { stdout: NodeJS.ReadableStream | null }, each: (e: { event: string; step?: string }) => void): void {
  let buffer = '';
  child.stdout?.on('data', (d: Buffer) => {
    buffer += d.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let e: { event: string; step?: string };
      try { e = JSON.parse(line) as { event: string; step?: string }; } catch { continue; /* not an event line */ }
      each(e);
    }
  });
}

/** When a build is signalled once the named step has started: after a time, or once the step's
 *  log holds a number of lines (a point in a make's progress, whatever the machine's load). */
type Trigger = { step: string; signal: 'SIGKILL' | 'SIGINT' } & ({ afterMs: number } | { logLines: number });

/** Runs `world build` in `dir` with `env`; `kill` may signal it once the named step has started. */
async function build(dir: string, env: Record<string, string>, args: string[], kill?: Trigger): Promise<RunOutcome> {
  const child = execa('node', [worldBin, 'build', '--json', '--no-wait', ...args], { cwd: dir, reject: false, all: true, env: { CI: 'true', ...env } });
  const started = new Set<string>();
  let poll: NodeJS.Timeout | undefined;
  onBuildEvents(child, (e) => {
    if (e.event === 'start' && e.step) {
      started.add(e.step);
      if (!kill || e.step !== kill.step) return;
      if ('afterMs' in kill) { setTimeout(() => child.kill(kill.signal), kill.afterMs); return; }
      const log = stepLogPath(dir, kill.step);
      poll = setInterval(() => {
        if (lineCount(log) < kill.logLines) return;
        clearInterval(poll);
        child.kill(kill.signal);
      }, 200);
    }
  });
  const r = await child;
  clearInterval(poll);
  return { exitCode: r.exitCode, signal: r.signal, output: r.all ?? '', started };
}

/** Builds the world in `dir` from nothing; keeps a copy of .world/ to start each kill point from. */
export async function cleanBuild(dir: string, args: string[] = []): Promise<CleanBuild> {
  rmSync(join(dir, '.world'), { recursive: true, force: true });
  const trace = join(dir, 'crash-trace.txt');
  rmSync(trace, { force: true });
  const begun = new Map<string, number>();
  const steps: StepTiming[] = [];
  const child = execa('node', [worldBin, 'build', '--json', '--no-wait', ...args], { cwd: dir, reject: false, all: true, env: { CI: 'true', WORLD_CRASH_TRACE: trace } });
  onBuildEvents(child, (e) => {
    if (e.event === 'start' && e.step) begun.set(e.step, performance.now());
    if (e.event === 'done' && e.step) steps.push({ step: e.step, seconds: (performance.now() - begun.get(e.step)!) / 1000 });
  });
  const r = await child;
  if (r.exitCode !== 0) throw new Error(`the clean build failed:\n${r.all}`);
  const problems = auditState(join(dir, '.world'));
  if (problems.length > 0) throw new Error(`the clean build's .world/ does not pass the audit:\n${problems.join('\n')}`);
  const snapshot = `${dir}-clean-state`; // beside the world, not in it: nothing hashes it
  rmSync(snapshot, { recursive: true, force: true });
  copyState(join(dir, '.world'), snapshot);
  const logLines: Record<string, number> = {};
  for (const { step } of steps) logLines[step] = lineCount(stepLogPath(dir, step));
  return { hashes: installedHashes(join(dir, '.world')), steps, points: readFileSync(trace, 'utf8').split('\n').filter(Boolean), logLines, snapshot };
}

/** .world/ as the clean build left it, less one step's cache entry (its key, record, artifact, link). */
function restoreWithout(dir: string, clean: CleanBuild, step: string): void {
  const state = join(dir, '.world');
  rmSync(state, { recursive: true, force: true });
  copyState(clean.snapshot, state);
  const keys = join(state, 'keys');
  const entries: { file: string; artifact: string; step: string }[] = [];
  for (const shard of readdirSync(keys)) {
    for (const f of readdirSync(join(keys, shard))) {
      const e = JSON.parse(readFileSync(join(keys, shard, f), 'utf8')) as { artifact: string; step: string };
      entries.push({ file: join(keys, shard, f), ...e });
    }
  }
  const mine = entries.filter((e) => e.step === step);
  if (mine.length === 0) throw new Error(`no cache entry of step ${step}`);
  for (const e of mine) {
    unlinkSync(e.file);
    // Units installed from it are uninstalled (two variants may install the same bytes); the
    // artifact itself goes unless another step's key still refers to it.
    const out = join(state, 'out');
    for (const unit of readdirSync(out)) if (readlinkSync(join(out, unit)).endsWith(e.artifact)) unlinkSync(join(out, unit));
    if (!entries.some((o) => o.step !== step && o.artifact === e.artifact)) rmSync(join(state, 'cas', e.artifact), { recursive: true, force: true });
  }
  rmSync(join(state, 'steps', `${step.replace(/[/\\]/g, '_')}.json`), { force: true });
}

/** One kill point: take the step away, kill the build there, build again, check. */
export async function runKillPoint(dir: string, clean: CleanBuild, point: KillPoint, args: string[] = []): Promise<KillResult> {
  restoreWithout(dir, clean, point.step);
  // The toolchain record is written only when a tool is new to it: start without it to reach those points.
  if (point.kind === 'crash' && point.label.endsWith('toolchain.json')) rmSync(join(dir, '.world/toolchain.json'), { force: true });
  const problems: string[] = [];
  let killed: string;
  if (point.kind === 'crash') {
    const trace = join(dir, 'crash-trace.txt');
    rmSync(trace, { force: true });
    const r = await build(dir, { WORLD_CRASH_AT: point.label, WORLD_CRASH_TRACE: trace }, args);
    const passed = existsSync(trace) ? readFileSync(trace, 'utf8').split('\n').filter(Boolean) : [];
    killed = `SIGKILL at ${point.label}`;
    if (r.signal !== 'SIGKILL') problems.push(`the build was not killed at '${point.label}' (exit ${r.exitCode ?? r.signal}; it passed ${passed.length} points)`);
  } else {
    let r: RunOutcome;
    if (point.by === 'log') {
      const logLines = Math.max(1, Math.round((clean.logLines[point.step] ?? 0) * point.share));
      r = await build(dir, {}, args, { step: point.step, logLines, signal: point.signal });
      killed = `${point.signal} in ${point.step} at log line ${logLines} of ${clean.logLines[point.step]}`;
    } else {
      const timing = clean.steps.find((s) => s.step === point.step);
      const afterMs = Math.round((timing?.seconds ?? 0) * 1000 * point.share);
      r = await build(dir, {}, args, { step: point.step, afterMs, signal: point.signal });
      killed = `${point.signal} ${afterMs} ms into ${point.step}`;
    }
    if (!r.started.has(point.step)) problems.push(`${point.step} never started:\n${r.output.slice(-2000)}`);
    if (point.signal === 'SIGINT') {
      // Interrupted, or finished before the signal landed (a short step).
      if (r.exitCode !== 130 && r.exitCode !== 0) problems.push(`SIGINT: exit ${r.exitCode ?? r.signal}, not 130:\n${r.output.slice(-2000)}`);
      if (r.exitCode === 0) killed += ' (finished first)';
      // An interrupted build cleans up after itself: nothing to find even before the next build.
      for (const p of auditState(join(dir, '.world'))) problems.push(`after SIGINT: ${p}`);
      // Only the work of an interrupted resumable step stays, kept for the next build (src/resume.ts).
      const left = existsSync(join(dir, '.world/tmp')) ? readdirSync(join(dir, '.world/tmp')).filter((n) => n !== 'resume') : [];
      if (left.length > 0) problems.push(`after SIGINT: tmp/ not emptied (${left.join(', ')})`);
    } else if (r.signal !== 'SIGKILL' && r.exitCode !== 0) {
      problems.push(`SIGKILL: ended with ${r.exitCode ?? r.signal}:\n${r.output.slice(-2000)}`);
    } else if (r.exitCode === 0) {
      killed += ' (finished first)';
    }
  }
  await killLeftovers(dir);
  const again = await build(dir, {}, args);
  if (again.exitCode !== 0) problems.push(`the next build failed (exit ${again.exitCode ?? again.signal}):\n${again.output.slice(-3000)}`);
  const hashes = installedHashes(join(dir, '.world'));
  for (const unit of new Set([...Object.keys(clean.hashes), ...Object.keys(hashes)])) {
    if (hashes[unit] !== clean.hashes[unit]) problems.push(`out/${unit}: ${hashes[unit] ?? 'absent'}, the clean build installed ${clean.hashes[unit] ?? 'nothing'}`);
  }
  for (const p of auditState(join(dir, '.world'))) problems.push(p);
  // A completed build keeps no work for resuming: what it took up, it released.
  const kept = join(dir, '.world/tmp/resume');
  if (again.exitCode === 0 && existsSync(kept) && readdirSync(kept).length > 0) problems.push(`the next build left kept work in tmp/resume: ${readdirSync(kept).join(', ')}`);
  const rerunLog = existsSync(stepLogPath(dir, point.step)) ? readFileSync(stepLogPath(dir, point.step), 'utf8') : '';
  const resumed = rerunLog.includes('world: resuming the work of an interrupted run');
  return { point, ok: problems.length === 0, problems, killed, resumed, rerunLines: lineCount(stepLogPath(dir, point.step)) };
}

/** The crash labels a step passes, from the clean build's trace: the points inside that step
 *  (installing its unit only when it is the unit's last step). */
export function crashLabelsOf(clean: CleanBuild, step: string): string[] {
  const unit = step.slice(0, step.lastIndexOf(':'));
  const final = clean.steps.filter((s) => s.step.startsWith(`${unit}:`)).at(-1)?.step === step;
  return [...new Set(clean.points.filter((l) => l.endsWith(` ${step}`) || l.endsWith(`/${step}.json`) || (final && l.endsWith(` ${unit}`))))];
}

/** Crash points of the build as a whole (the lock, the sweep of tmp/, the toolchain record). */
export function globalCrashLabels(clean: CleanBuild): string[] {
  return [...new Set(clean.points.filter((l) => l.startsWith('lock:') || l.startsWith('sweep:') || l.endsWith('toolchain.json')))];
}

/**
 * The kill points of a world: for every step, crash labels taken in turn (perStep of them), a
 * SIGKILL at 30% and 70% (or `shares`) of each step that ran for `longSeconds` or more, and a SIGINT at 50% of
 * every other long step.
 */
export function planKillPoints(clean: CleanBuild, o: { perStep: number; longSeconds: number; shares?: number[] }): KillPoint[] {
  const out: KillPoint[] = [];
  for (const label of globalCrashLabels(clean)) out.push({ kind: 'crash', step: clean.steps[0]!.step, label });
  clean.steps.forEach(({ step }, i) => {
    const labels = crashLabelsOf(clean, step);
    for (let j = 0; j < Math.min(o.perStep, labels.length); j++) out.push({ kind: 'crash', step, label: labels[(i + j) % labels.length]! });
  });
  const long = clean.steps.filter((s) => s.seconds >= o.longSeconds);
  long.forEach(({ step }, i) => {
    for (const share of o.shares ?? [0.3, 0.7]) out.push({ kind: 'signal', step, signal: 'SIGKILL', share });
    if (i % 2 === 0) out.push({ kind: 'signal', step, signal: 'SIGINT', share: 0.5 });
  });
  return out;
}
