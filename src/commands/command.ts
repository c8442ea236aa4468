// The shape every `world` subcommand has: a name, a one-line summary for `world --help`,
// a usage text for `world <cmd> --help`, and a run function returning the exit status; the two
// kinds of bad input a command reports; and the reading of a size flag (src/size.ts's grammar).
import { parseSize, SIZE_UNITS } from '../size.ts';

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

/** Thrown for bad command-line input; the CLI prints the message and the usage, and exits 2. */
export class UsageError extends Error {}

/** Bad input that is not a usage mistake (a missing file, a failed build): the command prints it and exits 2, no usage text. */
export class InputError extends Error {}

/**
 * A size flag's value in bytes, in the one size grammar (src/size.ts): a usage error naming the
 * flag when it is not a size or is zero. `bareUnit` is what a number without a unit counts (--mem: MiB).
 */
export function parseSizeOption(flag: string, text: string, bareUnit = 1): number {
  const n = parseSize(text, bareUnit);
  if (n === undefined) throw new UsageError(`${flag} '${text}': expected a size such as 4MiB, 32K or 1048576, a whole number with an optional unit ${SIZE_UNITS}`);
  if (n <= 0) throw new UsageError(`${flag} '${text}': must be at least one byte`);
  return n;
}
