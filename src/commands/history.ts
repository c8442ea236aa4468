// `world history add DIR RESULTS.json...`: adds results to a history folder, one file per
// commit (harness/history.ts), for `world report --history DIR`.
import { parseCommandArgs, UsageError, type Command } from './command.ts';
import { readingResults } from './results-input.ts';

const usage = `usage: world history add [--replace] DIR RESULTS.json...

Adds each results file to the history folder DIR as the entry of the commit it was measured on
(its provenance.git_commit): DIR/<commit time, UTC>-<12 hex of the commit>.json, holding the
results without their host section and with the commit's time and subject from git (so the
folder reads without the repository). The same commit gets the same file name and, its figures
being deterministic, the same bytes: adding it again changes nothing. Refused: results of a tree
that differed from its commit, a shard (merge first), and a commit whose entry holds other
figures (a finding: compare them; --replace overwrites). git must know the commit.

Exit status: 0 added or unchanged, 2 bad input (nothing written for that file or later ones).
`;

async function run(args: string[]): Promise<number> {
  const parsed = parseCommandArgs({ args, allowPositionals: true, options: { replace: { type: 'boolean' } } });
  const [verb, dir, ...files] = parsed.positionals;
  if (verb !== 'add') throw new UsageError(verb === undefined ? 'expected a subcommand: add' : `unknown subcommand '${verb}'; expected: add`);
  if (dir === undefined || files.length === 0) throw new UsageError('expected the history folder and at least one results file');
  const { addToHistory } = await import('../../harness/history.ts');
  const done = await readingResults('history', (readResults) => {
    for (const path of files) {
      const r = addToHistory(dir, readResults(path), path, { root: '.', replace: parsed.values.replace === true });
      process.stdout.write(`${r.status} ${r.file}\n`);
    }
  });
  return done === undefined ? 2 : 0;
}

export const command: Command = {
  name: 'history',
  summary: 'add results to a history folder, one deterministic file per commit',
  usage,
  run,
};
