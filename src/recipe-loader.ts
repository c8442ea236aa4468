// Finds and imports recipe modules: recipes/<name>.ts under the world's root (from dist/ when the
// command runs compiled and the world is this tree; see src/compiled.ts).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { STAGES, type Recipe } from './recipe.ts';
import { closest } from './manifest/suggest.ts';
import { importTs } from './compiled.ts';

export function recipeFile(root: string, name: string): string {
  return join(root, 'recipes', `${name}.ts`);
}

export function listRecipes(root: string): string[] {
  try {
    return readdirSync(join(root, 'recipes')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
  } catch {
    return [];
  }
}

/** Imports a recipe and checks its shape; throws an Error whose message says what is wrong. */
export async function loadRecipe(root: string, name: string): Promise<Recipe> {
  let mod: { recipe?: Recipe };
  try {
    mod = (await importTs(recipeFile(root, name))) as { recipe?: Recipe };
  } catch (err) {
    throw new Error(`recipes/${name}.ts failed to load: ${(err as Error).message.split('\n')[0]}`);
  }
  const r = mod.recipe;
  if (!r || typeof r.stages !== 'object' || r.stages === null) {
    throw new Error(`recipes/${name}.ts does not export 'recipe' (an object with stages)`);
  }
  const variants = r.variants ?? ['default'];
  for (const [stage, def] of Object.entries(r.stages)) {
    if (!(STAGES as readonly string[]).includes(stage)) {
      const hint = closest(stage, STAGES);
      throw new Error(`recipes/${name}.ts: unknown stage '${stage}'; expected one of: ${STAGES.join(', ')}${hint ? `; did you mean '${hint}'?` : ''}`);
    }
    if (typeof def?.run !== 'function') throw new Error(`recipes/${name}.ts: stage '${stage}' has no run function`);
    for (const v of def.variants ?? []) {
      if (!variants.includes(v)) throw new Error(`recipes/${name}.ts: stage '${stage}' names variant '${v}', which the recipe does not have (${variants.join(', ')})`);
    }
  }
  return r;
}
