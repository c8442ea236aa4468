// A session over one world: its step graph, cache and key hashing, and the two things done with
// them — predicting what a build would do (`plan`) and doing it (`build`, `fetch`).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { sweepDeadTemps } from './atomic.ts';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Cache } from './cache.ts';
import { crashPoint } from './crashpoint.ts';
import { claimResumeDir, releaseResumeDir } from './resume.ts';
import { explainChange } from './explain.ts';
import { fetchFile, candidateUrls } from './fetch.ts';
import { buildGraph, selectSteps, type Graph, type Step } from './graph.ts';
import { KeyHasher, cacheKey } from './keys.ts';
import { layoutOf, type Layout } from './layout.ts';
import type { World } from './manifest/load.ts';
import { WorldMemo } from './manifest/memo.ts';
import { logTail, StepLog } from './run/logger.ts';
import { makeRunner } from './run/runner.ts';
import { schedule } from './run/scheduler.ts';
import { readRecord, writeRecord } from './state.ts';
import { Toolchain } from './toolchain.ts';
import { FileHashes } from './file-hashes.ts';
import { sourceFileName, sourceSha256, unpackArchive } from './unpack.ts';
import { fetchDeb } from './deb.ts';
import { applyLockPins, lockPath } from './lockfile.ts';
import type { Reporter, Summary } from './run/progress.ts';
import type { StageContext } from './recipe.ts';

/** Milliseconds on a monotonic clock, for the durations the reporter prints: process.hrtime, not
 *  the `performance` global, whose first use loads perf_hooks (a cost every no-op build paid). */
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export interface StepPlan {
  id: string;
  status: 'cached' | 'run' | 'waits';
  key?: string;
  reasons: string[];
}

export class StepFailed extends Error {
  constructor(readonly step: string, message: string, readonly logPath: string | null) { super(message); }
}

export interface BuildOptions {
  jobs: number;
  keepGoing: boolean;
  offline: boolean;
  signal: AbortSignal;
  reporter: Reporter;
  /** First retry delay for downloads. */
  fetchBackoffMs?: number;
  /** How long a download may wait for the server (default 30 s). */
  fetchTimeoutMs?: number;
}

export interface BuildResult { summary: Summary; interrupted: boolean; ok: boolean }

export class Session {
  readonly layout: Layout;
  readonly cache: Cache;
  readonly toolchain: Toolchain;
  readonly fileHashes: FileHashes;
  readonly hasher: KeyHasher;
  readonly graph: Graph;

  private constructor(readonly world: World, private readonly memo: WorldMemo) {
    this.layout = layoutOf(world.root);
    this.cache = new Cache(this.layout);
    this.toolchain = new Toolchain(this.layout.toolchain);
    this.fileHashes = new FileHashes(this.layout.fileHashes);
    this.hasher = new KeyHasher(world, this.toolchain, this.fileHashes);
    this.graph = buildGraph(world);
  }

  static async open(file: string): Promise<Session> {
    // The world as last read, when world.yaml and the recipes' declarations are unchanged
    // (manifest/memo.ts); otherwise read and checked, with the YAML parser loaded only then.
    const abs = resolve(file);
    const memo = new WorldMemo(layoutOf(dirname(abs)).world);
    let text: string | undefined;
    try { text = readFileSync(abs, 'utf8'); } catch { /* loadWorld says why */ }
    let world = text === undefined ? undefined : await memo.recall(abs, text);
    if (!world) {
      const { loadWorld } = await import('./manifest/load.ts');
      world = await loadWorld(file);
      if (text !== undefined) memo.remember(world, text);
    }
    applyLockPins(world);
    return new Session(world, memo);
  }

  select(targets: readonly string[], stages?: readonly string[]): string[] {
    const ids = selectSteps(this.graph, this.world, targets.length > 0 ? targets : this.world.targets);
    return stages ? ids.filter((id) => stages.includes(this.graph.steps.get(id)!.stage)) : ids;
  }

  step(id: string): Step { return this.graph.steps.get(id)!; }

