// The hypervisor-independent start of the wedge: options, rewriting, loading, Multiboot.
#ifndef WEDGE_WEDGE_H
#define WEDGE_WEDGE_H

#include "types.h"

struct guest_boot {
  u32 entry;      // the guest's entry point (physical: it starts with paging off)
  u32 mbi_pa;     // the Multiboot information structure (physical)
};

// img/len: the guest ELF (rewritten in place); cmdline: "<guest> <options and guest args>".
int wedge_start(u8 *img, u32 len, const char *cmdline, struct guest_boot *out);

// Multiboot v1 information for the guest (multiboot.c).
u32 multiboot_build(const char *cmdline, u32 mem_end);

#endif
