// The virtual CPU's model-specific and debug registers: what rdmsr, wrmsr and the debug-register
// moves of a rewritten site read and write. None reaches the real CPU, whose SYSENTER and debug
// registers are the hypervisor's. The MSRs are the ones the machine's CPU model offers (the same
// set the trap-and-emulate monitors give an unmodified guest): the TSC, the APIC base, the
// SYSENTER trio, the microcode revision and misc-enable. Linux reads the last two on Intel family
// 6 and later; a kernel configured for a 486SX reaches MSRs only in code guarded by the CPU's
// features. Any other MSR would raise #GP on the CPU: the wedge stops naming it and the site.
#include "vcpu.h"
#include "lib.h"

#define MSR_TSC 0x10u
#define MSR_APIC_BASE 0x1Bu
#define MSR_BIOS_SIGN_ID 0x8Bu
#define MSR_SYSENTER_CS 0x174u
#define MSR_SYSENTER_EIP 0x176u
#define MSR_MISC_ENABLE 0x1A0u
#define APIC_BASE 0xFEE00000u
// Misc-enable as firmware leaves it: fast strings on, branch trace and PEBS unavailable (bits
// 0, 11, 12; SDM vol. 4, IA32_MISC_ENABLE).
#define MISC_ENABLE_RESET 0x1801u

static u32 sysenter[3], misc_enable = MISC_ENABLE_RESET;
static u64 tsc_offset;   // a guest write to the TSC moves only its own view

static u64 rdtsc(void)
{
  u32 lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (u64)hi << 32 | lo;
}

static void no_msr(const char *what, const struct gregs *r)
{
  wpanic("%s of MSR 0x%x (the site before 0x%08x): not in the wedge's table", what, r->ecx, r->ret);
}

void vcpu_rdmsr(struct gregs *r)
{
  u32 n = r->ecx, lo = 0, hi = 0;
  if (n == MSR_TSC) {
    u64 t = rdtsc() + tsc_offset;
    lo = (u32)t;
    hi = (u32)(t >> 32);
  } else if (n == MSR_APIC_BASE) {
    lo = APIC_BASE;
  } else if (n >= MSR_SYSENTER_CS && n <= MSR_SYSENTER_EIP) {
    lo = sysenter[n - MSR_SYSENTER_CS];
  } else if (n == MSR_MISC_ENABLE) {
    lo = misc_enable;
  } else if (n != MSR_BIOS_SIGN_ID) {   // microcode revision 0: none loaded
    no_msr("rdmsr", r);
  }
  r->eax = lo;
  r->edx = hi;
}

void vcpu_wrmsr(struct gregs *r)
{
  u32 n = r->ecx;
  if (n == MSR_TSC)
    tsc_offset = ((u64)r->edx << 32 | r->eax) - rdtsc();
  else if (n >= MSR_SYSENTER_CS && n <= MSR_SYSENTER_EIP)
    sysenter[n - MSR_SYSENTER_CS] = r->eax;
  else if (n == MSR_MISC_ENABLE)
    misc_enable = r->eax;
  else if (n != MSR_APIC_BASE && n != MSR_BIOS_SIGN_ID)   // no local APIC; nothing to load
    no_msr("wrmsr", r);
}

// DR4 and DR5 arrive as DR6 and DR7 (the decoder's aliasing, CR4.DE being clear).
void vcpu_write_dr(u32 n, u32 v) { vcpu.dr[n & 7] = v; }
u32 vcpu_read_dr(u32 n) { return vcpu.dr[n & 7]; }
