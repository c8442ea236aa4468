// `world bench`: runs world.yaml's benchmark matrix (configurations x workloads) and writes
// results/<name>.json. The work is in harness/; this module reads the command line.
import { join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { existsSync, statSync } from 'node:fs';
import { parseCommandArgs, UsageError, parseSizeOption, type Command } from './command.ts';
import { openSession, parseJobs, runBuild, shownPath, WORLD_OPTION_HELP } from './common.ts';
import { closest } from '../manifest/suggest.ts';
import { MAX_TRANSFER_BYTES } from '../../harness/matrix.ts';

const usage = `usage: world bench [options] [configuration...]

Runs the benchmark matrix of world.yaml's bench: section: every configuration (a guest variant on
a back-end, with a wedge for afterburnt guests on a hypervisor) under every workload (netperf
send and receive). Guests are built through the cache first (as world build does). Runs go to
worker processes, -j at a time. Configurations whose back-end, guest variant or wedge is not in
this tree are recorded as "not run" with the reason. Writes <out>/<name>.json: the figures and
their provenance, sorted keys, the same bytes on every run of the same tree (except "host").

options:
${WORLD_OPTION_HELP}
  -j, --jobs <n>      runs at once, each in its own process (default: number of cores)
      --name <name>   results file name (default: latest; with --shard: shard-I-of-N)
      --out <dir>     where results go (default: results/ next to world.yaml)
      --transfer SIZE bytes per netperf run, overriding bench.transfer (e.g. 256KiB, 4M; a
                      whole number with an optional unit B, K/KiB, M/MiB, G/GiB; bare = bytes)
      --shard I/N     run only slice I of N of the matrix (merge the slices with world merge)
      --matrix-json   print a GitHub Actions matrix of the shards (with --shards N) and exit
      --shards <n>    number of shards for --matrix-json (default: one per runnable run)
      --list          print the matrix (each run and whether it runs here) and exit
      --plain         plain progress lines for the build
      --isolate       a fresh worker process for every run (default: each worker runs
                      several in turn, which gives the same figures and skips the starts)
      --history DIR   also add the results to the history folder DIR as their commit's entry
                      (world history add; not with --shard: merge the shards, then add)

Exit status: 0 results written, 1 a build or run failed (nothing written), 2 bad input, or
the history refused the results (a tree that differed from its commit; the results file is
written all the same).
`;

async function run(args: string[]): Promise<number> {
  const parsed = parseCommandArgs({ args, allowPositionals: true, options: {
    file: { type: 'string', short: 'f' }, jobs: { type: 'string', short: 'j' }, name: { type: 'string' },
    out: { type: 'string' }, transfer: { type: 'string' }, shard: { type: 'string' },
    'matrix-json': { type: 'boolean' }, shards: { type: 'string' }, list: { type: 'boolean' }, plain: { type: 'boolean' },
    history: { type: 'string' }, isolate: { type: 'boolean' },
  } });
  const v = parsed.values;
  const jobs = v.jobs === undefined ? availableParallelism() : parseJobs(v.jobs);
  const { parseShard, planMatrix, actionsMatrix, runKey } = await import('../../harness/matrix.ts');
  const shard = v.shard === undefined ? null : parseShard(v.shard);
  if (shard === undefined) throw new UsageError(`--shard '${v.shard}': expected I/N with 1 <= I <= N, e.g. 1/2`);
  if (shard && v.history !== undefined) throw new UsageError('--history with --shard: a history entry holds a whole run; merge the shards (world merge), then world history add');
  const transfer = v.transfer === undefined ? undefined : parseSizeOption('--transfer', v.transfer);
  if (transfer !== undefined && transfer > MAX_TRANSFER_BYTES) throw new UsageError(`--transfer '${v.transfer}': less than 4GiB (the guests count it in 32 bits)`);
  const shards = v.shards === undefined ? undefined : Number(v.shards);
  if (shards !== undefined && !(Number.isInteger(shards) && shards >= 1)) throw new UsageError(`--shards '${v.shards}': expected a positive integer`);
  if (v.name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v.name)) throw new UsageError(`--name '${v.name}': expected a file name (letters, digits, . _ -)`);

  const session = await openSession(v.file);
  if (!session) return 2;
  const world = session.world;
  if (!world.bench) {
    process.stderr.write(`world bench: ${shownPath(world.file)} has no bench: section (see 'world schema' for its keys)\n`);
    return 2;
  }
  const bench = { ...world.bench, ...(transfer !== undefined ? { transferBytes: transfer } : {}) };
  const names = bench.configurations.map((c) => c.name);
  for (const p of parsed.positionals) {
    if (!names.includes(p)) {
      const hint = closest(p, names);
      process.stderr.write(`world bench: no configuration '${p}' in ${shownPath(world.file)}; expected one of: ${names.join(', ')}${hint ? `; did you mean '${hint}'?` : ''}\n`);
      return 2;
    }
  }
  const selected = parsed.positionals.length > 0 ? { ...bench, configurations: bench.configurations.filter((c) => parsed.positionals.includes(c.name)) } : bench;
  const { configurationProblem } = await import('../runnable.ts');
  const runs = planMatrix(selected, (c) => configurationProblem(world, c));

  if (v['matrix-json']) {
    process.stdout.write(JSON.stringify(actionsMatrix(runs, shards)) + '\n');
    return 0;
  }
  if (v.list) {
    for (const r of runs) process.stdout.write(`${runKey(r).padEnd(36)} ${r.notRun === null ? `runs on ${r.configuration.backend}` : `not run: ${r.notRun}`}\n`);
    return 0;
  }
  const outDir = resolve(v.out ?? join(world.root, 'results'));
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) {
    process.stderr.write(`world bench: --out ${v.out}: not a folder\n`);
    return 2;
  }
  const name = v.name ?? (shard ? `shard-${shard.index}-of-${shard.count}` : 'latest');

  const { runBench } = await import('../../harness/bench.ts');
  const { configurationImages, OutputError } = await import('../outputs.ts');
  const { formatResults } = await import('../../harness/results.ts');
  const { provenance } = await import('../provenance.ts');
  const { sweepDeadTemps, writeFileAtomic } = await import('../atomic.ts');
  const { compiledFile } = await import('../compiled.ts');
  const { WORKER_SOURCE } = await import('../../harness/pool.ts');
  const { costEstimates } = await import('../../harness/schedule.ts');
  const { readResults } = await import('../../harness/results.ts');
  // Running compiled code, the workers run the compiled worker too (no tsx start per run).
  const compiledWorker = compiledFile(WORKER_SOURCE);
  // The longest runs start first; their cost is read from the results this run replaces, else
  // from the committed baseline (guest instruction counts; without either, matrix order).
  const path = join(outDir, `${name}.json`);
  const estimates = [path, join(world.root, 'results', 'baseline.json')].map((p) => {
    try { return costEstimates(readResults(p)); } catch { return null; }
  }).find((e) => e !== null) ?? undefined;
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const outcome = await runBench({
      root: world.root, bench: selected, runs, shard, jobs, signal: controller.signal,
      provenance: () => provenance(world.root, world.file, selected.profile),
      ...(compiledWorker ? { worker: { file: compiledWorker, execArgv: [] } } : {}),
      ...(estimates ? { estimates } : {}), ...(v.isolate ? { isolate: true } : {}),
      say: (line) => process.stderr.write(line + '\n'),
      images: (c) => configurationImages(world, c),
      build: async (units) => (await runBuild({
        file: v.file, targets: units, jobs, keepGoing: false, offline: false, wait: true, progress: v.plain ? 'plain' : 'auto',
      })) === 0,
    });
    if (controller.signal.aborted) { process.stderr.write('world bench: interrupted; nothing written\n'); return 130; }
    if (!outcome.ok) {
      process.stderr.write(`world bench: ${outcome.message}\n`);
      return 1;
    }
    sweepDeadTemps(outDir); // what a killed run left half-written
    writeFileAtomic(path, formatResults(outcome.results));
    const ran = outcome.results.runs.filter((r) => r.status === 'ok').length;
    process.stdout.write(`wrote ${shownPath(path)}: ${ran} run(s), ${outcome.results.runs.length - ran} not run\n`);
    if (v.history !== undefined) {
      const { addToHistory } = await import('../../harness/history.ts');
      const { ResultsError } = await import('../../harness/results.ts');
      try {
        const h = addToHistory(v.history, outcome.results, shownPath(path), { root: world.root });
        process.stdout.write(`${h.status} ${shownPath(resolve(h.file))}\n`);
      } catch (err) {
        if (err instanceof ResultsError) { process.stderr.write(`world bench: --history: ${err.message}\n`); return 2; }
        throw err;
      }
    }
    return 0;
  } catch (err) {
    if (err instanceof OutputError) { process.stderr.write(`world bench: ${err.message}\n`); return 2; }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export const command: Command = {
  name: 'bench',
  summary: 'run the benchmark matrix of world.yaml and write results/<name>.json',
  usage,
  run,
};
