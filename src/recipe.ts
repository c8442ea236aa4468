// What a recipe is: a module `recipes/<package>.ts` exporting `recipe: Recipe`. A recipe says how
// one package is fetched, unpacked, configured, built, afterburnt and installed. Each stage is
// optional, declares the inputs its result depends on, and gets a StageContext to do its work in.
import type { Logger } from './run/logger.ts';
import type { Runner } from './run/runner.ts';

/**
 * The stages in the order they run. A package runs the ones its recipe defines. For a url or file
 * source the orchestrator does `fetch` itself (download, sha256 check) and, for a tar archive the
 * recipe does not unpack itself, `unpack` too; a recipe's own `fetch` runs only without such a source.
 */
export const STAGES = ['fetch', 'unpack', 'configure', 'build', 'afterburn', 'install'] as const;
export type StageName = (typeof STAGES)[number];

/** Stages shared by all variants of a package: the source is the same whatever is built from it. */
export const SHARED_STAGES: readonly StageName[] = ['fetch', 'unpack'];

export type OptionValue = string | number | boolean | string[];

export interface OptionDecl {
  type: 'string' | 'integer' | 'boolean' | 'string[]';
  default: OptionValue;
  doc: string;
}

/** Where a package's source comes from. `url` and `file` are checked against sha256; `path` is a tree in the repository;
 *  `deb` is a Debian package whose version and sha256 `world lock` pins in world.lock. */
export type SourceDecl =
  | { url: string; sha256: string; mirrors?: string[] }
  | { file: string; sha256: string }
  | { path: string }
  | { deb: string };

/** What a stage's result depends on beyond the recipe source, options, source and earlier stages. */
export interface StageInputs {
  /** Programs looked up on PATH; their resolved path and `--version` output go into the key. */
  tools?: string[];
  /** Trees in the repository (relative to world.yaml's directory), hashed without git-ignored files. */
  paths?: string[];
  /** Environment variables whose values go into the key. */
  env?: string[];
}

export interface StageDirs {
  /** The package's source tree: the in-repo directory of a `path` source, else the unpack stage's artifact.
   *  Read it, never write it: a build writes to out or work (make O=...), or the source hash changes. */
  src: string;
  /** Downloaded files (artifact of the fetch stage), for url, file and deb sources. */
  downloads?: string;
  /** The previous stage's artifact of the same package and variant, read-only. */
  prev?: string;
  /** Where this stage writes its artifact; empty at start, moved into the cache on success. */
  out: string;
  /** Scratch space, deleted after the stage; for a resumable stage kept when the build is
   *  interrupted or killed, and given back to the next run of the same key (see `resumed`). */
  work: string;
  /** True when `work` holds what an interrupted run of this very step (same key) left: the stage
   *  must first make safe what that run may have left half-written (Stage.resumable). */
  resumed: boolean;
  /** Installed artifacts of the package's dependencies, by package name. */
  deps: Record<string, string>;
  /** The directory holding world.yaml (the repository root). */
  root: string;
}

export interface StageContext {
  package: string;
  variant: string;
  stage: StageName;
  options: Record<string, OptionValue>;
  dirs: StageDirs;
  log: Logger;
  /** Runs a program with its output going to the step's log; cwd defaults to dirs.work. */
  run: Runner;
  signal: AbortSignal;
}

export interface Stage {
  /** Only for these variants (default: all variants of the package). */
  variants?: string[];
  inputs?: StageInputs | ((variant: string, options: Record<string, OptionValue>) => StageInputs);
  /**
   * The stage can take up an interrupted run where it stopped (an incremental build such as
   * make's): its work directory outlives an interrupt or a kill, and the next run of the same key
   * gets it back with dirs.resumed set. Its output directory is new each run, so an artifact is
   * only ever stored from a run that completed. A function decides per variant.
   */
  resumable?: boolean | ((variant: string) => boolean);
  run(ctx: StageContext): Promise<void>;
}

export interface Recipe {
  /** One line saying what the package is. */
  summary: string;
  /** Source used when world.yaml does not give one. */
  source?: SourceDecl;
  /** Variants the package can be built as; the first is the default. */
  variants?: string[];
  options?: Record<string, OptionDecl>;
  stages: Partial<Record<StageName, Stage>>;
  /**
   * What the install stage leaves for a machine to boot, by name (`kernel`, `initrd`, `wedge`):
   * file names inside the installed folder. The harness finds a configuration's images here
   * (src/outputs.ts) instead of guessing file names.
   */
  outputs?: Record<string, string> | ((variant: string) => Record<string, string>);
}

export function stageInputs(stage: Stage, variant: string, options: Record<string, OptionValue>): StageInputs {
  const i = stage.inputs;
  return typeof i === 'function' ? i(variant, options) : i ?? {};
}

/** The outputs a recipe declares for one variant ({} when it declares none). */
export function recipeOutputs(recipe: Recipe, variant: string): Record<string, string> {
  const o = recipe.outputs;
  return typeof o === 'function' ? o(variant) : o ?? {};
}
