// `world report [RESULTS.json...] [--history DIR] -o DIR`: the HTML report (harness/report.ts)
// of results files and a history folder, written as DIR/index.html.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommandArgs, UsageError, type Command } from './command.ts';
import { readingResults, resultsInputs } from './results-input.ts';

const usage = `usage: world report [options] -o DIR [RESULTS.json...]

Writes DIR/index.html: one self-contained page (no script, nothing fetched when viewed, opens
from file://) with the slides' three tables beside the measured figures and their bar charts,
each run's window cycle breakdown, the provenance of every results file (commit, toolchain, cost
profile, input hashes) and, with --history, every figure's history across the commits of the
history folder as a chart, one point per commit, the commits that moved it in red. Charted: the
throughput and CPU of every run, the instruction expansion per interrupt, the lines of code,
and every other figure that moved anywhere in the history. Each chart has an anchor,
index.html#fig-<figure>, the figure named as 'world compare' names it.

options:
  -o, --out DIR     output folder (required)
  --history DIR     a history folder ('world history add' writes it; e.g. results/history)
  --last N          chart only the newest N commits of the history (a page grows with
                    figures x points: about 80 bytes a point)

Default input: results/latest.json. Several files make one table, as for 'world tables'.
Exit 0, or 2 for bad input (a missing file, another schema version, a bad history file).
`;

async function run(args: string[]): Promise<number> {
  const parsed = parseCommandArgs({ args, allowPositionals: true, options: { out: { type: 'string', short: 'o' }, history: { type: 'string' }, last: { type: 'string' } } });
  const outDir = parsed.values.out;
  if (outDir === undefined) throw new UsageError('expected -o DIR, the folder the report goes to');
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) {
    process.stderr.write(`world report: -o ${outDir}: not a folder\n`);
    return 2;
  }
  const last = parsed.values.last === undefined ? undefined : Number(parsed.values.last);
  if (last !== undefined && !(Number.isInteger(last) && last >= 1)) throw new UsageError(`--last '${parsed.values.last}': expected a whole number of commits, at least 1`);
  const inputs = resultsInputs(parsed.positionals);
  const { readHistory } = await import('../../harness/history.ts');
  const { renderReport } = await import('../../harness/report.ts');
  const { writeFileAtomic } = await import('../atomic.ts');
  const rendered = await readingResults('report', (readResults) => {
    const files = inputs.map((path) => ({ path, results: readResults(path) }));
    const all = parsed.values.history === undefined ? [] : readHistory(parsed.values.history);
    const history = last === undefined ? all : all.slice(-last);
    return renderReport(files, history);
  }, parsed.positionals.length === 0);
  if (rendered === undefined) return 2;
  const html = rendered.value;
  const path = join(outDir, 'index.html');
  writeFileAtomic(path, html);
  process.stdout.write(`wrote ${path} (${Math.round(Buffer.byteLength(html) / 1024)} KiB)\n`);
  return 0;
}

export const command: Command = {
  name: 'report',
  summary: 'write an HTML report: the tables, charts, cycle breakdown, provenance and each figure\'s history',
  usage,
  run,
};
