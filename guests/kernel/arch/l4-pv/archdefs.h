// Para-virtual L4 definitions (L4Ka::Linux style): the kernel is the privileged task of the L4
// model, a ring-3 thread on L4's flat user selectors (ABI.md section 2). Processes are L4 spaces
// whose threads the kernel pages and resumes; page-table writes are mirrored into L4 mappings
// (mmu.c) and the interrupt flag is a variable (virq.c).
#ifndef ARCHDEFS_H
#define ARCHDEFS_H

#define SEG_KCODE 1
#define SEG_KDATA 2
#define SEG_UCODE 3
#define SEG_UDATA 4
#define SEG_TSS   5
#define NSEGS     6

// The kernel shares the ring-3 selectors with its processes; KERNEL_CS is only a mark in the
// trapframes the interrupt path builds for kernel code (its RPL 0 says "not user mode").
#define KERNEL_CS 0x08
#define KERNEL_DS 0x23       // Pistachio's ia32 user data selector
#define USER_CS   0x1B
#define USER_DS   0x23
#define TSS_SEL   (SEG_TSS << 3)

#define KERNEL_DPL 3
#define FL_IF      0x200
#define FL_RESERVED 0x002
#define USER_EFLAGS (FL_IF | FL_RESERVED)

#ifndef __ASSEMBLER__
// Page-table writes: recorded in the kernel's tables and mirrored into L4 (mmu.c).
void arch_set_pte(unsigned int *pte, unsigned int val);
// A user page directory (not the loaded one) is about to be freed: delete its L4 space.
void arch_pgdir_free(unsigned int *pgdir);
#endif

#endif
