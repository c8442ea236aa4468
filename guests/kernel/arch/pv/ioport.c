// Port I/O of a para-virtual kernel. The devices the hypervisor assigned us (UART, PCI
// configuration, debug exit) are reached with the real instructions, which Xen performs for a
// ring-1 guest and L4 allows through the task's I/O bitmap; the PIC and PIT ports go to the
// stand-in (picpit.c), since those chips belong to the hypervisor.
#include "../../arch.h"
#include "pv.h"

u8 arch_inb(u16 port)
{
  if (pv_virtual_port(port))
    return pv_virtual_in(port);
  u8 v;
  asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

u16 arch_inw(u16 port)
{
  u16 v;
  asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

u32 arch_inl(u16 port)
{
  u32 v;
  asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

void arch_outb(u16 port, u8 v)
{
  if (pv_virtual_port(port))
    pv_virtual_out(port, v);
  else
    asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
void arch_outw(u16 port, u16 v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
void arch_outl(u16 port, u32 v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
