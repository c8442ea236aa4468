// The virtual CPU's privileged operations, called by the entry stubs with virtual interrupts
// masked. Control registers and descriptor-table registers are virtual state; the back-end is
// told when the hypervisor must act (paging changes, a new GDT, a new kernel stack). Segment
// registers belong to the back-end (be_write_sreg): on Xen they are real, loaded from a ring-1
// copy of the guest's GDT; on L4, whose tasks have only flat user segments, they are virtual.
#include "vcpu.h"
#include "backend.h"
#include "devices.h"
#include "lib.h"
#include "stats.h"
#ifdef WEDGE_DEVVIRT
#include "dp83820.h"
#endif

struct vcpu vcpu = { .cr0 = CR0_PE | CR0_ET, .dr = { [6] = DR6_RESET, [7] = DR7_RESET } };
volatile u32 vcpu_delivered;

void vcpu_write_cr(u32 n, u32 v)
{
  STAT(MOV_TO_CR);
  switch (n) {
  case 0: {
    u32 old = vcpu.cr0;
    vcpu.cr0 = v | CR0_ET;
    if ((old ^ v) & CR0_TS)
      be_fpu_ts(!!(v & CR0_TS));
    if ((old ^ v) & (CR0_PG | CR0_PE))
      be_mmu_reload(1);
    break;
  }
  case 2: vcpu.cr2 = v; break;
  case 3: {
    u32 old = vcpu.cr3;
    vcpu.cr3 = v;
    if (vcpu.cr0 & CR0_PG)
      be_mmu_reload(old == v);
    break;
  }
  case 4:
    if (v & ~0x80u)     // PGE only; PSE, PAE, VME, PVI, TSD... are not emulated
      wpanic("mov to cr4: 0x%x sets bits the wedge does not emulate", v);
    vcpu.cr4 = v;
    break;
  }
}

u32 vcpu_read_cr(u32 n)
{
  STAT(MOV_FROM_CR);
  switch (n) {
  case 0: return vcpu.cr0;
  case 2: return vcpu.cr2;
  case 3: return vcpu.cr3;
  default: return vcpu.cr4;
  }
}

void vcpu_write_sreg(u32 s, u32 sel)
{
  static const u8 stat[6] = { ST_WRITE_ES, 0, ST_WRITE_SS, ST_WRITE_DS, ST_WRITE_FS, ST_WRITE_GS };
  if (s >= 6 || s == 1)
    return;
  wedge_stats.v[stat[s]]++;
  be_write_sreg(s, sel & 0xFFFF);
}

u32 vcpu_read_sreg(u32 s)
{
  static const u8 stat[6] = { ST_READ_ES, ST_READ_CS, ST_READ_SS, ST_READ_DS, ST_READ_FS, ST_READ_GS };
  if (s >= 6)
    return 0;
  wedge_stats.v[stat[s]]++;
  return be_read_sreg(s) & 0xFFFF;
}

void vcpu_invlpg(u32 va)
{
  STAT(INVLPG);
  if (vcpu.cr0 & CR0_PG)
    be_invlpg(va);
}

// lgdt/lidt read a 6-byte pseudo-descriptor (16-bit limit, 32-bit base) at a guest address.
void vcpu_lgdt(u32 addr)
{
  STAT(LGDT);
  const u8 *p = (const u8 *)addr;
  vcpu.gdt_limit = p[0] | p[1] << 8;
  vcpu.gdt_base = p[2] | p[3] << 8 | p[4] << 16 | (u32)p[5] << 24;
  be_load_gdt();
}

