// The benchmark matrix: world.yaml's bench configurations x workloads, in declaration order;
// whether each configuration can run in this tree, and the fixed-text reason when not (also what
// `world netperf --config` checks); the deterministic slices that `world bench --shard I/N` runs;
// and the GitHub Actions matrix of those slices (`world bench --matrix-json`).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchDecl, ConfigurationDecl, WorkloadDecl } from '../src/manifest/bench.ts';
import type { World } from '../src/manifest/load.ts';
import { stageInputs, STAGES } from '../src/recipe.ts';
import { backendAvailability } from './backends.ts';

export interface PlannedRun {
  configuration: ConfigurationDecl;
  workload: WorkloadDecl;
  /** Why this run cannot run here; null when it can. */
  notRun: string | null;
}

export function runKey(r: PlannedRun): string {
  return `${r.configuration.name}/${r.workload.name}`;
}

/** Why a package@variant cannot be built in this world, or null when it can. */
export function unitProblem(world: World, ref: string): string | null {
  const [pkgName, variant] = ref.split('@') as [string, string];
  const pkg = world.packages.get(pkgName);
  if (!pkg) return `world.yaml declares no package '${pkgName}'`;
  const variants = pkg.recipe.variants ?? ['default'];
  if (!variants.includes(variant)) return `recipe '${pkg.recipeName}' has no variant '${variant}' (it has ${variants.join(', ')})`;
  if (!pkg.variants.includes(variant)) return `packages.${pkgName}.variants does not list '${variant}'`;
  // A declared input tree that is not in the checkout (e.g. afterburner/ before it lands).
  for (const stage of STAGES) {
    const s = pkg.recipe.stages[stage];
    if (!s || (s.variants && !s.variants.includes(variant))) continue;
    for (const p of stageInputs(s, variant, pkg.options).paths ?? []) {
      if (!existsSync(join(world.root, p))) return `${ref} needs ${p}/, which is not in this tree`;
    }
  }
  return null;
}

/** Why a configuration cannot run here, or null. Reasons are fixed text, so results stay byte-identical. */
export function configurationProblem(world: World, c: ConfigurationDecl): string | null {
  const reasons: string[] = [];
  const backend = backendAvailability(c.backend);
  if (backend) reasons.push(backend);
  const guest = unitProblem(world, c.guest);
  if (guest) reasons.push(`guest ${c.guest}: ${guest}`);
  if (c.backend !== 'hardware' && c.wedge === null && c.guest.endsWith('@afterburnt')) reasons.push('an afterburnt guest on a hypervisor needs a wedge');
  if (c.wedge) {
    const wedge = unitProblem(world, c.wedge);
    if (wedge) reasons.push(`wedge ${c.wedge}: ${wedge}`);
  }
  return reasons.length > 0 ? reasons.join('; ') : null;
}

export function planMatrix(world: World, bench: BenchDecl): PlannedRun[] {
  const out: PlannedRun[] = [];
  for (const configuration of bench.configurations) {
    const notRun = configurationProblem(world, configuration);
    for (const workload of bench.workloads) out.push({ configuration, workload, notRun });
  }
  return out;
}

export interface Shard { index: number; count: number }

export function parseShard(text: string): Shard | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return count >= 1 && index >= 1 && index <= count ? { index, count } : undefined;
}

/**
 * The runs shard I of N owns: the runnable runs dealt round-robin in matrix order (so shards
 * get similar work), and every not-run entry in shard 1 (they cost nothing).
 */
export function shardRuns(runs: PlannedRun[], shard: Shard): PlannedRun[] {
  let k = 0;
  return runs.filter((r) => {
    if (r.notRun !== null) return shard.index === 1;
    return k++ % shard.count === shard.index - 1;
  });
}

/** A GitHub Actions matrix: one entry per shard, `shard: "I/N"`; N defaults to the runnable runs (at least 1). */
export function actionsMatrix(runs: PlannedRun[], count?: number): { include: { shard: string; runs: string }[] } {
  const n = count ?? Math.max(1, runs.filter((r) => r.notRun === null).length);
  const include = [];
  for (let i = 1; i <= n; i++) {
    const mine = shardRuns(runs, { index: i, count: n }).filter((r) => r.notRun === null);
    include.push({ shard: `${i}/${n}`, runs: mine.map(runKey).join(' ') || '(not-run entries only)' });
  }
  return { include };
}
