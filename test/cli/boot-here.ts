// Runs `world boot` in the test's own process (the CLI's handling of UsageError included), with
// stderr captured: fast for the error cases, which never start a machine.
import { command } from '../../src/commands/boot.ts';
import { UsageError } from '../../src/commands/command.ts';

export async function bootHere(...args: string[]): Promise<{ exitCode: number; stderr: string }> {
  let stderr = '';
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => { stderr += chunk; return true; }) as typeof process.stderr.write;
  try {
    return { exitCode: await command.run(args), stderr };
  } catch (err) {
    if (err instanceof UsageError) return { exitCode: 2, stderr: stderr + err.message };
    throw err;
  } finally {
    process.stderr.write = write;
  }
}
