// Port I/O from the guest's user processes. A native kernel grants a process ports through the
// I/O permission bitmap of its TSS (Linux's ioperm: init's write to the debug-exit port ends a
// run); the CPU checks that bitmap in the TSS the task register names. Deprivileged, the real
// task register is the hypervisor's, so the process's in/out raises #GP and the check is the
// wedge's: the guest's TSS as its ltr cached it (base and limit), the bitmap at the 16-bit offset
// 0x66 in it, every bit of the accessed ports clear and inside the limit (SDM vol. 1, 19.5.2).
// A permitted access goes through the same port path as the kernel's rewritten in/out; any other
// #GP stays the guest's (Linux sends SIGSEGV). IOPL is not consulted: Linux 6.1 emulates iopl()
// with the bitmap and never raises IOPL.
#include "trap.h"
#include "vcpu.h"
#include "decode.h"

static int permitted(u32 port, u32 size)
{
  if (!vcpu.tss_base || vcpu.tss_limit < 0x67)
    return 0;
  u32 base = *(const volatile u16 *)(vcpu.tss_base + 0x66);
  // The CPU reads the two bitmap bytes holding the port's bits; both within the limit.
  if (base + (port + size - 1) / 8 + 1 > vcpu.tss_limit)
    return 0;
  const volatile u8 *map = (const volatile u8 *)(vcpu.tss_base + base);
  for (u32 p = port; p < port + size; p++)
    if (map[p / 8] & (1u << (p & 7)))
      return 0;
  return 1;
}

int trap_user_io(struct tframe *f)
{
  struct insn in;
  if (f->err != 0 || decode((const u8 *)f->eip, 16, &in) < 0 || (in.op != OP_IN && in.op != OP_OUT))
    return 0;
  u32 port = in.port_imm ? in.port : f->edx & 0xFFFF;
  if (!permitted(port, in.size))
    return 0;
  if (in.op == OP_IN) {
    u32 v = vcpu_port_in(port, in.size);
    u32 keep = in.size == 4 ? 0 : in.size == 2 ? 0xFFFF0000u : 0xFFFFFF00u;
    f->eax = (f->eax & keep) | (v & ~keep);
  } else {
    vcpu_port_out(port, in.size, f->eax);
  }
  f->eip += in.len;
  return 1;
}
