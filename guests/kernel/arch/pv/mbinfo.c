// The Multiboot v1 information a para-virtual boot hands to main(), which expects what a
// Multiboot loader gives a native kernel: the hypervisor's command line and one RAM region,
// [0, ram_end). Built by the arch's stage 1 in the image itself (BSS), so it travels with the
// image wherever the boot path copies it; main() reads it through V2P/P2V like any other.
#include "../../arch.h"
#include "../../memlayout.h"
#include "../../multiboot.h"
#include "pv.h"

static struct mb_info mbi;
static struct mb_mmap mmap;
static char cmdline[256];          // (a longer command line is cut at 255 bytes)

void pv_mbinfo_build(const char *cmd_line, u32 ram_end)
{
  u32 n = 0;
  for (const char *s = cmd_line; *s && n + 1 < sizeof cmdline; s++)
    cmdline[n++] = *s;
  mmap.size = sizeof mmap - 4;
  mmap.addr = 0;
  mmap.len = ram_end;
  mmap.type = MB_MMAP_RAM;
  mbi.flags = MB_INFO_CMDLINE | MB_INFO_MMAP;
  mbi.cmdline = V2P(cmdline);
  mbi.mmap_addr = V2P(&mmap);
  mbi.mmap_length = sizeof mmap;
}

void pv_enter_main(void)
{
  main(MB_BOOT_MAGIC, V2P(&mbi));
}
