// The table of subcommands. Each entry loads its module only when it runs, so `world --help`
// and a no-op build stay fast.
import type { Command } from './command.ts';

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<Command>;
  /** It runs a machine in its own process: the CLI first re-runs itself in the emulator's
   *  environment when it lacks it (harness/host-env.ts: huge pages for guest RAM). */
  machine?: true;
}

export const commands: CommandEntry[] = [
  { name: 'build', summary: 'build the world, or the given targets, reusing cached steps', load: () => import('./build.ts').then((m) => m.command) },
  { name: 'plan', summary: 'show which steps a build would run, and which input changed for each', load: () => import('./plan.ts').then((m) => m.command) },
  { name: 'graph', summary: 'print the step graph as Graphviz dot or Mermaid', load: () => import('./graph.ts').then((m) => m.command) },
  { name: 'fetch', summary: 'download and verify the sources of the world (or of the targets)', load: () => import('./fetch.ts').then((m) => m.command) },
  { name: 'lock', summary: 'write world.lock: the resolved source URLs and sha256 of every package', load: () => import('./lock.ts').then((m) => m.command) },
  { name: 'clean', summary: 'remove installed outputs, logs and leftovers; --cache also empties the cache', load: () => import('./clean.ts').then((m) => m.command) },
  { name: 'schema', summary: 'list every world.yaml key, what it expects and its default', load: () => import('./schema.ts').then((m) => m.command) },
  { name: 'boot', summary: 'boot a multiboot kernel or a Linux bzImage on the emulator and print its serial output', load: () => import('./boot.ts').then((m) => m.command), machine: true },
  { name: 'bench', summary: 'run the benchmark matrix of world.yaml and write results/<name>.json', load: () => import('./bench.ts').then((m) => m.command) },
  { name: 'tables', summary: "regenerate the slides' three tables from results JSON (Markdown, CSV, SVG)", load: () => import('./tables.ts').then((m) => m.command) },
  { name: 'compare', summary: 'list every figure that changed between two results files; fail past a threshold', load: () => import('./compare.ts').then((m) => m.command) },
  { name: 'report', summary: "write an HTML report: the tables, charts, cycle breakdown, provenance and each figure's history", load: () => import('./report.ts').then((m) => m.command) },
  { name: 'history', summary: 'add results to a history folder, one deterministic file per commit', load: () => import('./history.ts').then((m) => m.command) },
  { name: 'merge', summary: 'combine shard results into one file, identical to an unsharded run', load: () => import('./merge.ts').then((m) => m.command) },
  { name: 'netperf', summary: 'run netperf TCP_STREAM between the guest kernel and the emulated peer and report the figures', load: () => import('./netperf.ts').then((m) => m.command), machine: true },
  { name: 'afterburn', summary: 'rewrite assembly for pre-virtualization, or print the gcc -B drop-in directory', load: () => import('./afterburn.ts').then((m) => m.command) },
];
