// `world tables [RESULTS...]`: regenerates the slides' three tables from results files only
// (harness/tables.ts), beside the published figures, as Markdown, CSV and SVG.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommandArgs, type Command } from './command.ts';
import { readingResults, resultsInputs } from './results-input.ts';

const usage = `usage: world tables [options] [RESULTS.json...]

Regenerates the slides' three tables — netperf results (MB/s and CPU% per configuration, send
and receive), netperf instruction expansion (count and per interrupt of each sensitive
operation) and the wedge's lines of code — from results files alone, each figure beside the
slides' published one with the ratio measured/slides; "—" where nothing was measured. Also
each run's window cycles per MiB by category (guest kernel, user, wedge, hypervisor, device,
interrupt and exception entry, idle). Several files may be given (e.g. the results of separate
benches); a run may appear in only one.

Writes into the output folder: tables.md, netperf.csv, breakdown.csv, expansion.csv, loc.csv,
netperf-throughput.svg, netperf-cpu.svg, expansion.svg, loc.svg. Prints tables.md.

options:
  --out <dir>   output folder (default: results)
  --quiet       do not print the tables

Default input: results/latest.json (what 'world bench' writes). Exit 0, or 2 for bad input
(a missing file, another schema version), in which case nothing is written.
`;

async function run(args: string[]): Promise<number> {
  const parsed = parseCommandArgs({ args, allowPositionals: true, options: { out: { type: 'string' }, quiet: { type: 'boolean' } } });
  const inputs = resultsInputs(parsed.positionals);
  const outDir = parsed.values.out ?? 'results';
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) {
    process.stderr.write(`world tables: --out ${outDir}: not a folder\n`);
    return 2;
  }
  const { buildTables, renderTables } = await import('../../harness/tables.ts');
  const { sweepDeadTemps, writeFileAtomic } = await import('../atomic.ts');
  const rendered = await readingResults('tables', (readResults) => renderTables(buildTables(inputs.map((path) => ({ path, results: readResults(path) })))), parsed.positionals.length === 0);
  if (rendered === undefined) return 2;
  const files = rendered.value;
  sweepDeadTemps(outDir); // what a killed run left half-written
  for (const [name, text] of Object.entries(files)) writeFileAtomic(join(outDir, name), text);
  if (!parsed.values.quiet) process.stdout.write(files['tables.md']!);
  process.stderr.write(`world tables: wrote ${Object.keys(files).map((n) => join(outDir, n)).join(', ')}\n`);
  return 0;
}

export const command: Command = {
  name: 'tables',
  summary: "regenerate the slides' three tables from results JSON (Markdown, CSV, SVG)",
  usage,
  run,
};
