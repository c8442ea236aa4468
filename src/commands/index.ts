// The table of subcommands. Each entry loads its module only when it runs, so `world --help`
// and a no-op build stay fast.
import type { Command } from './command.ts';

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<Command>;
}

export const commands: CommandEntry[] = [
  { name: 'boot', summary: 'boot a multiboot kernel on the emulator and print its serial output', load: () => import('./boot.ts').then((m) => m.command) },
  { name: 'netperf', summary: 'run netperf TCP_STREAM between the guest kernel and the emulated peer and report the figures', load: () => import('./netperf.ts').then((m) => m.command) },
];
