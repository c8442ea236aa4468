// Why a trap-and-emulate run of Linux did not complete, in words a table can show: an unmodified
// kernel that panicked under a monitor because sensitive instructions ran without trapping (the
// L4 model's user-level monitor cannot make pushf read a virtual IF) is an outcome of the
// configuration, not a broken harness. The run is then recorded as not run with this reason:
// Linux's panic message, the oops and the instruction it names (by symbol), and the hole report,
// every sensitive instruction that executed without a trap named by symbol+offset, by kind.
// Any other failure (a panic under a wedge or on hardware, a transfer that stalls) stays a failure.
import { symbolize, type ElfSymbol } from '../emulator/hypervisors/elf.ts';
import type { HoleSite } from '../emulator/hypervisors/holes.ts';
import { LINUX_PANIC_STOP } from './workloads/netperf.ts';

export interface RunEnd {
  /** How the run stopped (NetperfReport.stop). */
  stop: string;
  /** The back-end's mode (`trap-and-emulate`, `pv-wedge`, ...), undefined on hardware. */
  mode: string | undefined;
  holes: HoleSite[];
  serial: string;
}

/** The reason to record for a trap-and-emulate Linux run that panicked, or null for any other run. */
export function holeOutcome(end: RunEnd, symbols: ElfSymbol[] | undefined): string | null {
  if (end.mode !== 'trap-and-emulate' || !end.stop.startsWith(LINUX_PANIC_STOP)) return null;
  const oops = /^(.+): [0-9a-f]{4} \[#1\]/m.exec(end.serial)?.[1];
  const eip = /^EIP: (0x[0-9a-f]+)/m.exec(end.serial)?.[1];
  const where = eip ? (symbols ? symbolize(symbols, parseInt(eip, 16)) : eip) : null;
  const kinds = new Map<string, string[]>();
  for (const h of [...end.holes].sort((a, b) => parseInt(a.address, 16) - parseInt(b.address, 16))) {
    kinds.set(h.instruction, [...(kinds.get(h.instruction) ?? []), h.symbol]);
  }
  const report = [...kinds].map(([insn, sites]) => `${insn} (${sites.length}): ${sites.join(', ')}`).join('; ');
  return `Linux 6.1 panicked (${end.stop.slice(LINUX_PANIC_STOP.length)}`
    + `${oops ? `; ${oops}${where ? ` at ${where}` : ''}` : ''})`
    + ` (hole report, ${end.holes.length} sites that ran without trapping: ${report || 'none'})`;
}
