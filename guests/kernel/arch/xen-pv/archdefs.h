// Para-virtual Xen definitions (XenoLinux style): the kernel runs in ring 1 on Xen's flat
// selectors (ABI.md section 2), page-table writes are hypercalls, and the virtual interrupt
// flag is the shared-info page's upcall mask.
#ifndef ARCHDEFS_H
#define ARCHDEFS_H

#define SEG_KCODE 1
#define SEG_KDATA 2
#define SEG_UCODE 3
#define SEG_UDATA 4
#define SEG_TSS   5
#define NSEGS     6

#define KERNEL_CS 0xe019     // FLAT_RING1_CS
#define KERNEL_DS 0xe021     // FLAT_RING1_DS
#define USER_CS   0xe02b     // FLAT_RING3_CS
#define USER_DS   0xe033     // FLAT_RING3_DS
#define TSS_SEL   (SEG_TSS << 3)

#define KERNEL_DPL 1
#define FL_IF      0x200
#define FL_RESERVED 0x002
#define USER_EFLAGS (FL_IF | FL_RESERVED)

#ifndef __ASSEMBLER__
// Page-table writes: mmu_update when the frame is a page table Xen knows, else a plain store
// (a table not yet pinned). See mmu.c.
void arch_set_pte(unsigned int *pte, unsigned int val);
// A user page directory (never the loaded one) is about to be freed with its tables: hand
// them back from Xen and make them writable again.
void arch_pgdir_free(unsigned int *pgdir);
#endif

#endif
