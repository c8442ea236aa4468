// The MSRs and debug registers a trap-and-emulate monitor gives an unmodified kernel (Xen's ring-1
// monitor and L4's user-level one alike). rdmsr, wrmsr and mov to/from DRn fault when the guest
// kernel runs deprivileged; the monitor answers them from here. The registers are virtual: a
// guest's write never reaches the real CPU, whose SYSENTER and debug registers belong to the
// hypervisor (a guest value in SYSENTER_CS would send user code into ring 0). The MSRs offered are
// the CPU model's own, from a bank of its own (emulator/cpu/msrs.ts); any other faults into the
// guest as on the real CPU.
import type { Cpu } from '../cpu/cpu.ts';
import { MsrBank, MSR_TSC } from '../cpu/msrs.ts';

/** DR6 and DR7 as the processor resets them (SDM vol. 3, 17.2.3 and 17.2.4). */
const DR6_RESET = 0xffff0ff0, DR7_RESET = 0x400;

export class VirtualMsrs {
  private readonly bank = new MsrBank();
  private readonly dr = [0, 0, 0, 0, 0, 0, DR6_RESET, DR7_RESET];

  constructor(private readonly cpu: Cpu) {
    this.bank.miscEnable = cpu.msrs.miscEnable;
  }

  /** [low, high] of MSR `n`, or null when the CPU has no such MSR (#GP). */
  read(n: number): [number, number] | null {
    if (n === MSR_TSC) { const t = this.cpu.cycles + this.cpu.tscOffset; return [t % 4294967296 | 0, Math.floor(t / 4294967296)]; }
    return this.bank.read(n);
  }

  /** False when the CPU has no such MSR (#GP). A TSC write is refused too: the clock is the hypervisor's. */
  write(n: number, lo: number, _hi: number): boolean {
    return n !== MSR_TSC && this.bank.write(n, lo | 0);
  }

  readDr(n: number): number {
    return this.dr[n === 4 ? 6 : n === 5 ? 7 : n]! | 0;
  }

  writeDr(n: number, v: number): void {
    this.dr[n === 4 ? 6 : n === 5 ? 7 : n] = v | 0;
  }
}
