// Exception delivery family: every vector the i686 raises without a coprocessor error — #DE, #DB
// (single step), #BP, #OF, #BR, #UD, #NM (CR0.EM and CR0.TS), #DF, #TS, #NP, #SS, #GP — with
// their error codes and saved EIP, plus IDT-side faults: a not-present gate, a vector beyond
// the IDT limit, a gate of the wrong type. (#PF lives in the paging kernel.)
#include "lib.h"

static volatile u32 steps, step_dr6;

static void on_debug(struct frame *f) {
  u32 dr6;
  asm volatile("movl %%dr6, %0" : "=r"(dr6));
  step_dr6 |= dr6 & 0x4000;  // BS
  steps++;
  (void)f;
}

static void t_single_step(void) {
  trap_set_handler(1, on_debug);
  asm volatile("movl $0, %%eax\n\tmovl %%eax, %%dr6\n\t"
               "pushf\n\torl $0x100, (%%esp)\n\tpopf\n\t"
               "incl %%eax\n\tincl %%eax\n\tincl %%eax\n\t"
               "pushf\n\tandl $~0x100, (%%esp)\n\tpopf\n\t"
               "nop"
               ::: "eax", "cc", "memory");
  trap_set_handler(1, 0);
  put_kv("single steps", steps);
  put_kv("dr6.bs", step_dr6);
  nl();
}

static void t_bound(void) {
  static s32 bounds[2] = { -5, 10 };
  static const s32 idx[] = { -6, -5, 0, 10, 11 };
  for (int i = 0; i < 5; i++) {
    asm volatile(TRY_BEGIN "boundl %0, %1" TRY_END : : "r"(idx[i]), "m"(bounds) : "memory");
    puts("bound ");
    putdec((u32)(idx[i] + 100));
    trap_report("-100");
  }
  asm volatile(TRY_BEGIN "boundw %w0, %1" TRY_END : : "r"(0x8000), "m"(bounds) : "memory");
  trap_report("boundw");
}

static void t_nm(void) {
  u32 cr0 = read_cr0();
  write_cr0(cr0 | 0x4);  // EM
  asm volatile(TRY_BEGIN "fninit" TRY_END ::: "memory");
  trap_report("fninit em=1");
  write_cr0(cr0 | 0x8);  // TS
  asm volatile(TRY_BEGIN "fninit" TRY_END ::: "memory");
  trap_report("fninit ts=1");
  asm volatile(TRY_BEGIN "fwait" TRY_END ::: "memory");
  trap_report("fwait ts=1 mp=0");
  write_cr0(cr0 | 0xa);  // TS MP
  asm volatile(TRY_BEGIN "fwait" TRY_END ::: "memory");
  trap_report("fwait ts=1 mp=1");
  write_cr0(cr0);
}

static void t_double_fault(void) {
  u64 saved = idt[13];
  idt[13] &= ~(1ull << 47);  // #GP gate not present: delivering #GP raises #NP, then #DF
  asm volatile(TRY_BEGIN "movl %0, %%ds" TRY_END : : "r"(0x1234u) : "memory");
  idt[13] = saved;
  asm volatile("movl %0, %%ds" : : "r"((u32)SEL_KDATA));
  // #DF's saved EIP is undefined: print vector and error code only.
  puts("df: #");
  puthex2(trap_vector);
  puts(" err=");
  puthex4(trap_err);
  nl();
  trap_count = 0;
  // Benign then contributory (#BP then #GP while delivering it) is not a double fault.
  saved = idt[3];
  idt[3] = (idt[3] & ~(0xffffull << 16)) | ((u64)0x70 << 16);  // bad selector in the #BP gate
  asm volatile(TRY_BEGIN "int3" TRY_END ::: "memory");
  idt[3] = saved;
  trap_report("int3 bad gate selector");
  // Two page-fault-free contributory faults in a row: #NP while delivering #NP.
  saved = idt[11];
  u64 saved_gp = idt[13];
  idt[11] &= ~(1ull << 47);
  asm volatile(TRY_BEGIN "int $11" TRY_END ::: "memory");
  idt[11] = saved;
  idt[13] = saved_gp;
  puts("int 11 not present: #");
  puthex2(trap_vector);
  puts(" err=");
  puthex4(trap_err);
  nl();
  trap_count = 0;
}

static void t_ts(void) {
  tssb.t.link = SEL_KDATA;  // not a TSS
  asm volatile("movl %%esp, %%esi\n\t" TRY_BEGIN
               "pushf\n\torl $0x4000, (%%esp)\n\tpopf\n\t"
               "pushf\n\tpushl %%cs\n\tpushl $2f\n\tiret\n2:"
               TRY_END
               "movl %%esi, %%esp\n\t"  // the fault left the iret frame on the stack
               "pushf\n\tandl $~0x4000, (%%esp)\n\tpopf"
               ::: "esi", "memory", "cc");
  tssb.t.link = 0;
  trap_report("iret nt=1 link=data");
}