void vcpu_lidt(u32 addr)
{
  STAT(LIDT);
  const u8 *p = (const u8 *)addr;
  vcpu.idt_limit = p[0] | p[1] << 8;
  vcpu.idt_base = p[2] | p[3] << 8 | p[4] << 16 | (u32)p[5] << 24;
  // Entry 8 a present task gate (type 5): told to the back-end here, once per load, so that
  // reflecting a trap never has to tell gate types apart.
  // The CPU reads no entry at lidt, so an entry the guest's tables do not map is left alone.
  if (vcpu.idt_limit >= 8 * 8 + 7 && be_guest_readable(vcpu.idt_base + 8 * 8) && be_guest_readable(vcpu.idt_base + 8 * 8 + 7)) {
    const u32 *g = (const u32 *)(vcpu.idt_base + 8 * 8);
    if ((g[1] & 0x9F00) == 0x8500)
      be_double_fault_task(g[0] >> 16);
  }
}

// ltr: remember the TSS; the back-end reads its ring-0 stack whenever the guest returns to
// user mode (the guest updates TSS.esp0 with plain stores, which the wedge cannot see).
void vcpu_ltr(u32 sel)
{
  STAT(LTR);
  sel &= 0xFFFF;
  if ((sel | 7) > vcpu.gdt_limit)
    wpanic("ltr 0x%x: beyond the GDT limit 0x%x", sel, vcpu.gdt_limit);
  const u32 *d = (const u32 *)(vcpu.gdt_base + (sel & ~7u));
  vcpu.tr = sel;
  vcpu.tss_base = (d[0] >> 16) | (d[1] & 0xFF) << 16 | (d[1] & 0xFF000000);
  u32 limit = (d[0] & 0xFFFF) | (d[1] & 0xF0000);
  vcpu.tss_limit = d[1] & 0x800000 ? limit << 12 | 0xFFF : limit;
}

// sgdt/sidt store the 6-byte pseudo-descriptor lgdt/lidt loaded.
static void store_pseudo(u32 addr, u32 limit, u32 base)
{
  u8 *p = (u8 *)addr;
  p[0] = (u8)limit; p[1] = (u8)(limit >> 8);
  p[2] = (u8)base; p[3] = (u8)(base >> 8); p[4] = (u8)(base >> 16); p[5] = (u8)(base >> 24);
}

void vcpu_sgdt(u32 addr) { store_pseudo(addr, vcpu.gdt_limit, vcpu.gdt_base); }
void vcpu_sidt(u32 addr) { store_pseudo(addr, vcpu.idt_limit, vcpu.idt_base); }

// lldt: the LDT register is virtual and may only be null (RPL/TI bits aside): Linux loads a
// non-null one only for a process that called modify_ldt, and a real LDT would need the
// back-end (Xen's MMUEXT_SET_LDT, a descriptor table per L4 space). Stopping names it.
void vcpu_lldt(u32 sel)
{
  sel &= 0xFFFF;
  if (sel & ~3u)
    wpanic("lldt 0x%x: the wedge emulates only the null LDT", sel);
  vcpu.ldtr = sel;
}

u32 vcpu_sldt(void) { return vcpu.ldtr; }
u32 vcpu_str(void) { return vcpu.tr; }

// sldt/str to memory and mov sreg to memory: a 16-bit store whatever the operand size.
void vcpu_store16(u32 addr, u32 v)
{
  u8 *p = (u8 *)addr;
  p[0] = (u8)v;
  p[1] = (u8)(v >> 8);
}

// lss m, %esp (the stub's half is in stubs.S): out[0], out[1] are the stub's {ESP, SS} pair for
// its own lss, out[2] and out[3] the site's return address and EAX, which go to the top of the
// new stack (at its linear address: the segment's base plus the offset) for the stub's popl and
// ret there. The new SS is loaded by that real lss, so the stack never changes halfway.
void vcpu_lss(u32 addr, u32 *out)
{
  const u8 *m = (const u8 *)addr;
  u32 esp = m[0] | m[1] << 8 | m[2] << 16 | (u32)m[3] << 24;
  u32 sel = m[4] | m[5] << 8, base = 0;
  u32 ret = out[2], eax = out[3];
  wedge_stats.v[ST_WRITE_SS]++;
  out[1] = be_lss(sel, &base);
  u32 *top = (u32 *)(base + esp - 8);
  top[0] = eax;
  top[1] = ret;
  out[0] = esp - 8;
}

