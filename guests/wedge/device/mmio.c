// Device register accesses that reach the wedge by a page fault on the device's page (the
// guest's tables name BAR1 but the wedge keeps it unmapped): decode the faulting instruction,
// do the access on the emulated DP83820, step over it. The driver reads and writes its
// registers with plain 32-bit moves (mov m32 -> r32, mov r32/imm32 -> m32); any other form at
// a device page stops the wedge naming the instruction, since guessing its effect would let
// the driver and the device disagree.
#ifdef WEDGE_DEVVIRT
#include "dp83820.h"
#include "decode.h"
#include "trap.h"
#include "lib.h"
#include "stats.h"

static u32 *reg_of(struct tframe *f, u32 r)
{
  switch (r) {
  case 0: return &f->eax;
  case 1: return &f->ecx;
  case 2: return &f->edx;
  case 3: return &f->ebx;
  case 5: return &f->ebp;
  case 6: return &f->esi;
  case 7: return &f->edi;
  default: return 0;                     // ESP: not a register a driver moves to a device
  }
}

int nic_mmio_access(struct tframe *f, u32 off)
{
  const u8 *ip = (const u8 *)f->eip;
  struct store st;
  STAT(NIC_MMIO);
  if ((off & 3) == 0 && decode_store(ip, 16, &st) == 0) {
    u32 *r = reg_of(f, st.reg);
    if (st.imm_src || r) {
      nic_write(off, st.imm_src && !st.moffs ? st.imm : *r);
      f->eip += st.len;
      return 1;
    }
  }
  if ((off & 3) == 0 && decode_load(ip, 16, &st) == 0) {
    u32 *r = reg_of(f, st.reg);
    if (r) {
      *r = nic_read(off);
      f->eip += st.len;
      return 1;
    }
  }
  wpanic("device register access at offset 0x%x by eip 0x%08x (%02x %02x %02x): not a 32-bit mov",
         off, f->eip, ip[0], ip[1], ip[2]);
}
#endif
