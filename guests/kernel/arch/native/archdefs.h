// Native IA-32 definitions the common kernel needs: segment selectors of the GDT built by
// desc.c, the EFLAGS a new user process starts with, and the inline (non-sensitive) hooks.
// The kernel runs in ring 0.
#ifndef ARCHDEFS_H
#define ARCHDEFS_H

#define SEG_KCODE 1
#define SEG_KDATA 2
#define SEG_UCODE 3
#define SEG_UDATA 4
#define SEG_TSS   5
#define NSEGS     6

#define KERNEL_CS (SEG_KCODE << 3)
#define KERNEL_DS (SEG_KDATA << 3)
#define USER_CS   ((SEG_UCODE << 3) | 3)
#define USER_DS   ((SEG_UDATA << 3) | 3)
#define TSS_SEL   (SEG_TSS << 3)

#define KERNEL_DPL 0
#define FL_IF      0x200
#define FL_RESERVED 0x002
#define USER_EFLAGS (FL_IF | FL_RESERVED)

#ifndef __ASSEMBLER__
// Page-table entry writes. Not a sensitive instruction natively, so an inline store: objects
// outside arch/ stay free of sensitive instructions. A para-virtual arch turns this into a
// hypercall or a mapping operation.
static inline void arch_set_pte(unsigned int *pte, unsigned int val)
{
  *(volatile unsigned int *)pte = val;
}

// A user page directory that is not loaded is about to be freed with its page tables. Nothing
// to do natively; a para-virtual arch hands the frames back from the hypervisor.
static inline void arch_pgdir_free(unsigned int *pgdir) { (void)pgdir; }
#endif

#endif
