// The GDT, IDT and TSS every test kernel starts with, and the runtime's C entry point.
// GDT: null, ring-0 code/data, ring-3 code/data, TSS, then free slots for tests.
// IDT: every vector goes to its runtime stub through a ring-0 interrupt gate, except int3,
// into and int $0x80, which ring 3 may raise (DPL 3).
#include "lib.h"

// In their own page-aligned section (see kernel.ld), so a paging test can make exactly these
// pages supervisor-only.
#define SYSDESC __attribute__((section(".sysdesc"), aligned(8)))
u64 gdt[GDT_SIZE] SYSDESC;
u64 idt[256] SYSDESC;
struct tss_block tssb SYSDESC;
u32 trap_stubs[256];
extern u8 trap_stub_base[];
void serial_init(void);

static struct { u16 limit; u32 base; } __attribute__((packed)) gdtr, idtr;

void gdt_set(int index, u32 base, u32 limit, u8 access, u8 flags) {
  gdt[index] = (u64)(limit & 0xffff) | ((u64)(base & 0xffffff) << 16) | ((u64)access << 40) |
               ((u64)((limit >> 16) & 0xf) << 48) | ((u64)(flags & 0xf) << 52) |
               ((u64)(base >> 24) << 56);
}

void idt_set(int vector, u32 handler, u16 sel, u8 type_attr) {
  idt[vector] = (u64)(handler & 0xffff) | ((u64)sel << 16) | ((u64)type_attr << 40) |
                ((u64)(handler >> 16) << 48);
}

void idt_set_default(int vector, int dpl, int trap_gate) {
  idt_set(vector, trap_stubs[vector], SEL_KCODE, (u8)(0x80 | (dpl << 5) | (trap_gate ? 0xf : 0xe)));
}

void lgdt_now(void) {
  gdtr.limit = sizeof(gdt) - 1;
  gdtr.base = (u32)gdt;
  asm volatile("lgdt %0" : : "m"(gdtr));
}

void lidt_now(void) {
  idtr.limit = sizeof(idt) - 1;
  idtr.base = (u32)idt;
  asm volatile("lidt %0" : : "m"(idtr));
}

void tss_load(u32 limit) {
  gdt_set(SEL_TSS >> 3, (u32)&tssb, limit, 0x89, 0x0);
  asm volatile("ltr %w0" : : "r"(SEL_TSS));
}

void desc_init(void) {
  gdt_set(1, 0, 0xfffff, 0x9a, 0xc);  // ring-0 code
  gdt_set(2, 0, 0xfffff, 0x92, 0xc);  // ring-0 data
  gdt_set(3, 0, 0xfffff, 0xfa, 0xc);  // ring-3 code
  gdt_set(4, 0, 0xfffff, 0xf2, 0xc);  // ring-3 data
  lgdt_now();
  asm volatile("ljmp %0, $1f\n1:\n\t"
               "movl %1, %%eax\n\t"
               "movl %%eax, %%ds\n\tmovl %%eax, %%es\n\tmovl %%eax, %%fs\n\t"
               "movl %%eax, %%gs\n\tmovl %%eax, %%ss"
               : : "i"(SEL_KCODE), "i"(SEL_KDATA) : "eax", "memory");

  tssb.t.ss0 = SEL_KDATA;
  tssb.t.esp0 = (u32)kstack0_top;
  tssb.t.iomap = sizeof(struct tss) << 16;  // the I/O map base is the high word at 0x66
  memset(tssb.iomap, 0xff, sizeof(tssb.iomap));
  tss_load(sizeof(tssb) - 1);

  for (int v = 0; v < 256; v++) {
    trap_stubs[v] = (u32)trap_stub_base + 16 * v;
    idt_set_default(v, (v == 3 || v == 4 || v == 0x80) ? 3 : 0, 0);
  }
  lidt_now();
}

void runtime_main(void) {
  serial_init();
  desc_init();
  pic_init(0xff, 0xff);  // vectors 0x20-0x2f, all masked: no firmware state leaks in
  test_main();
}
