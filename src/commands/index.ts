// The table of subcommands. Each entry loads its module only when it runs, so `world --help`
// and a no-op build stay fast.
import type { Command } from './command.ts';

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<Command>;
}

export const commands: CommandEntry[] = [
  { name: 'afterburn', summary: 'rewrite assembly for pre-virtualization, or print the gcc -B drop-in directory', load: () => import('./afterburn.ts').then((m) => m.command) },
];
