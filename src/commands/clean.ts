// world clean [--cache]: removes build products; with --cache also the artifact store.
import { rmSync } from 'node:fs';
import { openSession, WORLD_OPTION_HELP } from './common.ts';
import { parseCommandArgs, type Command } from './command.ts';
import { acquireBuildLock, LockBusy } from '../run/lock.ts';

export const command: Command = {
  name: 'clean',
  summary: 'remove installed outputs, logs and leftovers; --cache also empties the cache',
  usage: `usage: world clean [options]

Removes .world/out (installed artifacts), .world/logs and .world/tmp. The cache (.world/cas,
.world/keys) and step records stay, so the next build reinstalls from the cache without
running anything. With --cache, everything under .world/ goes and the next build runs every step.

options:
${WORLD_OPTION_HELP}
      --cache         also remove the cache and step records
      --no-wait       fail instead of waiting for a build in this tree
`,
  async run(args) {
    const parsed = parseCommandArgs({ args, options: { file: { type: 'string', short: 'f' }, cache: { type: 'boolean' }, 'no-wait': { type: 'boolean' } } });
    const session = await openSession(parsed.values.file);
    if (!session) return 2;
    const l = session.layout;
    let lock;
    try {
      lock = await acquireBuildLock(l.lock, { wait: !parsed.values['no-wait'], say: (s) => process.stderr.write(`world: ${s}\n`) });
    } catch (err) {
      if (err instanceof LockBusy) { process.stderr.write(`world: ${err.message}\n`); return 1; }
      throw err;
    }
    try {
      const paths = parsed.values.cache ? [l.out, l.logs, l.tmp, l.cas, l.keys, l.steps, l.toolchain, l.fileHashes, l.world] : [l.out, l.logs, l.tmp];
      for (const p of paths) rmSync(p, { recursive: true, force: true });
      process.stdout.write(`world: removed ${paths.map((p) => p.slice(l.root.length + 1)).join(', ')}\n`);
    } finally {
      lock.release();
    }
    return 0;
  },
};