// The base of a GDT segment (lss onto a stack segment with a base: Linux's espfix).
u32 vcpu_seg_base(u32 sel)
{
  if ((sel & 4) || !(sel & ~7u) || (sel | 7) > vcpu.gdt_limit)
    wpanic("segment 0x%x: not a GDT selector within its limit 0x%x", sel, vcpu.gdt_limit);
  const u32 *d = (const u32 *)(vcpu.gdt_base + (sel & ~7u));
  return (d[0] >> 16) | (d[1] & 0xFF) << 16 | (d[1] & 0xFF000000);
}

// ins to ES:EDI / outs from DS:ESI, one element: the segments are flat (the decoder refuses an
// override), EDI/ESI step by the size, down when the guest's DF is set.
void vcpu_string_io(struct gregs *r, u32 size, u32 out)
{
  u32 port = r->edx & 0xFFFF;
  s32 step = (r->eflags & FL_DF) ? -(s32)size : (s32)size;
  if (out) {
    const u8 *p = (const u8 *)r->esi;
    u32 v = size == 1 ? p[0] : size == 2 ? (u32)(p[0] | p[1] << 8) : (u32)(p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24);
    vcpu_port_out(port, size, v);
    r->esi += (u32)step;
  } else {
    u32 v = vcpu_port_in(port, size);
    u8 *p = (u8 *)r->edi;
    for (u32 i = 0; i < size; i++)
      p[i] = (u8)(v >> (8 * i));
    r->edi += (u32)step;
  }
}

// rep ins/outs: ECX elements, ECX 0 at the end (nothing happens with ECX already 0).
void vcpu_rep_string_io(struct gregs *r, u32 size, u32 out)
{
  for (; r->ecx; r->ecx--)
    vcpu_string_io(r, size, out);
}

void vcpu_clts(void)
{
  STAT(CLTS);
  vcpu.cr0 &= ~CR0_TS;
  be_fpu_ts(0);
}

int vcpu_gate(u32 vector, u32 *handler, int *intgate)
{
  if (vector * 8 + 7 > vcpu.idt_limit || !vcpu.idt_base)
    return -1;
  const u32 *g = (const u32 *)(vcpu.idt_base + vector * 8);
  u32 lo = g[0], hi = g[1];
  if (!(hi & 0x8000))
    return -1;
  *handler = (hi & 0xFFFF0000) | (lo & 0xFFFF);
  *intgate = ((hi >> 8) & 0xF) == 0xE;
  return 0;
}

u32 vcpu_port_in(u32 port, u32 size)
{
  STAT(PORT_IN);
  u32 v;
  if (dev_port_in(port, size, &v))
    return v;
  return be_port_in(port, size);
}

void vcpu_port_out(u32 port, u32 size, u32 v)
{
  STAT(PORT_OUT);
  if (!dev_port_out(port, size, v))
    be_port_out(port, size, v);
}

// Have the back-end deliver what the virtual PIC holds now, as if interrupts were on for a
// moment: the guest's handler runs and its iret comes back here.
static void deliver_now(void)
{
  vcpu_irq_pending = 1;
  vcpu_irq_mask = 0;
  be_force_upcall();
  vcpu_irq_mask = 1;
}

// hlt: with virtual interrupts on, wait until one is delivered (it is delivered inside this
// function: the guest's handler runs and returns here); with them off, the CPU stops for good.
void vcpu_hlt(u32 mask_was)
{
  if (mask_was)
    wpanic("hlt with interrupts disabled: the guest stopped");
#ifdef WEDGE_DEVVIRT
  if (nic_flush_wanted)
    nic_flush();                         // the guest paused: send what its driver queued
#endif
  u32 seen = vcpu_delivered;
  while (vcpu_delivered == seen) {
    if (pic_pending()) {
      deliver_now();
      if (vcpu_delivered != seen)
        break;
    }
    be_block();
  }
}
