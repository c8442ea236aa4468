// The seam between the shared para-virtual files (arch/pv/) and the arch layer that uses
// them (arch/xen-pv/ or arch/l4-pv/): the state of the PIC and PIT stand-in, the hook through
// which an arch acts on an unmasked line, and the Multiboot-info builder of the boot path.
#ifndef PV_H
#define PV_H

#include "../../types.h"

#define T_IRQ0 32
#define NIRQ 16

// n / d for a quotient that fits 32 bits (no libgcc in the kernel).
static inline u32 pv_div64(u64 n, u32 d)
{
  u32 q, r;
  asm("divl %4" : "=a"(q), "=d"(r) : "a"((u32)n), "d"((u32)(n >> 32)), "rm"(d));
  return q;
}

// picpit.c: the PIC and PIT stand-in (the hypervisor owns the real ones)
extern volatile u16 pv_pic_mask;     // the kernel's view of the PIC mask, bit n = IRQ n masked
extern u32 pv_pit_period_ns;         // PIT channel 0's period; 0 until the divisor is written
int  pv_virtual_port(u16 port);
u8   pv_virtual_in(u16 port);
void pv_virtual_out(u16 port, u8 v);
// Provided by the arch (its events.c): the lines in `lines` were just unmasked (pv_pic_mask
// already says so). Binds a line the first time, ends a delivered interrupt after that.
void pv_pic_unmasked(u16 lines);

// mbinfo.c: the Multiboot-shaped start-of-day information main() reads
void pv_mbinfo_build(const char *cmd_line, u32 ram_end);
void pv_enter_main(void);            // main(MB_BOOT_MAGIC, the structure built above)

#endif
