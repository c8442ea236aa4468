// Definitions both para-virtual arch layers share (included by their archdefs.h): the slots of
// the kernel's own GDT (built by desc.c, never loaded: the hypervisor owns the real one), the
// EFLAGS a new user process starts with, and the two page-table hooks, which a para-virtual
// arch cannot inline (each is a hypercall or a mapping operation, see its mmu.c). The
// selectors themselves are the hypervisor's and stay in each archdefs.h.
#ifndef PVDEFS_H
#define PVDEFS_H

#define SEG_KCODE 1
#define SEG_KDATA 2
#define SEG_UCODE 3
#define SEG_UDATA 4
#define SEG_TSS   5
#define NSEGS     6
#define TSS_SEL   (SEG_TSS << 3)

#define FL_IF      0x200
#define FL_RESERVED 0x002
#define USER_EFLAGS (FL_IF | FL_RESERVED)

#ifndef __ASSEMBLER__
// Write one page-directory or page-table entry (arch.h: arch_set_pte).
void arch_set_pte(unsigned int *pte, unsigned int val);
// A user page directory (never the loaded one) is about to be freed with its tables: undo
// what the hypervisor holds for it.
void arch_pgdir_free(unsigned int *pgdir);
#endif

#endif
