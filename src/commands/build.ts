// world build [targets...]: builds the world (or the targets and what they need), reusing every
// step whose key is unchanged.
import { parseJobs, runBuild, WORLD_OPTION_HELP } from './common.ts';
import { parseCommandArgs, type Command } from './command.ts';

export const command: Command = {
  name: 'build',
  summary: 'build the world, or the given targets, reusing cached steps',
  usage: `usage: world build [options] [target...]

Builds every step the targets need, in dependency order, running only steps whose cache key
changed. A target is <package>, <package>@<variant>, or either with :<stage>
(fetch, unpack, configure, build, afterburn, install). Default: world.yaml's targets.

options:
${WORLD_OPTION_HELP}
  -j, --jobs <n>      steps run at once (default: number of cores)
  -k, --keep-going    after a failure, still run every step that does not depend on it
      --offline       fetch only from the cache, file: URLs and mirrors
      --no-wait       if another build holds this tree's lock, fail instead of waiting
      --json          print one JSON object per event instead of progress
      --plain         print plain lines even on a terminal

Steps log to .world/logs/<unit>/<stage>.log; installed artifacts appear as .world/out/<unit>.
Exit status: 0 built, 1 a step failed, 2 bad usage or an invalid manifest, 130 interrupted.
`,
  async run(args) {
    const parsed = parseCommandArgs({ args, allowPositionals: true, options: {
      file: { type: 'string', short: 'f' }, jobs: { type: 'string', short: 'j' },
      'keep-going': { type: 'boolean', short: 'k' }, offline: { type: 'boolean' },
      'no-wait': { type: 'boolean' }, json: { type: 'boolean' }, plain: { type: 'boolean' },
    } });
    const v = parsed.values;
    return runBuild({
      file: v.file, targets: parsed.positionals, jobs: parseJobs(v.jobs), keepGoing: v['keep-going'] ?? false,
      offline: v.offline ?? false, wait: !v['no-wait'], progress: v.json ? 'json' : v.plain ? 'plain' : 'auto',
    });
  },
};
