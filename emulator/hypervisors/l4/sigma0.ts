// σ0, the root pager (ABI.md §7): it owns physical memory [0, phys_end), the PCI memory window
// and the ports of the devices the guest drives, and hands them to the privileged task on request
// (label 0xFFA0) or on a page fault of the privileged task (idempotently: physical a at a).
// Anything else is refused, and a refusal stops the run naming the request, since it is always a
// bug in this project's guests.
import { L4Stop } from './space.ts';
import { MMIO_WINDOW, PORTS_GRANTABLE, PAGE, hex } from './layout.ts';

export interface MemoryFpage { base: number; size: number; rights: number }
export interface IoFpage { port: number; count: number; rights: number }

/** Decodes a flexpage word: memory, I/O (ia32), or null for nil and malformed ones. */
export function decodeFpage(w: number): { mem: MemoryFpage } | { io: IoFpage } | null {
  w >>>= 0;
  if (((w >>> 4) & 0x3f) === 0x3c) {
    const s = (w >>> 10) & 0x3f;
    return s > 16 ? null : { io: { port: w >>> 16, count: 2 ** s, rights: w & 7 } };
  }
  const s = (w >>> 4) & 0x3f;
  if (s === 1 && (w & ~0x3ff) === 0) return { mem: { base: 0, size: 2 ** 32, rights: w & 7 } };
  if (s < 12 || s > 32) return null;
  const size = 2 ** s;
  const base = s === 32 ? 0 : ((w & ~0x3ff) >>> 0) - (((w & ~0x3ff) >>> 0) % size);
  return { mem: { base, size, rights: w & 7 } };
}

export function portsGrantable(port: number, count: number): boolean {
  for (let p = port; p < port + count; p++) {
    if (!PORTS_GRANTABLE.some(([b, n]) => p >= b && p < b + n)) return false;
  }
  return true;
}

/** Checks a σ0 request (MR1); throws L4Stop naming it when σ0 refuses. */
export function checkSigma0Request(fpageWord: number, physEnd: number, ramEnd: number, who: string): { mem: MemoryFpage } | { io: IoFpage } {
  const f = decodeFpage(fpageWord);
  if (!f) throw new L4Stop(`σ0 refused ${who}'s request for ${hex(fpageWord)}: not a valid flexpage`);
  if ('io' in f) {
    const { port, count } = f.io;
    if (!portsGrantable(port, count)) {
      const what = port <= 0x21 && port + count > 0x20 || port <= 0xa1 && port + count > 0xa0 ? 'the PIC is the kernel\'s'
        : port <= 0x43 && port + count > 0x40 ? 'the PIT is the kernel\'s' : 'not a port of a device the guest drives';
      throw new L4Stop(`σ0 refused ${who}'s request for ports ${hex(port)}-${hex(port + count - 1)}: ${what}`);
    }
    return f;
  }
  const { base, size } = f.mem;
  const end = base + size;
  if (end <= physEnd) return f;
  if (base >= MMIO_WINDOW[0] && end <= MMIO_WINDOW[1]) return f;
  const why = base < ramEnd && end > physEnd ? `L4's reserved memory (${hex(physEnd)}-${hex(ramEnd - 1)})` : `beyond RAM (physical memory ends at ${hex(physEnd)})`;
  throw new L4Stop(`σ0 refused ${who}'s request for memory ${hex(base)}-${hex(end - 1)}: ${why}`);
}

/** The page σ0 maps for a page fault of the privileged task at `addr`, or a stop. */
export function sigma0FaultPage(addr: number, physEnd: number, who: string, eip: number): number {
  if ((addr >>> 0) < physEnd) return (addr >>> 0) - ((addr >>> 0) % PAGE);
  throw new L4Stop(`thread ${who}: #PF at ${hex(addr)} (EIP ${hex(eip)}) and σ0 maps only physical memory below ${hex(physEnd)}`);
}
