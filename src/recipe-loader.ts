// Finds and imports recipe modules: recipes/<name>.ts under the world's root.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Recipe } from './recipe.ts';

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

export async function loadRecipe(root: string, name: string): Promise<Recipe> {
  const mod = (await import(pathToFileURL(recipeFile(root, name)).href)) as { recipe?: Recipe };
  if (!mod.recipe || typeof mod.recipe.stages !== 'object') {
    throw new Error(`recipes/${name}.ts does not export 'recipe' (an object with stages)`);
  }
  return mod.recipe;
}
