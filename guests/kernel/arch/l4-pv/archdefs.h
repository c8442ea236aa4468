// Para-virtual L4 definitions (L4Ka::Linux style): the kernel is the privileged task of the L4
// model, a ring-3 thread on L4's flat user selectors (ABI.md section 2). Processes are L4 spaces
// whose threads the kernel pages and resumes; page-table writes are mirrored into L4 mappings
// (mmu.c) and the interrupt flag is a variable (virq.c).
#ifndef ARCHDEFS_H
#define ARCHDEFS_H

#include "../pv/pvdefs.h"

// The kernel shares the ring-3 selectors with its processes; KERNEL_CS is only a mark in the
// trapframes the interrupt path builds for kernel code (its RPL 0 says "not user mode").
#define KERNEL_CS 0x08
#define KERNEL_DS 0x23       // Pistachio's ia32 user data selector
#define USER_CS   0x1B
#define USER_DS   0x23

#define KERNEL_DPL 3

// arch_set_pte (pvdefs.h) records the entry in the kernel's tables and mirrors it into L4;
// arch_pgdir_free deletes the directory's L4 space. See mmu.c.

#endif
