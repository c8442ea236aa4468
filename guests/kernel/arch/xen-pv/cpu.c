// The para-virtual replacements of the sensitive instructions: the interrupt flag is the
// shared-info upcall mask, halting is sched_op block, descriptor tables are Xen's (flat ring-1
// and ring-3 selectors) plus a trap table, the kernel stack is stack_switch. Segment registers
// are the real instructions (ring 1 may load Xen's flat selectors). Port I/O and the GDT and
// TSS that are never loaded are shared with l4-pv (arch/pv/).
#include "../../arch.h"
#include "../../defs.h"
#include "xen.h"

#define T_SYSCALL 128
#define TI_DPL3 3
#define TI_MASK 4        // set the upcall mask on entry: an interrupt gate

// Virtual sti: unmask, then if an event arrived while masked, any hypercall delivers it.
static void virtual_sti(void)
{
  VCPU_MASK = 0;
  asm volatile("" : : : "memory");
  if (VCPU_PENDING)
    hypercall(HC_xen_version, 0, 0, 0, 0);
}

u32 arch_irq_save(void)
{
  u32 flags = VCPU_MASK ? FL_RESERVED : (FL_IF | FL_RESERVED);
  VCPU_MASK = 1;
  asm volatile("" : : : "memory");
  return flags;
}

void arch_irq_restore(u32 flags)
{
  if (flags & FL_IF)
    virtual_sti();
  else
    VCPU_MASK = 1;
  asm volatile("" : : : "memory");
}

void arch_irq_disable(void) { VCPU_MASK = 1; asm volatile("" : : : "memory"); }
void arch_irq_enable(void) { virtual_sti(); }
int arch_irqs_enabled(void) { return !VCPU_MASK; }

// Block clears the mask and returns after the upcall that woke us, as sti; hlt does.
void arch_idle(void) { hypercall(HC_sched_op, 1, 0, 0, 0); }

void arch_halt(void)
{
  u32 reason = 0;
  hypercall(HC_sched_op, 2, (u32)&reason, 0, 0);
}

void arch_reload_segments(void)
{
  asm volatile(
    "movl %0, %%eax\n"
    "movl %%eax, %%ds\n"
    "movl %%eax, %%es\n"
    "movl %%eax, %%ss\n"
    "movl %%eax, %%fs\n"
    "movl %%eax, %%gs\n"
    : : "i"(KERNEL_DS) : "eax", "memory");
}

// The IDT becomes a trap table: exceptions as interrupt gates, int $0x80 callable from ring 3.
// Interrupt vectors are not traps here: they arrive as events (events.c). Also installs the
// event callback.
struct trap_info { u8 vector, flags; u16 cs; u32 address; };
static struct trap_info trap_table[48];
extern char xen_upcall_entry[], xen_failsafe_entry[];

void arch_load_idt(void *base, u16 limit)
{
  (void)base, (void)limit;
  u32 n = 0;
  for (const struct arch_vector *v = arch_vectors; v->entry && n + 1 < 48; v++) {
    if (v->vector >= 32 && v->vector < 48)
      continue;
    trap_table[n].vector = v->vector;
    trap_table[n].flags = v->vector == T_SYSCALL ? TI_DPL3 : TI_MASK;
    trap_table[n].cs = KERNEL_CS;
    trap_table[n].address = v->entry;
    n++;
  }
  trap_table[n].address = 0;
  long rc = hypercall(HC_set_trap_table, (u32)trap_table, 0, 0, 0);
  if (rc < 0)
    xen_crash("set_trap_table", rc);
  rc = hypercall(HC_set_callbacks, KERNEL_CS, (u32)xen_upcall_entry, KERNEL_CS, (u32)xen_failsafe_entry);
  if (rc < 0)
    xen_crash("set_callbacks", rc);
}

static u32 kernel_stack;

void arch_set_kernel_stack(u32 esp0)
{
  if (esp0 == kernel_stack)
    return;
  kernel_stack = esp0;
  long rc = hypercall(HC_stack_switch, KERNEL_DS, esp0, 0, 0);
  if (rc < 0)
    xen_crash("stack_switch", rc);
}

#define READ_SEG(name) \
  u16 arch_read_##name(void) { u16 v; asm volatile("movw %%" #name ", %0" : "=r"(v)); return v; }
#define WRITE_SEG(name) \
  void arch_write_##name(u16 sel) { asm volatile("movw %0, %%" #name : : "r"(sel) : "memory"); }

READ_SEG(ds) READ_SEG(es) READ_SEG(fs) READ_SEG(gs)
WRITE_SEG(ds) WRITE_SEG(es) WRITE_SEG(fs) WRITE_SEG(gs)
