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

#ifdef WEDGE_DEVVIRT
#include "mmiosites.h"
#include "vcpu.h"
#include "backend.h"

// The effective address of a ModRM memory operand (no ESP base: the rewriter leaves those).
static u32 effective(const u8 *m, const struct gregs *r)
{
  const u32 regs[8] = { r->eax, r->ecx, r->edx, r->ebx, 0, r->ebp, r->esi, r->edi };
  u32 mod = m[0] >> 6, rm = m[0] & 7, a = 0;
  const u8 *d = m + 1;
  if (rm == 4) {
    u32 sib = m[1], base = sib & 7, index = (sib >> 3) & 7;
    d = m + 2;
    if (index != 4)
      a += regs[index] << (sib >> 6);
    if (mod == 0 && base == 5) {
      a += (u32)d[0] | (u32)d[1] << 8 | (u32)d[2] << 16 | (u32)d[3] << 24;
      return a;
    }
    a += regs[base];
  } else if (mod == 0 && rm == 5) {
    return (u32)d[0] | (u32)d[1] << 8 | (u32)d[2] << 16 | (u32)d[3] << 24;
  } else {
    a += regs[rm];
  }
  if (mod == 1)
    a += (u32)(s32)(s8)d[0];
  else if (mod == 2)
    a += (u32)d[0] | (u32)d[1] << 8 | (u32)d[2] << 16 | (u32)d[3] << 24;
  return a;
}

static u32 *greg(struct gregs *r, u32 n)
{
  u32 *const regs[8] = { &r->eax, &r->ecx, &r->edx, &r->ebx, 0, &r->ebp, &r->esi, &r->edi };
  return regs[n];
}

static u32 device_page = ~0u;            // the guest's virtual page of BAR1, once seen

// A rewritten site's call (the mmio stub). The profile names the instruction, not the address it
// touches: an access that is not to the device's page is done on memory, as the move would.
void nic_mmio_site(struct gregs *r)
{
  const struct mmio_site *s = mmio_site(r->ret);
  if (!s)
    wpanic("mmio stub called from 0x%08x, which is no rewritten device site", r->ret);
  STAT(NIC_SITE_CALLS);
  u32 a = effective(s->modrm, r);
  if ((a & ~0xFFFu) != device_page && be_device_page(a & ~0xFFFu))
    device_page = a & ~0xFFFu;
  int dev = (a & ~0xFFFu) == device_page && !(a & 3);
  if (s->store) {
    u32 v = s->imm_src ? s->imm : *greg(r, s->reg);
    if (dev)
      nic_write(a & 0xFFF, v);
    else
      *(volatile u32 *)a = v;
  } else {
    *greg(r, s->reg) = dev ? nic_read(a & 0xFFF) : *(volatile u32 *)a;
  }
}
#endif