static void t_segment_faults(void) {
  gdt_set(GDT_FREE, 0, 0xfffff, 0x12, 0xc);      // not present data
  gdt_set(GDT_FREE + 1, 0, 0xfffff, 0xf2, 0xc);  // DPL 3 data
  asm volatile(TRY_BEGIN "movl %0, %%ss" TRY_END : : "r"((u32)(GDT_FREE << 3)) : "memory");
  trap_report("ss not present");
  asm volatile(TRY_BEGIN "movl %0, %%ss" TRY_END : : "r"((u32)((GDT_FREE + 1) << 3) | 3) : "memory");
  trap_report("ss dpl3 at cpl0");
  asm volatile(TRY_BEGIN "movl %0, %%ss" TRY_END : : "r"((u32)SEL_KDATA | 1) : "memory");
  trap_report("ss rpl1 at cpl0");
  asm volatile(TRY_BEGIN "movl %0, %%es" TRY_END : : "r"((u32)SEL_KDATA | 3) : "memory");
  trap_report("es rpl3 dpl0");
  asm volatile(TRY_BEGIN "movl %0, %%es" TRY_END : : "r"((u32)((GDT_FREE + 1) << 3) | 3) : "memory");
  trap_report("es rpl3 dpl3");
  asm volatile(TRY_BEGIN "movl %0, %%es" TRY_END : : "r"((u32)(GDT_FREE << 3)) : "memory");
  trap_report("es not present");
  asm volatile(TRY_BEGIN "movl %0, %%es" TRY_END : : "r"(0x3u) : "memory");
  trap_report("es null rpl3");
  // (Not a use of the null ES: QEMU's TCG does not fault on it.)
  asm volatile("movl %0, %%es" : : "r"((u32)SEL_KDATA));
  asm volatile(TRY_BEGIN "ljmp $0x1b, $3f\n3:" TRY_END ::: "memory");
  trap_report("ljmp ring3 code");
}

static void t_idt_faults(void) {
  u64 saved = idt[0x41];
  idt[0x41] &= ~(1ull << 47);
  asm volatile(TRY_BEGIN "int $0x41" TRY_END ::: "memory");
  trap_report("int 41 not present");
  idt[0x41] = (saved & ~(0xffull << 40)) | (0x92ull << 40);  // a data descriptor in the IDT
  asm volatile(TRY_BEGIN "int $0x41" TRY_END ::: "memory");
  trap_report("int 41 bad type");
  idt[0x41] = saved;
  idt[0x42] = (saved & ~(0xffull << 40)) | (0x8full << 40);  // trap gate: IF kept
  u32 fl = 0;
  trap_set_handler(0x42, 0);
  asm volatile(TRY_BEGIN "sti\n\tint $0x42" TRY_END "pushf\n\tpop %0\n\tcli" : "=r"(fl) : : "memory");
  trap_report("int 42 trap gate");
  struct { u16 limit; u32 base; } __attribute__((packed)) small = { 0x50 * 8 - 1, (u32)idt };
  asm volatile("lidt %0" : : "m"(small));
  asm volatile(TRY_BEGIN "int $0x60" TRY_END ::: "memory");
  lidt_now();
  trap_report("int 60 beyond limit");
}

static void t_others(void) {
  u32 a = 1, d = 0, z = 0;
  asm volatile(TRY_BEGIN "divl %2" TRY_END : "+a"(a), "+d"(d) : "r"(z) : "memory", "cc");
  trap_report("div0");
  asm volatile(TRY_BEGIN "int3" TRY_END ::: "memory");
  trap_report("int3");
  asm volatile(TRY_BEGIN ".byte 0xcd, 0x03" TRY_END ::: "memory");  // int $3, long form
  trap_report("int 3 long");
  asm volatile(TRY_BEGIN "movl $0x7fffffff, %%eax\n\tincl %%eax\n\tinto" TRY_END ::: "eax", "cc", "memory");
  trap_report("into");
  asm volatile(TRY_BEGIN "ud2" TRY_END ::: "memory");
  trap_report("ud2");
  asm volatile(TRY_BEGIN ".byte 0x0f, 0x0b" TRY_END ::: "memory");
  trap_report("0f 0b");
  asm volatile(TRY_BEGIN ".byte 0x0f, 0xff" TRY_END ::: "memory");
  trap_report("0f ff");
  asm volatile(TRY_BEGIN ".byte 0xc4, 0xc0" TRY_END ::: "memory");  // les with a register operand
  trap_report("les reg");
  asm volatile(TRY_BEGIN ".byte 0x8c, 0xf8" TRY_END ::: "eax", "memory");  // mov %?7, %eax: no sreg 7
  trap_report("mov sreg7");
  asm volatile(TRY_BEGIN ".byte 0x8e, 0xc8" TRY_END ::: "memory");  // mov %eax, %cs
  trap_report("mov to cs");
  asm volatile(TRY_BEGIN "movl %%eax, %%cr1" TRY_END ::: "memory");
  trap_report("mov cr1");
  asm volatile(TRY_BEGIN "movl %%cr5, %%eax" TRY_END ::: "eax", "memory");
  trap_report("mov cr5");
}

void test_main(void) {
  t_others();
  t_single_step();
  t_bound();
  t_nm();
  t_double_fault();
  t_segment_faults();
  t_idt_faults();
  t_ts();  // last: it needs iret's task-return path, the rarest one
}
