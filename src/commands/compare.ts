// `world compare BASE.json NEW.json [--threshold PCT]`: the regression gate (harness/compare.ts).
import { parseCommandArgs, UsageError, type Command } from './command.ts';
import { readingResults } from './results-input.ts';

const usage = `usage: world compare [--threshold PCT] BASE.json NEW.json

Lists every figure that differs between two results files (throughput, CPU, cycles,
instructions, sensitive-instruction counts, interrupts, a run's status, lines of code) with the
old value, the new one and the change, and the settings and provenance that differ. Figures are
deterministic, so every difference is real; the threshold decides which ones fail:
a numeric change of more than PCT percent of the old value, any change of a status or flag, and
any figure that disappeared. Figures only in NEW (a configuration that now runs) are listed
without failing. The host sections (time, host name) are never read.

options:
  --threshold PCT   percent a number may move without failing (default 0: any change fails)
  --quiet           print only the failing figures
  --report-url URL  after each changed figure, the link to its history chart in the report
                    published at URL ('world report'): URL#fig-<figure> for a number, URL#history
                    for a status, a flag or a figure that appeared or went

Exit status: 0 nothing past the threshold, 1 a figure past it, 2 bad input.
`;

async function run(args: string[]): Promise<number> {
  const parsed = parseCommandArgs({ args, allowPositionals: true, options: { threshold: { type: 'string' }, quiet: { type: 'boolean' }, 'report-url': { type: 'string' } } });
  if (parsed.positionals.length !== 2) throw new UsageError(`expected two results files, BASE and NEW; got ${parsed.positionals.length}`);
  const t = parsed.values.threshold;
  const threshold = t === undefined ? 0 : Number(t);
  if (t !== undefined && (t.trim() === '' || !Number.isFinite(threshold) || threshold < 0)) throw new UsageError(`--threshold '${t}': expected a percentage >= 0, such as 1 or 0.5`);
  const { compareResults, contextChanges, formatChange } = await import('../../harness/compare.ts');
  const { figureAnchor } = await import('../../harness/figure-history.ts');
  const url = parsed.values['report-url'];
  // A number has a chart of its own; a status or flag is in the history's commit table.
  const link = (c: { figure: string; old: unknown; new: unknown }): string => (url === undefined ? ''
    : ` ${url}#${typeof c.old === 'number' && typeof c.new === 'number' ? figureAnchor(c.figure) : 'history'}`);
  const [basePath, newPath] = parsed.positionals as [string, string];
  const read = await readingResults('compare', (readResults) => [readResults(basePath), readResults(newPath)] as const);
  if (read === undefined) return 2;
  const [base, next] = read.value;
  const changes = compareResults(base, next, threshold);
  const past = changes.filter((c) => c.past);
  if (!parsed.values.quiet) for (const line of contextChanges(base, next)) process.stdout.write(`note ${line}\n`);
  for (const c of changes) if (c.past || !parsed.values.quiet) process.stdout.write(formatChange(c) + link(c) + '\n');
  process.stdout.write(`world compare: ${changes.length} figure(s) changed, ${past.length} past the ${threshold}% threshold\n`);
  return past.length > 0 ? 1 : 0;
}

export const command: Command = {
  name: 'compare',
  summary: 'list every figure that changed between two results files; fail past a threshold',
  usage,
  run,
};
