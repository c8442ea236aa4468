// The hypervisor-independent start of the wedge: options, rewriting, loading, Multiboot, and
// the jump into the guest.
#ifndef WEDGE_WEDGE_H
#define WEDGE_WEDGE_H

#include "types.h"

// img/len: the guest ELF (rewritten in place); cmdline: "<guest> <options and guest args>".
// Enters the guest at its (physical) entry point; stops the machine if the image is unusable.
void wedge_start(u8 *img, u32 len, const char *cmdline) __attribute__((noreturn));

// Multiboot v1 information for the guest (multiboot.c).
u32 multiboot_build(const char *cmdline, u32 mem_end);

// The Linux 32-bit boot protocol (linuxboot.c): whether the image is a Linux vmlinux, and its
// zero page (returned: its physical address, ESI at entry) with the command line and initrd.
int linux_is_vmlinux(const u8 *img, u32 len);
u32 linux_boot_params(const char *cmdline, u32 mem_end, u32 code32_start, u32 initrd_pa, u32 initrd_len);

#endif
