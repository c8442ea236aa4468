// Whether a bench configuration can run in this tree: its back-end is available (harness/backends.ts)
// and its guest and wedge units can be built here (the package is declared, the recipe has the
// variant, world.yaml lists it, and the trees its stages read are in the checkout). The reasons
// are fixed text, so a results file that records them stays byte-identical.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { stageInputs, STAGES } from './recipe.ts';
import type { World } from './manifest/load.ts';
import type { ConfigurationDecl } from '../harness/matrix.ts';
import { backendAvailability } from '../harness/backends.ts';

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

/** Why a configuration cannot run here, or null. */
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
