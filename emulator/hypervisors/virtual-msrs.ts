// The MSRs and debug registers a trap-and-emulate monitor gives an unmodified kernel (Xen's ring-1
// monitor and L4's user-level one alike). rdmsr, wrmsr and mov to/from DRn fault when the guest
// kernel runs deprivileged; the monitor answers them from here. The registers are virtual: a
// guest's write never reaches the real CPU, whose SYSENTER and debug registers belong to the
// hypervisor (a guest value in SYSENTER_CS would send user code into ring 0). The MSRs offered are
// the CPU model's own (emulator/cpu/execute-system.ts: TSC, APIC base, SYSENTER, microcode
// revision, misc enable); any other faults into the guest as on the real CPU.
import type { Cpu } from '../cpu/cpu.ts';

const MSR_TSC = 0x10, MSR_APIC_BASE = 0x1b, MSR_BIOS_SIGN_ID = 0x8b, MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_EIP = 0x176;
const MSR_MISC_ENABLE = 0x1a0;
/** DR6 and DR7 as the processor resets them (SDM vol. 3, 17.2.3 and 17.2.4). */
const DR6_RESET = 0xffff0ff0, DR7_RESET = 0x400;

export class VirtualMsrs {
  private readonly sysenter = [0, 0, 0];
  private miscEnable: number;
  private readonly dr = [0, 0, 0, 0, 0, 0, DR6_RESET, DR7_RESET];

  constructor(private readonly cpu: Cpu) {
    this.miscEnable = cpu.msrMiscEnable;
  }

  /** [low, high] of MSR `n`, or null when the CPU has no such MSR (#GP). */
  read(n: number): [number, number] | null {
    if (n === MSR_TSC) { const t = this.cpu.cycles + this.cpu.tscOffset; return [t % 4294967296 | 0, Math.floor(t / 4294967296)]; }
    if (n === MSR_APIC_BASE) return [0xfee00000 | 0, 0];
    if (n >= MSR_SYSENTER_CS && n <= MSR_SYSENTER_EIP) return [this.sysenter[n - MSR_SYSENTER_CS]!, 0];
    if (n === MSR_BIOS_SIGN_ID) return [0, 0];
    if (n === MSR_MISC_ENABLE) return [this.miscEnable, 0];
    return null;
  }

  /** False when the CPU has no such MSR (#GP). A TSC write is refused too: the clock is the hypervisor's. */
  write(n: number, lo: number, _hi: number): boolean {
    if (n >= MSR_SYSENTER_CS && n <= MSR_SYSENTER_EIP) { this.sysenter[n - MSR_SYSENTER_CS] = lo | 0; return true; }
    if (n === MSR_APIC_BASE || n === MSR_BIOS_SIGN_ID) return true;
    if (n === MSR_MISC_ENABLE) { this.miscEnable = lo | 0; return true; }
    return false;
  }

  readDr(n: number): number {
    return this.dr[n === 4 ? 6 : n === 5 ? 7 : n]! | 0;
  }

  writeDr(n: number, v: number): void {
    this.dr[n === 4 ? 6 : n === 5 ? 7 : n] = v | 0;
  }
}
