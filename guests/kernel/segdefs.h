// Definitions every arch layer shares (included by each archdefs.h, assembler-safe): the slots
// of the kernel's own GDT, which desc.c builds (the native arch loads it; a para-virtual one
// leaves it unloaded, the hypervisor owning the real GDT), and the EFLAGS bits the kernel
// names, with those a new user process starts with. The selectors are each arch's own.
#ifndef SEGDEFS_H
#define SEGDEFS_H

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

#endif
