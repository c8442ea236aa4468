// Start of day on L4: read the boot-info page (ESI at entry, ABI.md section 8), map the
// wedge's window on guest physical memory and the directly driven ports from σ0, start the
// monitor thread (main's pager and interrupt handler), then let the common part rewrite,
// load and enter the guest as a Multiboot loader would. Also: console and stopping.
#include "l4wedge.h"
#include "vcpu.h"
#include "backend.h"
#include "wedge.h"
#include "lib.h"

#define UART 0x3F8
#define DEBUG_EXIT 0xF4

const struct l4_bootinfo *l4_boot;
u32 l4_wedge_lo, l4_wedge_hi, l4_window, l4_guest_end;
extern u8 l4_text_end[];

void be_console_write(const char *s, u32 n)
{
  for (u32 i = 0; i < n; i++) {
    u32 spin = 100000;
    while (!(be_port_in(UART + 5, 1) & 0x20) && --spin)
      ;
    be_port_out(UART, 1, (u8)s[i]);
  }
}

// The debug-exit port stops the machine with status (value << 1) | 1; 0x7F says "crashed".
void be_crash(void)
{
  for (;;)
    be_port_out(DEBUG_EXIT, 1, 0x7F);
}

static int magic_ok(const struct l4_bootinfo *bi)
{
  static const char want[] = "l4-x2-model";
  for (u32 i = 0; i < sizeof want; i++)
    if (bi->magic[i] != want[i])
      return 0;
  return bi->version == 1;
}

void l4_start(const struct l4_bootinfo *bi)
{
  l4_boot = bi;
  l4_ports_init();                       // the console works from here on
  if (!magic_ok(bi))
    wpanic("boot info at 0x%08x: bad magic or version", (u32)bi);
  l4_wedge_lo = bi->virt_base;
  l4_wedge_hi = (u32)l4_text_end;
  l4_memory_init();
  l4_monitor_start();
  wedge_start((u8 *)bi->mod_start, bi->mod_len, bi->cmd_line);
}
