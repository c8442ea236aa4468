// The results files that the reading commands (tables, report, merge, history, compare) take as
// arguments: the default input, and how an unreadable or malformed one is reported (exit status 2).
import { join } from 'node:path';
import type { Results } from '../../harness/results.ts';

/** The results files named on the command line, or results/latest.json when none is. */
export function resultsInputs(positionals: string[]): string[] {
  return positionals.length > 0 ? positionals : [join('results', 'latest.json')];
}

/**
 * Runs `body` with the results reader. A ResultsError is printed as `world <command>: <message>`
 * and gives undefined, which the command turns into exit status 2; other errors pass through.
 * `defaulted`: no file was named, so a missing default file gets a hint to run the benchmarks.
 */
export async function readingResults<T>(command: string, body: (read: (path: string) => Results) => T, defaulted = false): Promise<{ value: T } | undefined> {
  const { readResults, ResultsError } = await import('../../harness/results.ts');
  try {
    return { value: body(readResults) };
  } catch (err) {
    if (!(err instanceof ResultsError)) throw err;
    const hint = defaulted && /no such results file/.test(err.message) ? " (run 'world bench' first, or name a results file such as results/baseline.json)" : '';
    process.stderr.write(`world ${command}: ${err.message}${hint}\n`);
    return undefined;
  }
}
