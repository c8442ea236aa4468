// Descriptor tables: the task-state segment the CPU reads on ring transitions.
#ifndef DESC_H
#define DESC_H

#include "types.h"

struct tss {
  u32 link, esp0;
  u16 ss0, pad0;
  u32 esp1;
  u16 ss1, pad1;
  u32 esp2;
  u16 ss2, pad2;
  u32 cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
  u16 es, pad3, cs, pad4, ss, pad5, ds, pad6, fs, pad7, gs, pad8, ldt, pad9;
  u16 trap, iomap_base;
};

extern struct tss kernel_tss;

void desc_init(void);

#endif
