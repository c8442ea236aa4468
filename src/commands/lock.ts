// world lock: writes world.lock, the resolved source URLs and hashes of every package.
import { openSession, shownPath, WORLD_OPTION_HELP } from './common.ts';
import { parseCommandArgs, type Command } from './command.ts';
import { staleLockReasons, writeLock } from '../lockfile.ts';

export const command: Command = {
  name: 'lock',
  summary: 'write world.lock: the resolved source URLs and sha256 of every package',
  usage: `usage: world lock [options]

Writes world.lock next to world.yaml (atomically): for each package its recipe, variants and
source, with the URLs a fetch tries in order and the sha256 each must match. A build whose
world no longer matches world.lock says which packages changed.

options:
${WORLD_OPTION_HELP}
      --check         do not write; exit 1 if world.lock is stale
`,
  async run(args) {
    const parsed = parseCommandArgs({ args, options: { file: { type: 'string', short: 'f' }, check: { type: 'boolean' } } });
    const session = await openSession(parsed.values.file);
    if (!session) return 1;
    if (parsed.values.check) {
      const stale = staleLockReasons(session.world);
      if (stale.length === 0) { process.stdout.write('world: world.lock is up to date\n'); return 0; }
      process.stderr.write(`world: world.lock is stale: ${stale.join('; ')}\n`);
      return 1;
    }
    process.stdout.write(`world: wrote ${shownPath(writeLock(session.world))}\n`);
    return 0;
  },
};
