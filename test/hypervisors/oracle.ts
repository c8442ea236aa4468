// The binutils oracle the hole-report tests check against: objdump's disassembly of a kernel and
// nm's text symbols, to name the function a site lies in.
import { execa } from 'execa';

export async function disassembly(elfPath: string): Promise<string> {
  return (await execa('objdump', ['-d', '--no-show-raw-insn', elfPath])).stdout;
}

/** The text symbol at or below an address (nm -n), '?' below the first. */
export async function symbolOwner(elfPath: string): Promise<(addr: number) => string> {
  const nm = (await execa('nm', ['-n', elfPath])).stdout.split('\n')
    .map((l) => l.split(' ')).filter((p) => p.length === 3 && /[tT]/.test(p[1]!))
    .map(([a, , n]) => ({ addr: parseInt(a!, 16), name: n! }));
  return (addr: number): string => {
    let best = '?';
    for (const s of nm) if (s.addr <= addr) best = s.name; else break;
    return best;
  };
}
