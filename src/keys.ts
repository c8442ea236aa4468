// Cache keys. A step's key is the sha256 of the canonical JSON of its key inputs: the orchestrator
// version, the recipe's source, the options, the package source's hash, declared input trees and
// environment, the toolchain fingerprint, and the artifact hashes of the previous stage and of the
// dependencies. Nothing machine- or time-specific goes in: paths are relative to the world's root,
// and no clock is read. The per-file listing of each hashed tree is kept beside the inputs (not in
// the key) so `world plan` can name the file that changed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashJson, sha256, type Json } from './hash.ts';
import { gitFiles, hashTree, listingFilter, type TreeHash } from './tree.ts';
import { stageInputs } from './recipe.ts';
import { ORCHESTRATOR_VERSION } from './version.ts';
import { sourceFileName, sourceSha256 } from './unpack.ts';
import type { Step } from './graph.ts';
import type { Toolchain } from './toolchain.ts';
import type { FileHashes } from './file-hashes.ts';
import type { World } from './manifest/load.ts';

export interface KeyInputs {
  inputs: { [key: string]: Json };
  /** File listings of the trees hashed into `inputs`, by the name they appear under. */
  trees: Record<string, Record<string, string>>;
}

/** Memoized hashing of what several steps share (recipes, source trees). */
export class KeyHasher {
  private trees = new Map<string, TreeHash>();
  private recipes = new Map<string, Record<string, string>>();
  /** The files under the world's root, from one git process, read when the first tree is hashed. */
  private listed?: (rel: string) => string[] | undefined;
  constructor(readonly world: World, readonly toolchain: Toolchain, private readonly hashes?: FileHashes) {}

  tree(rel: string): TreeHash {
    let t = this.trees.get(rel);
    if (!t) {
      this.listed ??= listingFilter(gitFiles(this.world.root, ''));
      t = hashTree(this.world.root, rel, this.listed, this.hashes);
      this.trees.set(rel, t);
    }
    return t;
  }

  /**
   * The recipe's source: the module and every module it imports by a relative path inside
   * recipes/ (helpers under recipes/lib/), so editing a helper rebuilds the recipes using it.
   * Imports of the orchestrator itself (src/) are covered by the orchestrator version.
   */
  recipeFiles(file: string): Record<string, string> {
    let files = this.recipes.get(file);
    if (files) return files;
    files = {};
    const todo = [file];
    while (todo.length > 0) {
      const f = todo.pop()!;
      if (files[f] !== undefined) continue;
      const text = readFileSync(join(this.world.root, f), 'utf8');
      files[f] = sha256(text);
      for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/gm)) {
        if (/^\s*(?:import|export)\s+type\s/.test(m[0])) continue; // erased at run time
        const target = join(f, '..', m[1]!);
        if (target.startsWith('recipes/')) todo.push(target);
      }
    }
    const sorted: Record<string, string> = {};
    for (const k of Object.keys(files).sort()) sorted[k] = files[k]!;
    this.recipes.set(file, sorted);
    return sorted;
  }

  /** The inputs of a step once the artifacts of the steps it waits for are known. */
  keyInputs(step: Step, artifactOf: (stepId: string) => string): KeyInputs {
    const { pkg } = step;
    const inputs: { [key: string]: Json } = { orchestrator: ORCHESTRATOR_VERSION, stage: step.stage };
    const trees: Record<string, Record<string, string>> = {};
    if (step.builtin === 'fetch') {
      const src = pkg.source!;
      if (src.kind === 'path') throw new Error('unreachable: fetch of a path source');
      inputs.file = sourceFileName(src);
      inputs.sha256 = sourceSha256(src);
      return { inputs, trees };
    }
    if (step.prev) inputs.prev = artifactOf(step.prev);
    if (step.builtin === 'unpack') {
      inputs.toolchain = this.toolchain.fingerprints(['tar']);
      return { inputs, trees };
    }
    const stage = pkg.recipe.stages[step.stage]!;
    inputs.variant = step.variant;
    const recipeFiles = this.recipeFiles(pkg.recipeFile);
    inputs.recipe = { file: pkg.recipeFile, sha256: hashJson(recipeFiles) };
    trees.recipe = recipeFiles;
    inputs.options = pkg.options as { [key: string]: Json };
    if (pkg.source?.kind === 'path') {
      const t = this.tree(pkg.source.path);
      inputs.source = { path: pkg.source.path, tree: t.hash };
      trees[`source ${pkg.source.path}`] = t.files;
    } else if (pkg.source) {
      inputs.source = { sha256: sourceSha256(pkg.source) };
    }
    const deps: { [key: string]: Json } = {};
    for (const [name, id] of Object.entries(step.depSteps)) deps[name] = artifactOf(id);
    inputs.deps = deps;
    const declared = stageInputs(stage, step.variant ?? pkg.variants[0]!, pkg.options);
    const paths: { [key: string]: Json } = {};
    for (const p of [...(declared.paths ?? [])].sort()) {
      const t = this.tree(p);
      paths[p] = t.hash;
      trees[`input ${p}`] = t.files;
    }
    inputs.paths = paths;
    const env: { [key: string]: Json } = {};
    for (const name of [...(declared.env ?? [])].sort()) env[name] = process.env[name] ?? null;
    inputs.env = env;
    inputs.toolchain = this.toolchain.fingerprints(declared.tools ?? []);
    return { inputs, trees };
  }
}

export function cacheKey(k: KeyInputs): string {
  return hashJson(k.inputs);
}
