// The shape every `world` subcommand has: a name, a one-line summary for `world --help`,
// a usage text for `world <cmd> --help`, and a run function returning the exit status.
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

/** Thrown for bad command-line input; the CLI prints the message and the usage, and exits 2. */
export class UsageError extends Error {}