  /** What a build of these steps would do, and why each step that runs must run. */
  plan(ids: readonly string[]): StepPlan[] {
    const artifacts = new Map<string, string>();
    const out: StepPlan[] = [];
    for (const id of ids) {
      const step = this.step(id);
      const unknown = step.deps.filter((d) => !artifacts.has(d));
      if (unknown.length > 0) {
        out.push({ id, status: 'waits', reasons: unknown.map((d) => `needs the output of ${d}, which will run`) });
        continue;
      }
      const k = this.hasher.keyInputs(step, (d) => artifacts.get(d)!);
      const key = cacheKey(k);
      const hit = this.cache.lookup(key);
      if (hit) { artifacts.set(id, hit); out.push({ id, status: 'cached', key, reasons: [] }); continue; }
      out.push({ id, status: 'run', key, reasons: explainChange(readRecord(this.layout, id), k) });
    }
    this.saveMemos();
    return out;
  }

  /** Keeps what this run learnt for the next: tool versions, file hashes by stat, the checked world. */
  private saveMemos(): void {
    this.toolchain.save();
    this.fileHashes.save();
    this.memo.save();
  }

  /** Removes what killed builds left in tmp/. Only called while holding the build lock. */
  sweepTemp(): void {
    crashPoint('sweep:before');
    // Checked first: rmSync loads Node's recursive remover, which a no-op build need not pay for.
    // Everything goes but the kept work of interrupted resumable steps (src/resume.ts).
    if (existsSync(this.layout.tmp)) {
      for (const name of readdirSync(this.layout.tmp)) {
        if (join(this.layout.tmp, name) !== this.layout.resume) rmSync(join(this.layout.tmp, name), { recursive: true, force: true });
      }
    }
    // And the temporary files of atomic writes cut short by a kill, beside their targets.
    const { state, keys, steps, out } = this.layout;
    let shards: string[] = [];
    try { shards = readdirSync(keys).map((d) => join(keys, d)); } catch { /* no keys yet */ }
    for (const dir of [state, keys, ...shards, steps, out]) sweepDeadTemps(dir);
  }

  async build(ids: readonly string[], opts: BuildOptions): Promise<BuildResult> {
    const started = nowMs();
    const artifacts = new Map<string, string>();
    let run = 0;
    let cached = 0;
    opts.reporter.begin([...ids]);
    const result = await schedule(ids, (id) => this.step(id).deps, async (id) => {
      try {
        const ran = await this.execute(this.step(id), artifacts, opts);
        if (ran) run += 1; else cached += 1;
        return ran;
      } catch (err) {
        // Reported as it happens (an interrupt is not a failure of the step).
        if (!opts.signal.aborted) {
          const logPath = err instanceof StepFailed ? err.logPath : null;
          opts.reporter.failed(id, (err as Error).message, logPath ? relative(process.cwd(), logPath) : null, logPath ? logTail(logPath) : []);
        }
        throw err;
      }
    }, {
      jobs: opts.jobs, keepGoing: opts.keepGoing, signal: opts.signal,
      onSkip: (id, cause) => opts.reporter.skipped(id, cause),
    });
    this.saveMemos();
    const summary: Summary = {
      run, cached, failed: opts.signal.aborted ? 0 : result.failed.size,
      skipped: result.skipped.length + result.notStarted.length,
      seconds: (nowMs() - started) / 1000,
      interrupted: opts.signal.aborted,
    };
    await opts.reporter.end(summary);
    return { summary, interrupted: opts.signal.aborted, ok: !opts.signal.aborted && result.failed.size === 0 && result.skipped.length === 0 && result.notStarted.length === 0 };
  }

  /** Runs one step, or finds its artifact in the cache. Returns whether it ran. */
  private async execute(step: Step, artifacts: Map<string, string>, opts: BuildOptions): Promise<boolean> {
    const k = this.hasher.keyInputs(step, (d) => artifacts.get(d)!);
    const key = cacheKey(k);
    const hit = this.cache.lookup(key);
    if (hit) {
      artifacts.set(step.id, hit);
      if (readRecord(this.layout, step.id)?.key !== key) writeRecord(this.layout, { step: step.id, key, artifact: hit, ...k });
      if (step.final) this.cache.install(step.unit, hit);
      opts.reporter.cached(step.id);
      return false;
    }
    opts.signal.throwIfAborted();
    opts.reporter.start(step.id);
    const begun = nowMs();
    mkdirSync(this.layout.tmp, { recursive: true });
    const tmp = mkdtempSync(join(this.layout.tmp, step.id.replace(/[^A-Za-z0-9@_-]/g, '_') + '-'));
    const log = new StepLog(join(this.layout.logs, step.unit, `${step.stage}.log`));
    crashPoint(`step:started ${step.id}`);
    try {
      log.info(`step ${step.id}`);
      log.info(`key ${key}`);
      const artifact = await this.runStage(step, artifacts, key, tmp, log, opts);
      crashPoint(`step:stored ${step.id}`);
      artifacts.set(step.id, artifact);
      writeRecord(this.layout, { step: step.id, key, artifact, ...k });
      if (step.final) this.cache.install(step.unit, artifact);
      log.info(`artifact ${artifact}`);
      opts.reporter.done(step.id, (nowMs() - begun) / 1000);
      return true;
    } catch (err) {
      log.info(`failed: ${(err as Error).message}`);
      throw new StepFailed(step.id, (err as Error).message.split('\n')[0]!, log.path);
    } finally {
      log.close();
      rmSync(tmp, { recursive: true, force: true });
      // A resumable step's work outlives an interrupt only: the next run takes it up.
      if (this.resumable(step) && !opts.signal.aborted) releaseResumeDir(this.layout, step.id);
    }
  }

