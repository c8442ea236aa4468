// Native arch layer: the sensitive instructions themselves, one short function each, in
// inline assembly. Nothing here is clever; the point is that these are the only places (with
// entry.S, switch.S and boot.S) where the kernel executes them, so the afterburner finds them
// all and a para-virtual arch can replace each one.
#include "../../arch.h"
#include "../../desc.h"
#include "../../memlayout.h"

u32 arch_irq_save(void)
{
  u32 flags;
  asm volatile("pushfl; popl %0; cli" : "=r"(flags) : : "memory");
  return flags;
}

void arch_irq_restore(u32 flags)
{
  asm volatile("pushl %0; popfl" : : "r"(flags) : "memory", "cc");
}

void arch_irq_disable(void) { asm volatile("cli" : : : "memory"); }
void arch_irq_enable(void)  { asm volatile("sti" : : : "memory"); }

int arch_irqs_enabled(void)
{
  u32 flags;
  asm volatile("pushfl; popl %0" : "=r"(flags));
  return (flags & FL_IF) != 0;
}

// sti takes effect after the next instruction, so no interrupt can slip in between and the
// hlt cannot miss a wakeup (Linux: safe_halt).
void arch_idle(void) { asm volatile("sti; hlt" : : : "memory"); }
void arch_halt(void) { asm volatile("hlt" : : : "memory"); }

u8 arch_inb(u16 port)
{
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

void arch_outb(u16 port, u8 v)  { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
void arch_outw(u16 port, u16 v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
void arch_outl(u16 port, u32 v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }

void arch_load_pgdir(u32 pa) { asm volatile("movl %0, %%cr3" : : "r"(pa) : "memory"); }

u32 arch_read_pgdir(void)
{
  u32 pa;
  asm volatile("movl %%cr3, %0" : "=r"(pa));
  return pa;
}

void arch_invlpg(u32 va) { asm volatile("invlpg (%0)" : : "r"(va) : "memory"); }

void arch_flush_tlb(void) { arch_load_pgdir(arch_read_pgdir()); }

// Linux 2.6 maps the kernel with global pages when CPUID says the CPU has them (leaf 1, EDX bit
// 13, PGE) and sets CR4.PGE: the kernel's TLB entries then survive every address-space switch.
u32 arch_global_pages(void)
{
  u32 a = 1, b, c, d;
  asm volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
  if (!(d & (1u << 13)))
    return 0;
  u32 cr4;
  asm volatile("movl %%cr4, %0" : "=r"(cr4));
  asm volatile("movl %0, %%cr4" : : "r"(cr4 | 0x80u) : "memory");
  return PTE_G;
}

u32 arch_read_fault_addr(void)
{
  u32 va;
  asm volatile("movl %%cr2, %0" : "=r"(va));
  return va;
}

// lgdt and lidt take a 6-byte pseudo-descriptor: 16-bit limit, 32-bit base.
static void load_table(int idt, void *base, u16 limit)
{
  volatile u16 pd[3];
  pd[0] = limit;
  pd[1] = (u32)base;
  pd[2] = (u32)base >> 16;
  if (idt)
    asm volatile("lidt (%0)" : : "r"(pd) : "memory");
  else
    asm volatile("lgdt (%0)" : : "r"(pd) : "memory");
}

void arch_load_gdt(void *base, u16 limit) { load_table(0, base, limit); }
void arch_load_idt(void *base, u16 limit) { load_table(1, base, limit); }
void arch_load_tr(u16 sel) { asm volatile("ltr %0" : : "r"(sel)); }

void arch_reload_segments(void)
{
  asm volatile(
    "ljmp %0, $1f\n"
    "1:\n"
    "movl %1, %%eax\n"
    "movl %%eax, %%ds\n"
    "movl %%eax, %%es\n"
    "movl %%eax, %%ss\n"
    "movl %%eax, %%fs\n"
    "movl %%eax, %%gs\n"
    : : "i"(KERNEL_CS), "i"(KERNEL_DS) : "eax", "memory");
}

void arch_set_kernel_stack(u32 esp0)
{
  kernel_tss.ss0 = KERNEL_DS;
  kernel_tss.esp0 = esp0;
}

#define READ_SEG(name) \
  u16 arch_read_##name(void) { u16 v; asm volatile("movw %%" #name ", %0" : "=r"(v)); return v; }
#define WRITE_SEG(name) \
  void arch_write_##name(u16 sel) { asm volatile("movw %0, %%" #name : : "r"(sel) : "memory"); }

READ_SEG(ds) READ_SEG(es) READ_SEG(fs) READ_SEG(gs)
WRITE_SEG(ds) WRITE_SEG(es) WRITE_SEG(fs) WRITE_SEG(gs)
