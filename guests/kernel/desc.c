// Descriptor tables: the GDT (flat kernel and user segments, one TSS), the TSS, and the IDT
// built from the arch layer's entry stubs. The tables are plain data here; loading them is
// the arch layer's job.
#include "defs.h"
#include "arch.h"
#include "desc.h"

#define T_SYSCALL 128

// Segment descriptor type bits (S=1 for code/data).
#define STA_X 0x8   // executable
#define STA_W 0x2   // writable (data)
#define STA_R 0x2   // readable (code)
#define STS_T32A 0x9 // available 32-bit TSS (S=0)
#define STS_IG32 0xE // 32-bit interrupt gate: clears IF
#define STS_TG32 0xF // 32-bit trap gate: leaves IF

static u64 gdt[NSEGS];
static u64 idt[256];
struct tss kernel_tss;

// A flat 4 GiB code or data segment (granularity 4 KiB, 32-bit).
static u64 seg_flat(u32 type, u32 dpl)
{
  u32 lo = 0x0000FFFF;
  u32 hi = (type << 8) | (1 << 12) | (dpl << 13) | (1 << 15) | (0xF << 16) | (1 << 22) | (1 << 23);
  return ((u64)hi << 32) | lo;
}

// A system segment (S=0) with byte granularity, for the TSS.
static u64 seg_sys(u32 type, u32 base, u32 limit)
{
  u32 lo = (limit & 0xFFFF) | (base << 16);
  u32 hi = ((base >> 16) & 0xFF) | (type << 8) | (1 << 15) | (limit & 0xF0000) | (base & 0xFF000000);
  return ((u64)hi << 32) | lo;
}

static u64 gate(u32 type, u32 entry, u32 dpl)
{
  u32 lo = (entry & 0xFFFF) | (KERNEL_CS << 16);
  u32 hi = (entry & 0xFFFF0000) | (1 << 15) | (dpl << 13) | (type << 8);
  return ((u64)hi << 32) | lo;
}

static void gdt_init(void)
{
  gdt[SEG_KCODE] = seg_flat(STA_X | STA_R, 0);
  gdt[SEG_KDATA] = seg_flat(STA_W, 0);
  gdt[SEG_UCODE] = seg_flat(STA_X | STA_R, 3);
  gdt[SEG_UDATA] = seg_flat(STA_W, 3);
  gdt[SEG_TSS] = seg_sys(STS_T32A, (u32)&kernel_tss, sizeof kernel_tss - 1);
  kernel_tss.iomap_base = sizeof kernel_tss;   // no I/O bitmap: user port access faults
  arch_load_gdt(gdt, sizeof gdt - 1);
  arch_reload_segments();
  arch_load_tr(TSS_SEL);
}

// Every vector is an interrupt gate except the system call, a trap gate that user mode may
// invoke (Linux: set_system_gate(0x80)).
static void idt_init(void)
{
  for (const struct arch_vector *v = arch_vectors; v->entry; v++) {
    if (v->vector == T_SYSCALL)
      idt[v->vector] = gate(STS_TG32, v->entry, 3);
    else
      idt[v->vector] = gate(STS_IG32, v->entry, 0);
  }
  arch_load_idt(idt, sizeof idt - 1);
}

void desc_init(void)
{
  gdt_init();
  idt_init();
}
