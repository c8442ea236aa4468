// `world merge SHARD.json... -o OUT.json`: combines the results of `world bench --shard I/N`
// into one file identical to an unsharded run's (harness/merge.ts), apart from its host section.
import { join } from 'node:path';
import { parseCommandArgs, UsageError, type Command } from './command.ts';
import { readingResults } from './results-input.ts';

const usage = `usage: world merge [-o OUT.json] SHARD.json...

Combines the results files of 'world bench --shard I/N' (all N of them) into one file with the
runs in matrix order, identical to what an unsharded 'world bench' writes except for the host
section. Checks that every shard is there once and that all come from the same tree and settings
(bench, provenance and lines of code equal); otherwise says which file differs and writes nothing.

options:
  -o, --out FILE   the merged results (default: results/latest.json)

Exit status: 0 written, 2 bad input.
`;

async function run(args: string[]): Promise<number> {
  const parsed = parseCommandArgs({ args, allowPositionals: true, options: { out: { type: 'string', short: 'o' } } });
  if (parsed.positionals.length === 0) throw new UsageError('expected the shard results files');
  const out = parsed.values.out ?? join('results', 'latest.json');
  const { formatResults } = await import('../../harness/results.ts');
  const { writeFileAtomic } = await import('../atomic.ts');
  const { mergeShards } = await import('../../harness/merge.ts');
  const merged = await readingResults('merge', (readResults) => mergeShards(parsed.positionals.map((path) => ({ path, results: readResults(path) }))));
  if (merged === undefined) return 2;
  writeFileAtomic(out, formatResults(merged.value));
  process.stdout.write(`wrote ${out}: ${merged.value.runs.length} runs from ${parsed.positionals.length} shard(s)\n`);
  return 0;
}

export const command: Command = {
  name: 'merge',
  summary: 'combine shard results into one file, identical to an unsharded run',
  usage,
  run,
};
