// The `world` command line: finds the subcommand and runs it. Options belong to each subcommand.
import { commands } from './commands/index.ts';
import { UsageError } from './commands/command.ts';
import { enterEmulatorProcess } from '../harness/host-env.ts';

function printHelp(): void {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  const lines = [
    'usage: world <command> [options]',
    '',
    'Builds the pre-virtualization experiment from world.yaml, boots its guests on the bundled',
    'IA-32 emulator and regenerates the evaluation tables.',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'world <command> --help' for a command's options.",
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    printHelp();
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(pkg.version + '\n');
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`world: unknown command '${name}'. Run 'world --help' for the list.\n`);
    return 2;
  }
  const help = rest.includes('--help') || rest.includes('-h');
  if (entry.machine && !help) {
    const rerun = await enterEmulatorProcess();
    if (rerun !== null) return rerun;
  }
  const command = await entry.load();
  if (help) {
    process.stdout.write(command.usage.trimEnd() + '\n');
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`world ${name}: ${err.message}\n\n${command.usage.trimEnd()}\n`);
      return 2;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
