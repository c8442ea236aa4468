// Native IA-32 definitions the common kernel needs: segment selectors of the GDT built by
// desc.c (its slots and the EFLAGS bits are segdefs.h, shared with the para-virtual arches)
// and the inline (non-sensitive) hooks. The kernel runs in ring 0.
#ifndef ARCHDEFS_H
#define ARCHDEFS_H

#include "../../segdefs.h"

#define KERNEL_CS (SEG_KCODE << 3)
#define KERNEL_DS (SEG_KDATA << 3)
#define USER_CS   ((SEG_UCODE << 3) | 3)
#define USER_DS   ((SEG_UDATA << 3) | 3)

#define KERNEL_DPL 0

#ifndef __ASSEMBLER__
// Page-table entry writes. Not a sensitive instruction natively, so an inline store: objects
// outside arch/ stay free of sensitive instructions. A para-virtual arch turns this into a
// hypercall or a mapping operation. The store carries the afterburner's page-table annotation
// (the slides' "page table manual annotations"): `.afterburn_pte` sits inside `.if 0`, so GNU as
// alone skips it and the native kernel is a plain store; the afterburner reads it, pads the
// store and records it in `.afterburn_pt`, where the wedge finds it and rewrites it into its
// page-table path (a validated update on Xen).
// Built with PT_ANNOTATE=0 (ARCH_PT_UNANNOTATED) the store is plain C with no annotation: the
// kernel the afterburner annotates from profile feedback alone (afterburner/feedback.ts).
#ifdef ARCH_PT_UNANNOTATED
static inline void arch_set_pte(unsigned int *pte, unsigned int val)
{
  *(volatile unsigned int *)pte = val;
}
#else
static inline void arch_set_pte(unsigned int *pte, unsigned int val)
{
  asm volatile(".if 0; .afterburn_pte; .endif\n\tmovl %1, %0" : "=m"(*pte) : "ri"(val) : "memory");
}
#endif

// A user page directory that is not loaded is about to be freed with its page tables. Nothing
// to do natively; a para-virtual arch hands the frames back from the hypervisor.
static inline void arch_pgdir_free(unsigned int *pgdir) { (void)pgdir; }
#endif

#endif
