// What each test kernel covers, so a failing differential test names its instruction family.
export const FAMILIES: Record<string, string> = {
  alu: 'ALU: add/adc/sub/sbb/cmp/logic/inc/dec/neg/not, all sizes, flags',
  atomic: 'atomics: xchg, xadd, cmpxchg, cmpxchg8b, lock',
  bench: 'integer mix: CRC32, sort, division, bit counting',
  bitops: 'bits: bt/bts/btr/btc, bsf/bsr, bswap, setcc, cmovcc, jcc',
  callgate: 'call gates: ring 3 to ring 0 with parameters, lret to ring 3 (optional in the spec)',
  exitcode: 'debug-exit with a non-zero value',
  exceptions: 'exception delivery: every vector, error codes, #DF, IDT faults',
  hello: 'runtime: serial, caught fault, ring-3 round trip',
  misc: 'misc: movzx/movsx, 16-bit forms, NOPs, enter/leave, cbw..cdq, xlat, lahf/sahf, BCD, loop, cpuid',
  muldiv: 'mul/imul/div/idiv and #DE',
  paging: 'paging: 4K/4M pages, WP, U/S, R/W, A/D bits, #PF codes and CR2, TLB flushes',
  pic_pit: 'PIC and PIT interrupts: IRR/ISR, masking, EOI, sti shadow',
  restart: 'faulting instructions leave memory, registers, ESP and flags unchanged (RMW, movs, stack ops)',
  ring3: 'privilege: iret/int ring transitions, TSS stack switch, IOPL, I/O bitmap, popf at CPL 3',
  rings: 'every CPL (1, 2, 3): cli/sti/popf/iret/in/hlt per IOPL, privileged vs sensitive-unprivileged instructions, ring-1 handlers',
  segments: 'segment bases: CS, SS, DS/ES/FS/GS, overrides, string ops across segments',
  shift: 'shifts and rotates, shld/shrd, all counts',
  smc: 'self-modifying code: rewrites after hot runs, patch-ahead, wedge-style NOP patching, paging aliases',
  string: 'string ops with rep/repe/repne, DF both ways',
  system: 'system instructions: descriptor tables, CRs, DRs, lar/lsl/verr/verw/arpl, sregs, far transfers',
  triple: 'triple fault: the machine stops without a debug-exit write',
};

/** The exit value each kernel must end with: 0 unless listed here; null = stops without one. */
export const EXPECTED_EXIT: Record<string, number | null> = { exitcode: 42, triple: null };

export function expectedExit(kernel: string): number | null {
  return kernel in EXPECTED_EXIT ? (EXPECTED_EXIT[kernel] as number | null) : 0;
}

export function familyOf(kernel: string): string {
  return FAMILIES[kernel] ?? 'unclassified kernel';
}
