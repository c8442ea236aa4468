// Definitions both para-virtual arch layers share (included by their archdefs.h): what every
// arch shares (segdefs.h) and the two page-table hooks, which a para-virtual arch cannot
// inline (each is a hypercall or a mapping operation, see its mmu.c). The selectors
// themselves are the hypervisor's and stay in each archdefs.h.
#ifndef PVDEFS_H
#define PVDEFS_H

#include "../../segdefs.h"

#ifndef __ASSEMBLER__
// Write one page-directory or page-table entry (arch.h: arch_set_pte).
void arch_set_pte(unsigned int *pte, unsigned int val);
// A user page directory (never the loaded one) is about to be freed with its tables: undo
// what the hypervisor holds for it.
void arch_pgdir_free(unsigned int *pgdir);
#endif

#endif
