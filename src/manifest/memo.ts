// The checked world, remembered (.world/world.json). Reading world.yaml (load.ts) is a function of
// its text and of what it consults in the recipes it names: their variants, options and source.
// When the text and those declarations are what they were at the last successful read, the
// remembered result is that read's result, so neither the YAML parser nor the checker runs and a
// no-op build does not even load the yaml package. Anything else goes through load.ts, which
// finds and positions every problem; only a world without problems is remembered.
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { writeFileAtomic } from '../atomic.ts';
import { canonicalJson, sha256, type Json } from '../hash.ts';
import { loadRecipe } from '../recipe-loader.ts';
import type { Recipe } from '../recipe.ts';
import type { PackageDecl, World } from './load.ts';

const FORMAT = 1;

/** The recipe's declarations world.yaml is checked against. */
function recipeFingerprint(r: Recipe): string {
  return sha256(canonicalJson({ variants: r.variants ?? null, options: r.options ?? null, source: r.source ?? null } as unknown as Json));
}

type RememberedPackage = Omit<PackageDecl, 'recipe'>;
interface Entry {
  /** sha256 of the manifest's text. */
  text: string;
  /** Each recipe consulted, by name: its fingerprint. */
  recipes: Record<string, string>;
  world: { mirrors: string[]; targets: string[]; packages: RememberedPackage[]; bench?: World['bench'] };
}

export class WorldMemo {
  private entries: Record<string, Entry>;
  private dirty = false;

  constructor(private readonly file: string) {
    let entries: Record<string, Entry> = {};
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { format?: number; manifests?: Record<string, Entry> };
      if (parsed.format === FORMAT && parsed.manifests && typeof parsed.manifests === 'object') entries = parsed.manifests;
    } catch { /* absent or unreadable */ }
    this.entries = entries;
  }

  /** The world at `abs` (whose text is `text`) if it is the one remembered; undefined otherwise. */
  async recall(abs: string, text: string): Promise<World | undefined> {
    const e = this.entries[basename(abs)];
    if (!e || e.text !== sha256(text)) return undefined;
    const root = dirname(abs);
    const recipes = new Map<string, Recipe>();
    try {
      for (const [name, fingerprint] of Object.entries(e.recipes)) {
        const r = await loadRecipe(root, name);
        if (recipeFingerprint(r) !== fingerprint) return undefined;
        recipes.set(name, r);
      }
    } catch {
      return undefined; // a recipe that no longer loads: load.ts says why, at its position
    }
    const packages = new Map<string, PackageDecl>();
    for (const p of e.world.packages) packages.set(p.name, { ...structuredClone(p), recipe: recipes.get(p.recipeName)! });
    const w = structuredClone(e.world);
    return { file: abs, root, mirrors: w.mirrors, targets: w.targets, packages, ...(w.bench ? { bench: w.bench } : {}) };
  }

  /** Remembers a world load.ts read from `text` without problems (before anything changes it). */
  remember(world: World, text: string): void {
    const recipes: Record<string, string> = {};
    const packages: RememberedPackage[] = [];
    for (const { recipe, ...p } of world.packages.values()) {
      recipes[p.recipeName] = recipeFingerprint(recipe);
      packages.push(structuredClone(p));
    }
    this.entries[basename(world.file)] = {
      text: sha256(text), recipes,
      world: { mirrors: [...world.mirrors], targets: [...world.targets], packages, ...(world.bench ? { bench: structuredClone(world.bench) } : {}) },
    };
    this.dirty = true;
  }

  save(): void {
    if (!this.dirty) return;
    writeFileAtomic(this.file, JSON.stringify({ format: FORMAT, manifests: this.entries }) + '\n');
    this.dirty = false;
  }
}
