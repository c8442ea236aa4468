// Where a built unit's declared outputs lie: the files its recipe names in `outputs` (kernel,
// initrd, wedge...), inside the unit's installed folder .world/out/<package>[@variant]. The
// bench and `world netperf` read a configuration's images from here, so a recipe that installs
// other file names (a Linux bzImage and initramfs) needs no change in the harness.
import { join } from 'node:path';
import { layoutOf } from './layout.ts';
import { unitName } from './graph.ts';
import { recipeOutputs } from './recipe.ts';
import type { World } from './manifest/load.ts';

export class OutputError extends Error {}

/** The installed path of each output `package@variant` declares, by output name. */
export function installedOutputs(world: World, ref: string): Record<string, string> {
  const at = ref.indexOf('@');
  const pkgName = at < 0 ? ref : ref.slice(0, at);
  const pkg = world.packages.get(pkgName);
  if (!pkg) throw new OutputError(`${ref}: world.yaml declares no package '${pkgName}'`);
  const variant = at < 0 ? (pkg.recipe.variants ?? ['default'])[0]! : ref.slice(at + 1);
  const dir = join(layoutOf(world.root).out, unitName(pkg, variant));
  const out: Record<string, string> = {};
  for (const [name, file] of Object.entries(recipeOutputs(pkg.recipe, variant))) out[name] = join(dir, file);
  return out;
}

/** One named output of a unit; an error naming the recipe when it declares no such output. */
export function installedOutput(world: World, ref: string, name: string): string {
  const path = installedOutputs(world, ref)[name];
  if (path === undefined) {
    const pkg = world.packages.get(ref.split('@')[0]!)!;
    throw new OutputError(`${ref}: recipe '${pkg.recipeName}' declares no '${name}' output (outputs: in ${pkg.recipeFile})`);
  }
  return path;
}

/** What a configuration boots: installed paths of the files a machine loads. */
export interface ConfigurationImages {
  guest: string;
  /** The guest unit's `initrd`, when its recipe declares one (a Linux bzImage's initramfs). */
  initrd?: string;
  /** The guest unit's `system-map`, when declared (a bzImage's symbols for the hole report). */
  symbols?: string;
  wedge?: string;
}

/**
 * The images a configuration boots: its guest unit's `kernel`, its `initrd` when the recipe
 * declares one, and, with a wedge, the wedge unit's `wedge`. Under a wedge a guest that declares
 * a `vmlinux` (Linux) boots that instead of its bzImage `kernel`: the wedge rewrites the sites of
 * an ELF's .afterburn before the guest runs, and the bzImage holds the kernel compressed
 * (guests/wedge/README.md, "Booting Linux"); the vmlinux carries its own symbols.
 */
export function configurationImages(world: World, c: { guest: string; wedge: string | null }): ConfigurationImages {
  const outputs = installedOutputs(world, c.guest);
  const elf = c.wedge ? outputs.vmlinux : undefined;
  const out: ConfigurationImages = { guest: elf ?? installedOutput(world, c.guest, 'kernel') };
  if (outputs.initrd !== undefined) out.initrd = outputs.initrd;
  if (outputs['system-map'] !== undefined && !elf) out.symbols = outputs['system-map'];
  if (c.wedge) out.wedge = installedOutput(world, c.wedge, 'wedge');
  return out;
}
