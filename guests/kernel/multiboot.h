// The Multiboot v1 information structure: what a Multiboot loader hands the kernel, what
// main() reads, and what a para-virtual boot (arch/pv/mbinfo.c) builds from its hypervisor's
// start-of-day information. Only the fields the kernel uses are named.
#ifndef MULTIBOOT_H
#define MULTIBOOT_H

#include "types.h"

#define MB_BOOT_MAGIC 0x2BADB002u
#define MB_INFO_MEM     (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MMAP    (1u << 6)
#define MB_MMAP_RAM     1

struct mb_info {
  u32 flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
  u32 syms[4];
  u32 mmap_length, mmap_addr;
};

struct mb_mmap {
  u32 size;
  u64 addr, len;
  u32 type;
} __attribute__((packed));

#endif
