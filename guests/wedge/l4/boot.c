// Start of day on L4: read the boot-info page (ESI at entry, ABI.md section 8), map the
// wedge's window on guest physical memory and the directly driven ports from σ0, start the
// monitor thread (main's pager and interrupt handler), then let the common part rewrite and
// load the guest and enter it as a Multiboot loader would. Also: console and stopping.
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

// The guest's first stack (its boot code calls wedge stubs before it sets up its own).
static u8 guest_boot_stack[16384] __attribute__((aligned(16)));

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
  struct guest_boot gb;
  if (wedge_start((u8 *)bi->mod_start, bi->mod_len, bi->cmd_line, &gb) < 0)
    be_crash();
  vcpu_irq_mask = 1;                     // Multiboot: the guest starts with interrupts off
  l4_enter_guest(gb.entry, 0x2BADB002, gb.mbi_pa, (u32)guest_boot_stack + sizeof guest_boot_stack);
}
