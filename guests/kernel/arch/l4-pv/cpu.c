// The para-virtual replacements of the remaining sensitive instructions on L4. The IDT, segment
// registers and the kernel stack have no L4 counterpart (every thread runs on the flat ring-3
// selectors, and each process is its own L4 thread): they are kept in variables. Idling is an
// open receive; halting for good is a receive that never ends. Port I/O and the GDT and TSS
// that are never loaded are shared with xen-pv (arch/pv/).
#include "../../arch.h"
#include "../../defs.h"
#include "l4pv.h"

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

void arch_load_idt(void *base, u16 limit) { (void)base, (void)limit; }

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
