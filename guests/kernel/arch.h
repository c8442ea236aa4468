// The arch layer: every virtualization-sensitive operation the kernel performs goes through
// one of these functions. Code outside arch/ never executes a sensitive instruction itself, so
// a para-virtual build can swap arch/native/ for arch/xen-pv/ or arch/l4-pv/ at compile time
// (ARCH=... in the Makefile), as XenoLinux swapped Linux's. The native layer uses the raw
// instructions, which is what the afterburner must find and pad.
//
// Each arch directory provides archdefs.h (selectors, initial user EFLAGS, inline hooks that
// are not sensitive instructions) and implements every function below; the entry stubs (trap
// vectors, return to user), the thread switch and the boot entry belong to the arch layer too.
#ifndef ARCH_H
#define ARCH_H

#include "types.h"
#include "archdefs.h"

// The frame the entry stubs build on the kernel stack for every trap, interrupt and system
// call; trap() receives a pointer to it and arch_trapret pops it. Segment slots are 32 bits
// wide on the stack but only the low 16 bits are defined.
struct trapframe {
  u32 edi, esi, ebp, oesp, ebx, edx, ecx, eax;   // pushal
  u16 gs, pad_gs, fs, pad_fs, es, pad_es, ds, pad_ds;
  u32 trapno, err;                                // pushed by the vector stub
  u32 eip;                                        // pushed by the CPU
  u16 cs, pad_cs;
  u32 eflags;
  u32 esp;                                        // only on a ring change
  u16 ss, pad_ss;
};

// Callee-saved registers of a suspended kernel thread (see arch_switch_context).
struct context { u32 edi, esi, ebx, ebp, eip; };

// --- interrupt flag (Linux: local_irq_save/restore/disable/enable) ---
u32  arch_irq_save(void);          // pushf; pop; cli  -> previous flags
void arch_irq_restore(u32 flags);  // push; popf
void arch_irq_disable(void);       // cli
void arch_irq_enable(void);        // sti
int  arch_irqs_enabled(void);      // pushf; pop; test IF

// --- halting ---
void arch_idle(void);              // sti; hlt  (wakes on the next interrupt)
void arch_halt(void);              // hlt with the flags as they are (used to stop for good)

// --- port I/O ---
u8   arch_inb(u16 port);
u16  arch_inw(u16 port);
u32  arch_inl(u16 port);
void arch_outb(u16 port, u8 v);
void arch_outw(u16 port, u16 v);
void arch_outl(u16 port, u32 v);

// --- paging ---
// arch_set_pte(u32 *pte, u32 val): write one page-directory or page-table entry (archdefs.h,
// inline natively); every write to a live or future page table goes through it.
void arch_load_pgdir(u32 pa);      // load the page directory at physical address pa (CR3)
u32  arch_read_pgdir(void);        // physical address of the current page directory
void arch_invlpg(u32 va);          // drop one TLB entry
void arch_flush_tlb(void);         // drop all non-global TLB entries
u32  arch_global_pages(void);      // turn on global pages if the CPU has them; the PTE bit for kernel mappings (or 0)
u32  arch_read_fault_addr(void);   // CR2: the address of the last page fault

// --- descriptor tables and privilege transitions ---
void arch_load_gdt(void *base, u16 limit);
void arch_load_idt(void *base, u16 limit);
void arch_load_tr(u16 sel);
void arch_reload_segments(void);   // after a GDT load: reload CS, DS, ES, SS, FS, GS with kernel selectors
void arch_set_kernel_stack(u32 esp0); // stack the CPU switches to on a user -> kernel transition

// --- segment registers (Linux: savesegment / loadsegment) ---
u16  arch_read_ds(void);
u16  arch_read_es(void);
u16  arch_read_fs(void);
u16  arch_read_gs(void);
void arch_write_ds(u16 sel);
void arch_write_es(u16 sel);
void arch_write_fs(u16 sel);
void arch_write_gs(u16 sel);

// --- boot ---
// The arch's boot entry calls main(0x2BADB002, physical address of a Multiboot v1 info
// structure) with interrupts disabled, paging on, physical 0..4 MiB mapped at KERNBASE, the
// BSS zeroed and the stack on boot_stack (one page, later the idle process's kernel stack).
// A para-virtual arch translates its own start-of-day information into that structure.
void main(u32 magic, u32 info_pa);
extern u8 boot_stack[];

// --- threads and the way back to user mode ---
// Save the current callee-saved registers in *old, switch to the stack of new and resume it
// (switch.S: plain register moves, shared by every arch layer).
void arch_switch_context(struct context **old, struct context *new);
// Entry-stub label: pops a struct trapframe and returns (iret) to where it says. A new process's
// first kernel stack is built so that its first context returns here.
void arch_trapret(void);
// The entry stubs: one {vector, address} pair per stub, ending with entry == 0.
struct arch_vector { u32 vector, entry; };
extern const struct arch_vector arch_vectors[];

#endif
