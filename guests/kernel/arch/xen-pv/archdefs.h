// Para-virtual Xen definitions (XenoLinux style): the kernel runs in ring 1 on Xen's flat
// selectors (ABI.md section 2), page-table writes are hypercalls, and the virtual interrupt
// flag is the shared-info page's upcall mask.
#ifndef ARCHDEFS_H
#define ARCHDEFS_H

#include "../pv/pvdefs.h"

#define KERNEL_CS 0xe019     // FLAT_RING1_CS
#define KERNEL_DS 0xe021     // FLAT_RING1_DS
#define USER_CS   0xe02b     // FLAT_RING3_CS
#define USER_DS   0xe033     // FLAT_RING3_DS

#define KERNEL_DPL 1

// arch_set_pte (pvdefs.h) is mmu_update when the frame is a page table Xen knows, else a plain
// store (a table not yet pinned); arch_pgdir_free hands the tables back from Xen and makes them
// writable again. See mmu.c.

#endif
