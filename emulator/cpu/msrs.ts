// The model-specific registers of this CPU model, apart from the TSC (which is the clock's: the
// callers keep it). One bank holds their values: the CPU's rdmsr/wrmsr use one for the machine,
// and a trap-and-emulate monitor keeps another for its deprivileged guest
// (emulator/hypervisors/virtual-msrs.ts), so both offer the same MSRs with the same meaning.

export const MSR_TSC = 0x10;
const MSR_APIC_BASE = 0x1b, MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_EIP = 0x176;
/**
 * IA32_BIOS_SIGN_ID (0x8B): the microcode update revision, in EDX after a write of 0 and a cpuid
 * (Intel SDM vol. 3, 9.11.7). No update is loaded on this CPU model, so it reads 0. Linux reads it
 * on every Intel CPU of family 6 and up without an exception fixup.
 */
const MSR_BIOS_SIGN_ID = 0x8b;
/**
 * IA32_MISC_ENABLE (0x1A0), which Linux reads unguarded on family 15: fast strings enabled (bit 0),
 * as firmware leaves it, and the branch-trace and PEBS stores marked unavailable (bits 11, 12)
 * since the CPU has no debug store. Writes keep the value (Linux clears the limit-CPUID bit).
 */
const MSR_MISC_ENABLE = 0x1a0;
export const MISC_ENABLE_RESET = 0x1 | 0x800 | 0x1000;

export class MsrBank {
  /** SYSENTER_CS, SYSENTER_ESP, SYSENTER_EIP. */
  readonly sysenter = new Int32Array(3);
  /** IA32_MISC_ENABLE's low half. */
  miscEnable = MISC_ENABLE_RESET;

  /** [low, high] of MSR `n` (not the TSC), or null when the CPU has no such MSR (#GP). */
  read(n: number): [number, number] | null {
    if (n === MSR_APIC_BASE) return [0xfee00000 | 0, 0];
    if (n >= MSR_SYSENTER_CS && n <= MSR_SYSENTER_EIP) return [this.sysenter[n - MSR_SYSENTER_CS]!, 0];
    if (n === MSR_BIOS_SIGN_ID) return [0, 0];
    if (n === MSR_MISC_ENABLE) return [this.miscEnable, 0];
    return null;
  }

  /** Writes the low half `lo` of MSR `n` (not the TSC); false when the CPU has no such MSR (#GP). */
  write(n: number, lo: number): boolean {
    if (n >= MSR_SYSENTER_CS && n <= MSR_SYSENTER_EIP) { this.sysenter[n - MSR_SYSENTER_CS] = lo; return true; }
    if (n === MSR_APIC_BASE) return true; // accepted and ignored: no local APIC is modelled
    if (n === MSR_BIOS_SIGN_ID) return true; // the write that asks for the revision; nothing to load
    if (n === MSR_MISC_ENABLE) { this.miscEnable = lo | 0; return true; }
    return false;
  }
}
