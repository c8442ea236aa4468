// world plan [targets...]: says what a build would run and why, without running anything.
import { openSession, selectOrReport, WORLD_OPTION_HELP } from './common.ts';
import { parseCommandArgs, type Command } from './command.ts';

export const command: Command = {
  name: 'plan',
  summary: 'show which steps a build would run, and which input changed for each',
  usage: `usage: world plan [options] [target...]

For each step the targets need, prints 'cached' or 'run', and for each step to run the inputs
that changed since its last build here: source files, options, tools, recipe, dependencies.
A step after one that runs 'waits': its key depends on that step's output.

options:
${WORLD_OPTION_HELP}
      --json          print the plan as one JSON array
`,
  async run(args) {
    const parsed = parseCommandArgs({ args, allowPositionals: true, options: { file: { type: 'string', short: 'f' }, json: { type: 'boolean' } } });
    const session = await openSession(parsed.values.file);
    if (!session) return 2;
    const ids = selectOrReport(session, parsed.positionals);
    if (!ids) return 2;
    const plan = session.plan(ids);
    if (parsed.values.json) {
      process.stdout.write(JSON.stringify(plan, null, 1) + '\n');
      return 0;
    }
    for (const p of plan) {
      process.stdout.write(`${p.status.padEnd(6)} ${p.id}\n`);
      for (const r of p.reasons) process.stdout.write(`         ${r}\n`);
    }
    const n = (s: string): number => plan.filter((p) => p.status === s).length;
    process.stdout.write(`world: ${n('run')} to run, ${n('waits')} waiting on them, ${n('cached')} cached\n`);
    return 0;
  },
};
