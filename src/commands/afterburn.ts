// `world afterburn`: rewrites one assembly file (pads and records every sensitive instruction),
// or prints the directory of the `as` drop-in that afterburns a whole gcc build.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError, type Command } from './command.ts';

const usage = `usage: world afterburn IN.s -o OUT.s [--report FILE.json]
       world afterburn --print-as-dir

Rewrites GNU as (AT&T syntax) assembly for pre-virtualization: every sensitive instruction is
followed by NOP padding and recorded in section .afterburn (begin relative to the record, length).

  -o, --output FILE    where to write the rewritten assembly (required; '-' for stdout)
  --report FILE.json   also write the number of sites per mnemonic
  --print-as-dir       print a directory holding an executable 'as' that afterburns every
                       32-bit assembly it is given; use it as gcc -B "$(world afterburn --print-as-dir)"

IN.s may be '-' for standard input. Environment of the drop-in:
  WORLD_AFTERBURN_REPORT_DIR  write one JSON report per object file into this directory
  WORLD_REAL_AS               the assembler to run (default: the first other 'as' on PATH)
  WORLD_AFTERBURN_NO_DAEMON   run each call in its own Node process instead of the daemon
`;

export const command: Command = {
  name: 'afterburn',
  summary: 'rewrite assembly for pre-virtualization, or print the gcc -B drop-in directory',
  usage,
  async run(args) {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: {
          output: { type: 'string', short: 'o' },
          report: { type: 'string' },
          'print-as-dir': { type: 'boolean' },
        },
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const { values, positionals } = parsed;
    if (values['print-as-dir']) {
      if (positionals.length > 0 || values.output || values.report) {
        throw new UsageError('--print-as-dir takes no other arguments');
      }
      const { ensureAsDir } = await import('../../afterburner/as-dir.ts');
      process.stdout.write(ensureAsDir() + '\n');
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('expected exactly one input file');
    if (!values.output) throw new UsageError('missing -o OUT.s');
    const input = positionals[0]!;
    let text: string;
    try {
      text = readFileSync(input === '-' ? 0 : input, 'utf8');
    } catch (err) {
      process.stderr.write(`world afterburn: cannot read ${input}: ${(err as Error).message}\n`);
      return 1;
    }
    const { afterburnAssembly } = await import('../../afterburner/rewrite.ts');
    const { formatReport, sourceNameOf } = await import('../../afterburner/report.ts');
    const { writeFileAtomic } = await import('../atomic.ts');
    const result = afterburnAssembly(text);
    if (values.output === '-') process.stdout.write(result.output);
    else writeFileAtomic(values.output, result.output);
    if (values.report) {
      writeFileAtomic(values.report, formatReport({ source: sourceNameOf(text, input), sites: result.sites }));
    }
    return 0;
  },
};
