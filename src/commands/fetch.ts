// world fetch [targets...]: downloads and verifies sources without building anything.
import { parseJobs, runBuild, WORLD_OPTION_HELP } from './common.ts';
import { parseCommandArgs, type Command } from './command.ts';

export const command: Command = {
  name: 'fetch',
  summary: 'download and verify the sources of the world (or of the targets)',
  usage: `usage: world fetch [options] [target...]

Runs only the fetch steps: each url/file source is downloaded (its URL, then the mirrors in
order, retrying network errors), checked against its sha256 and stored in the cache.

options:
${WORLD_OPTION_HELP}
  -j, --jobs <n>      downloads at once (default: number of cores)
  -k, --keep-going    keep fetching after a failure
      --offline       only the cache, file: URLs and mirrors; never a source's origin URL
      --no-wait       fail instead of waiting for another build in this tree
      --json          one JSON object per event
`,
  async run(args) {
    const parsed = parseCommandArgs({ args, allowPositionals: true, options: {
      file: { type: 'string', short: 'f' }, jobs: { type: 'string', short: 'j' },
      'keep-going': { type: 'boolean', short: 'k' }, offline: { type: 'boolean' },
      'no-wait': { type: 'boolean' }, json: { type: 'boolean' },
    } });
    const v = parsed.values;
    return runBuild({
      file: v.file, targets: parsed.positionals, stages: ['fetch'], jobs: parseJobs(v.jobs),
      keepGoing: v['keep-going'] ?? false, offline: v.offline ?? false, wait: !v['no-wait'],
      progress: v.json ? 'json' : 'auto',
    });
  },
};
