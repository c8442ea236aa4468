// world lock: writes world.lock, the resolved source URLs and hashes of every package, and the
// pinned version of every deb source.
import { openSession, shownPath, WORLD_OPTION_HELP } from './common.ts';
import { parseCommandArgs, UsageError, type Command } from './command.ts';
import { staleLockReasons, writeLock } from '../lockfile.ts';

export const command: Command = {
  name: 'lock',
  summary: 'write world.lock: the resolved source URLs and sha256 of every package',
  usage: `usage: world lock [options]

Writes world.lock next to world.yaml (atomically): for each package its recipe, variants and
source, with the URLs a fetch tries in order and the sha256 each must match. A build whose
world no longer matches world.lock says which packages changed.

A deb source (source: { deb: NAME }) is pinned to the version apt serves when it is first
locked: its version, .deb file name and sha256 (from apt's package index). The pin is kept
until --update names the package; a build fetches exactly the pinned .deb.

options:
${WORLD_OPTION_HELP}
      --check         do not write; exit 1 if world.lock is stale
      --update <pkg>  re-resolve this package's deb source to what apt serves now (repeatable)
`,
  async run(args) {
    const parsed = parseCommandArgs({ args, options: { file: { type: 'string', short: 'f' }, check: { type: 'boolean' }, update: { type: 'string', multiple: true } } });
    const session = await openSession(parsed.values.file);
    if (!session) return 2;
    if (parsed.values.check) {
      const stale = staleLockReasons(session.world);
      if (stale.length === 0) { process.stdout.write('world: world.lock is up to date\n'); return 0; }
      process.stderr.write(`world: world.lock is stale: ${stale.join('; ')}\n`);
      return 1;
    }
    if (parsed.values.update && parsed.values.check) throw new UsageError('--update and --check cannot be combined');
    try {
      process.stdout.write(`world: wrote ${shownPath(await writeLock(session.world, parsed.values.update ?? []))}\n`);
    } catch (err) {
      process.stderr.write(`world lock: ${(err as Error).message}\n`);
      return 1;
    }
    return 0;
  },
};
