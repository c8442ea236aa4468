// The step graph: every stage of every package variant as a node, with edges from the previous
// stage of the same package and from the last stage of each dependency. Targets select a part of
// it (with everything it needs). Package dependency cycles are found here and reported as a path.
import { isArchive } from './unpack.ts';
import { closest } from './manifest/suggest.ts';
import { SHARED_STAGES, STAGES, type StageName } from './recipe.ts';
import type { PackageDecl, World } from './manifest/load.ts';

export interface Step {
  /** `<unit>:<stage>`, e.g. `crc32:build` or `guest-kernel@afterburnt:build`. */
  id: string;
  pkg: PackageDecl;
  /** The package variant, or null for stages shared by all variants (fetch, unpack). */
  variant: string | null;
  /** `<package>` or `<package>@<variant>`: the name the unit is installed and logged under. */
  unit: string;
  stage: StageName;
  /** Done by the orchestrator itself rather than the recipe. */
  builtin: 'fetch' | 'unpack' | null;
  /** The previous stage of the same unit. */
  prev: string | null;
  /** Final steps of dependency units, by the name the recipe sees them under. */
  depSteps: Record<string, string>;
  /** Steps this one waits for: prev, and depSteps for the first stage of a unit. */
  deps: string[];
  /** The last stage of its unit, whose artifact is installed as .world/out/<unit>. */
  final: boolean;
}

export interface Graph {
  steps: Map<string, Step>;
  /** Step ids in a topological order (dependencies first), stable for a given world. */
  order: string[];
  /** The last step of each unit, by unit name. */
  finals: Map<string, string>;
}

export class CycleError extends Error {
  constructor(readonly cycle: string[], at: string, where: string) {
    super(`${at}: dependency cycle: ${cycle.join(' -> ')}\n  ${where}`);
    this.name = 'CycleError';
  }
}

export class TargetError extends Error {}

export function unitName(pkg: PackageDecl, variant: string | null): string {
  const many = (pkg.recipe.variants ?? ['default']).length > 1;
  return variant === null || !many ? pkg.name : `${pkg.name}@${variant}`;
}

function stagesOf(pkg: PackageDecl): { stage: StageName; builtin: 'fetch' | 'unpack' | null; variants: string[] | null }[] {
  const out: { stage: StageName; builtin: 'fetch' | 'unpack' | null; variants: string[] | null }[] = [];
  const remote = pkg.source !== null && pkg.source.kind !== 'path';
  for (const stage of STAGES) {
    const def = pkg.recipe.stages[stage];
    if (stage === 'fetch' && remote) { out.push({ stage, builtin: 'fetch', variants: null }); continue; }
    if (stage === 'unpack' && remote && !def && isArchive(pkg.source!)) { out.push({ stage, builtin: 'unpack', variants: null }); continue; }
    if (!def) continue;
    const shared = SHARED_STAGES.includes(stage);
    out.push({ stage, builtin: null, variants: shared ? null : def.variants ?? pkg.variants });
  }
  return out;
}

function findCycle(world: World): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(name)), name];
      const file = world.file.split('/').pop();
      const where = cycle.slice(0, -1).map((n) => {
        const p = world.packages.get(n)!;
        return `${n} (declared at ${file}:${p.pos.line}:${p.pos.col})`;
      }).join(', ');
      // Led by the first package's position and key path, as every manifest error is.
      const first = world.packages.get(cycle[0]!)!;
      throw new CycleError(cycle, `${file}:${first.pos.line}:${first.pos.col}: packages.${cycle[0]}.depends`, where);
    }
    state.set(name, 'visiting');
    stack.push(name);
    for (const d of world.packages.get(name)!.depends) visit(d);
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of [...world.packages.keys()].sort()) visit(name);
}

export function buildGraph(world: World): Graph {
  findCycle(world);
  const steps = new Map<string, Step>();
  const finals = new Map<string, string>();
  const order: string[] = [];
  const done = new Set<string>();
  const addPackage = (name: string): void => {
    if (done.has(name)) return;
    done.add(name);
    const pkg = world.packages.get(name)!;
    for (const d of pkg.depends) addPackage(d);
    const depSteps: Record<string, string> = {};
    for (const d of pkg.depends) {
      const dp = world.packages.get(d)!;
      dp.variants.forEach((v, i) => {
        const f = finals.get(unitName(dp, v));
        if (f === undefined) return;
        if (i === 0) depSteps[d] = f;
        depSteps[`${d}@${v}`] = f;
      });
    }
    const stages = stagesOf(pkg);
    let sharedPrev: string | null = null;
    for (const s of stages.filter((x) => x.variants === null)) {
      const id = `${pkg.name}:${s.stage}`;
      const deps = sharedPrev ? [sharedPrev] : [];
      steps.set(id, { id, pkg, variant: null, unit: pkg.name, stage: s.stage, builtin: s.builtin, prev: sharedPrev, depSteps: {}, deps, final: false });
      order.push(id);
      sharedPrev = id;
    }
    for (const variant of pkg.variants) {
      let prev = sharedPrev;
      const unit = unitName(pkg, variant);
      let first = true;
      for (const s of stages.filter((x) => x.variants !== null && x.variants.includes(variant))) {
        const id = `${unit}:${s.stage}`;
        // Only the unit's first stage waits for the dependencies; later ones wait for it.
        const deps = [...new Set([...(prev ? [prev] : []), ...(first ? Object.values(depSteps) : [])])].sort();
        first = false;
        steps.set(id, { id, pkg, variant, unit, stage: s.stage, builtin: null, prev, depSteps, deps, final: false });
        order.push(id);
        prev = id;
      }
      if (prev) { finals.set(unit, prev); steps.get(prev)!.final = true; }
    }
  };
  for (const name of [...world.packages.keys()].sort()) addPackage(name);
  return { steps, order, finals };
}

/**
 * The steps needed for some targets, in order. A target is `<package>` (all its variants),
 * `<package>@<variant>`, or either followed by `:<stage>`.
 */
export function selectSteps(graph: Graph, world: World, targets: readonly string[]): string[] {
  const wanted = new Set<string>();
  const need = (id: string): void => {
    if (wanted.has(id)) return;
    wanted.add(id);
    for (const d of graph.steps.get(id)!.deps) need(d);
  };
  for (const t of targets) {
    const m = /^([^@:]+)(?:@([^:]+))?(?::(.+))?$/.exec(t);
    const pkg = m ? world.packages.get(m[1]!) : undefined;
    if (!m || !pkg) {
      const names = [...world.packages.keys()];
      const hint = m ? closest(m[1]!, names) : undefined;
      throw new TargetError(`no package '${t}' in ${world.file.split('/').pop()}${hint ? `; did you mean '${hint}'?` : ''} (packages: ${names.join(', ')})`);
    }
    const variants = m[2] ? [m[2]] : pkg.variants;
    for (const v of variants) {
      if (!pkg.variants.includes(v)) throw new TargetError(`package '${pkg.name}' has no variant '${v}' in this world; variants: ${pkg.variants.join(', ')}`);
      const unit = unitName(pkg, v);
      if (m[3]) {
        const id = graph.steps.has(`${unit}:${m[3]}`) ? `${unit}:${m[3]}` : `${pkg.name}:${m[3]}`;
        if (!graph.steps.has(id)) throw new TargetError(`'${unit}' has no stage '${m[3]}'`);
        need(id);
      } else {
        const f = graph.finals.get(unit) ?? [...graph.steps.values()].filter((s) => s.pkg === pkg).pop()?.id;
        if (f) need(f);
      }
    }
  }
  return graph.order.filter((id) => wanted.has(id));
}
