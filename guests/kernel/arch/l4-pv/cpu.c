// The para-virtual replacements of the remaining sensitive instructions on L4. Port I/O to the
// devices σ0 granted (UART, PCI configuration, debug exit) is the real instruction, allowed by
// the task's I/O bitmap; the PIC and PIT are the microkernel's, so events.c stands in for them.
// Descriptor tables, segment registers and the kernel stack have no L4 counterpart (every
// thread runs on the flat ring-3 selectors, and each process is its own L4 thread): they are
// kept in variables. Idling is an open receive; halting for good is a receive that never ends.
#include "../../arch.h"
#include "../../defs.h"
#include "l4pv.h"

u8 arch_inb(u16 port)
{
  if (l4pv_virtual_port(port))
    return l4pv_virtual_in(port);
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
  if (l4pv_virtual_port(port))
    l4pv_virtual_out(port, v);
  else
    asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
void arch_outw(u16 port, u16 v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
void arch_outl(u16 port, u32 v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }

// sti; hlt: wait in an open receive until the interrupt thread says an interrupt is pending
// (it polls for the few instructions between the announcement and the receive), then take it.
void arch_idle(void)
{
  l4pv_main_open_wait = 1;
  asm volatile("" : : : "memory");
  while (!l4pv_deliverable()) {
    l4_word err;
    l4_word from = l4_wait(L4_NEVER, &err);
    if (!err && from == l4pv_irq_tid && L4_TAG_LABEL(L4_UTCB->mr[0]) == LABEL_NOTIFY) {
      l4pv_notified = 0;
      break;
    }
  }
  l4pv_main_open_wait = 0;
  arch_irq_enable();
}

void arch_halt(void)
{
  for (;;)
    l4_ipc(L4_NILTHREAD, L4_MAIN, L4_NEVER, 0);
}

void arch_load_gdt(void *base, u16 limit) { (void)base, (void)limit; }
void arch_load_idt(void *base, u16 limit) { (void)base, (void)limit; }
void arch_load_tr(u16 sel) { (void)sel; }

static u16 seg_ds = KERNEL_DS, seg_es = KERNEL_DS, seg_fs = KERNEL_DS, seg_gs = KERNEL_DS;
static u32 kernel_stack;

void arch_reload_segments(void) { seg_ds = seg_es = seg_fs = seg_gs = KERNEL_DS; }
void arch_set_kernel_stack(u32 esp0) { kernel_stack = esp0; }

u16 arch_read_ds(void) { return seg_ds; }
u16 arch_read_es(void) { return seg_es; }
u16 arch_read_fs(void) { return seg_fs; }
u16 arch_read_gs(void) { return seg_gs; }
void arch_write_ds(u16 sel) { seg_ds = sel; }
void arch_write_es(u16 sel) { seg_es = sel; }
void arch_write_fs(u16 sel) { seg_fs = sel; }
void arch_write_gs(u16 sel) { seg_gs = sel; }

u32 arch_read_fault_addr(void) { return l4pv_fault_addr; }
