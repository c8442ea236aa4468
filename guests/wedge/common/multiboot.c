// The Multiboot v1 information the guest kernel expects at entry (EBX), built from what the
// hypervisor gave the wedge: memory [0, 640 KiB) and [1 MiB, mem_end), the command line. It
// is written at a fixed spot in low memory (below 1 MiB, which the guest does not allocate
// from, and below 4 MiB, which its boot page tables map).
#include "wedge.h"
#include "backend.h"
#include "lib.h"

#define MBI_PA 0x9000u
#define MB_INFO_MEM 1u
#define MB_INFO_CMDLINE 4u
#define MB_INFO_MMAP 64u
#define LOW_END 0x9FC00u

struct mb_info {
  u32 flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
  u32 syms[4];
  u32 mmap_length, mmap_addr;
};

struct mb_mmap { u32 size; u32 addr_lo, addr_hi, len_lo, len_hi, type; };

u32 multiboot_build(const char *cmdline, u32 mem_end)
{
  struct mb_info mb = { 0 };
  struct mb_mmap mm[2] = {
    { 20, 0, 0, LOW_END, 0, 1 },
    { 20, 0x100000, 0, mem_end - 0x100000, 0, 1 },
  };
  u32 mmap_pa = MBI_PA + 0x100, cmd_pa = MBI_PA + 0x200, clen = strlen(cmdline) + 1;
  mb.flags = MB_INFO_MEM | MB_INFO_CMDLINE | MB_INFO_MMAP;
  mb.mem_lower = LOW_END / 1024;
  mb.mem_upper = (mem_end - 0x100000) / 1024;
  mb.cmdline = cmd_pa;
  mb.mmap_addr = mmap_pa;
  mb.mmap_length = sizeof mm;
  be_copy_to_phys(MBI_PA, &mb, sizeof mb);
  be_copy_to_phys(mmap_pa, mm, sizeof mm);
  be_copy_to_phys(cmd_pa, cmdline, clen > 0xE00 ? 0xE00 : clen);
  return MBI_PA;
}
