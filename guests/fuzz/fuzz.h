// Shared by the fuzz kernel's files: the memory layout, the stream flavours and the generator.
#ifndef FUZZ_H
#define FUZZ_H
#include "lib.h"

#define CODE_BYTES 4096
#define MAX_INSNS 256

// Physical layout (identity-mapped when paging is on); the kernel itself sits at 1 MiB.
#define CODE_BASE    0x00400000u  // the stream's code page
#define STACK0_LO    0x00500000u  // ring-0 streams' stack, 64 KiB
#define STACK0_HI    0x00510000u
#define SCRATCH      0x00600000u  // ring-0 streams' memory, 64 KiB (one page absent, one read-only)
#define USER_DATA    0x00700000u  // ring-3 streams' memory: data 64 KiB, then the stack at +128 KiB
#define USER_STACK   0x00720000u
#define USER_STACK_HI 0x00728000u

enum { G_RAW, G_WILD, G_SAFE, G_DET };

void gen_seed(u32 s);
u32 rnd(void);
u32 gen_stream(u8 *code, u8 *starts, u32 count, int flavour);
#endif