  private resumable(step: Step): boolean {
    const r = step.builtin === null ? step.pkg.recipe.stages[step.stage]?.resumable : undefined;
    return typeof r === 'function' ? r(step.variant ?? step.pkg.variants[0]!) : r === true;
  }

  private async runStage(step: Step, artifacts: Map<string, string>, key: string, tmp: string,
    log: StepLog, opts: BuildOptions): Promise<string> {
    const { pkg } = step;
    const out = join(tmp, 'out');
    mkdirSync(out);
    let work = join(tmp, 'work');
    let resumed = false;
    if (this.resumable(step)) {
      ({ work, resumed } = claimResumeDir(this.layout, step.id, key));
      if (resumed) log.info('resuming the work of an interrupted run of this step');
    } else {
      mkdirSync(work);
    }
    const dir = (id: string | null): string | undefined => {
      if (id === null || !this.graph.steps.has(id)) return undefined;
      const a = artifacts.get(id);
      return a === undefined ? undefined : this.cache.artifactDir(a);
    };
    const run = makeRunner({
      cwd: work, logPath: log.path, signal: opts.signal, log: (l) => log.info(l),
      env: { SOURCE_DATE_EPOCH: '0', LC_ALL: 'C', TZ: 'UTC' },
    });
    if (step.builtin === 'fetch') {
      const src = pkg.source!;
      const name = sourceFileName(src);
      if (src.kind === 'deb') {
        if (!src.pin) throw new Error(`${pkg.name}: deb source ${src.deb} is not pinned in ${basename(lockPath(this.world))}; run 'world lock'`);
        await fetchDeb({ pkg: pkg.name, name: src.deb, pin: src.pin, destDir: out, mirrors: this.world.mirrors, offline: opts.offline,
          work, signal: opts.signal, log: (l) => log.info(l), backoffMs: opts.fetchBackoffMs });
      } else {
        const urls = src.kind === 'url'
          ? candidateUrls(src.url, [...src.mirrors, ...this.world.mirrors], opts.offline)
          : [pathToFileURL(join(this.world.root, src.kind === 'file' ? src.file : '')).href];
        await fetchFile({ urls, sha256: sourceSha256(src) ?? '', destDir: out, fileName: name,
          signal: opts.signal, log: (l) => log.info(l), backoffMs: opts.fetchBackoffMs, timeoutMs: opts.fetchTimeoutMs });
      }
    } else if (step.builtin === 'unpack') {
      await unpackArchive(join(dir(step.prev)!, sourceFileName(pkg.source!)), out, run);
    } else {
      const downloads = dir(`${pkg.name}:fetch`);
      const unpacked = step.stage === 'unpack' ? undefined : dir(`${pkg.name}:unpack`);
      const src = pkg.source?.kind === 'path' ? join(this.world.root, pkg.source.path) : unpacked ?? downloads ?? this.world.root;
      const deps: Record<string, string> = {};
      for (const [name, id] of Object.entries(step.depSteps)) deps[name] = dir(id)!;
      const ctx: StageContext = {
        package: pkg.name, variant: step.variant ?? pkg.variants[0]!, stage: step.stage, options: { ...pkg.options },
        dirs: { src, downloads, prev: dir(step.prev), out, work, resumed, deps, root: this.world.root },
        log, run, signal: opts.signal,
      };
      await pkg.recipe.stages[step.stage]!.run(ctx);
    }
    opts.signal.throwIfAborted();
    crashPoint(`step:ran ${step.id}`);
    if (!existsSync(out)) throw new Error('the stage removed its output directory');
    return this.cache.store(key, step.id, out);
  }
}
