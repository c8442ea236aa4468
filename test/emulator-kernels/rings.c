// Every CPL: the same probe runs in rings 1, 2 and 3 with IOPL 0 and with IOPL equal to the
// CPL. It records what cli, sti, popf, iret (same ring), in and hlt do there — fault or effect —
// and which selectors the ring sees. Rings 1 and 2 matter here: para-virtual guest kernels run
// in ring 1. Then an interrupt gate into ring 1: int from ring 3 switches to the TSS's SS1:ESP1
// stack, and iret goes back out to ring 3.
#include "lib.h"

enum { G_C1 = GDT_FREE, G_D1, G_C2, G_D2 };

static volatile u32 out[12];  // out[10]: IF after cli; out[11]: EFLAGS after popf of all ones

#define PROBE(n, code) asm volatile(TRY_BEGIN code TRY_END ::: "eax", "memory"); \
  out[n] = trap_count ? (trap_vector << 16) | trap_err : 0xffffffff; trap_count = 0;

static void probe(void) {
  u32 f0, f1, f2, f3, cs, ss;
  asm volatile("movl %%cs, %0\n\tmovl %%ss, %1" : "=r"(cs), "=r"(ss));
  out[0] = (cs << 16) | ss;
  PROBE(1, "cli\n\tpushf\n\tpopl %%eax\n\tandl $0x200, %%eax\n\tmovl %%eax, out+40")
  PROBE(2, "sti")
  PROBE(3, "inb $0x21, %%al")
  PROBE(4, "hlt")
  asm volatile("pushl $0x2\n\tpopf\n\tpushf\n\tpop %0\n\t"          // popf clearing IF and IOPL
               "pushl $0x202\n\tpopf\n\tpushf\n\tpop %1\n\t"        // popf setting IF
               "pushl $0x3002\n\tpushl %%cs\n\tpushl $2f\n\tiret\n2:\n\t"  // iret: IF 0, IOPL 3
               "pushf\n\tpop %2\n\t"
               "pushl $0x0202\n\tpushl %%cs\n\tpushl $3f\n\tiret\n3:\n\t"
               "pushf\n\tpop %3"
               : "=&r"(f0), "=&r"(f1), "=&r"(f2), "=&r"(f3) : : "memory", "cc");
  out[5] = f0 & (FL_IF | FL_IOPL3);
  out[6] = f1 & (FL_IF | FL_IOPL3);
  out[7] = f2 & (FL_IF | FL_IOPL3);
  out[8] = f3 & (FL_IF | FL_IOPL3);
  PROBE(9, "movl $0x10, %%eax\n\tmovl %%eax, %%es")  // ring-0 data
  // popf of every bit but TF: which EFLAGS bits this ring may set (AC and ID are how an OS
  // probes for a 486 and for cpuid).
  asm volatile("pushl $0xfffffeff\n\tpopf\n\tpushf\n\tpop %0\n\tpushl $0x202\n\tpopf" : "=r"(f0) : : "memory", "cc");
  out[11] = f0;
  asm volatile("movl $0, %%eax\n\tint $0x80" : : "b"(0) : "eax", "memory");
}

// The privileged instructions fault at CPL > 0; the "sensitive but unprivileged" ones (sgdt,
// sidt, sldt, str, smsw, lar/lsl/verr on system state) do not: the holes pre-virtualization
// has to patch.
static volatile u32 priv[16];
#define PPROBE(n, code) asm volatile(TRY_BEGIN code TRY_END ::: "eax", "memory"); \
  priv[n] = trap_count ? (trap_vector << 16) | trap_err : 0xffffffff; trap_count = 0;

static void probe_priv(void) {
  static struct { u16 limit; u32 base; } __attribute__((packed)) g, i;
  PPROBE(0, "movl %%cr3, %%eax")
  PPROBE(1, "movl %%eax, %%cr0")
  PPROBE(2, "lgdt (%%esp)")
  PPROBE(3, "lidt (%%esp)")
  PPROBE(4, "movl $0, %%eax\n\tlldt %%ax")
  PPROBE(5, "movl $0x28, %%eax\n\tltr %%ax")
  PPROBE(6, "invlpg (%%esp)")
  PPROBE(7, "wbinvd")
  PPROBE(8, "movl %%dr7, %%eax")
  PPROBE(9, "lmsw %%ax")
  asm volatile(TRY_BEGIN "sgdt %0\n\tsidt %1" TRY_END : "=m"(g), "=m"(i) : : "memory");
  priv[10] = trap_count ? 0xbad : (g.limit << 16) | (g.base == (u32)gdt) << 1 | (i.base == (u32)idt);
  trap_count = 0;
  u32 ldt = 0xffff, tr = 0xffff, msw = 0;
  asm volatile(TRY_BEGIN "sldt %0\n\tstr %1\n\tsmsw %2" TRY_END : "+r"(ldt), "+r"(tr), "+r"(msw) : : "memory");
  priv[11] = trap_count ? 0xbad : ((ldt & 0xffff) << 16) | (tr & 0xffff);
  priv[12] = trap_count ? 0xbad : msw & 0xffff;
  trap_count = 0;
  u32 f1, f2, ar = 0;
  asm volatile("larl %2, %0\n\tpushf\n\tpop %1\n\tverr %w3\n\tpushf\n\tpop %2"
               : "+r"(ar), "=&r"(f1), "=&r"(f2) : "r"((u32)SEL_KDATA) : "cc");
  priv[13] = ((f1 & FL_ZF) ? 1 : 0) | ((f2 & FL_ZF) ? 2 : 0);  // DPL-0 data: refused at CPL > 0
  asm volatile("movl $0, %%eax\n\tint $0x80" : : "b"(0) : "eax", "memory");
}

static void run_priv(int cpl, u16 cs, u16 ss) {
  for (int i = 0; i < 16; i++) priv[i] = 0xeeeeeeee;
  enter_ring(probe_priv, 0x202, (u32)ustack_top, cs, ss);
  puts("privileged at cpl ");
  putdec(cpl);
  puts(":");
  for (int i = 0; i < 14; i++) {
    putc(' ');
    puthex(priv[i]);
  }
  nl();
}

static void run(int cpl, u32 iopl) {
  static const u16 code[4] = { 0, (G_C1 << 3) | 1, (G_C2 << 3) | 2, SEL_UCODE };
  static const u16 data[4] = { 0, (G_D1 << 3) | 1, (G_D2 << 3) | 2, SEL_UDATA };
  for (int i = 0; i < 12; i++) out[i] = 0xeeeeeeee;
  enter_ring(probe, 0x202 | (iopl << 12), (u32)ustack_top, code[cpl], data[cpl]);
  puts("cpl ");
  putdec(cpl);
  puts(" iopl ");
  putdec(iopl);
  puts(":");
  for (int i = 0; i < 12; i++) {
    putc(' ');
    puthex(out[i]);
  }
  nl();
}

// ---- a ring-1 handler for int $0x82 raised in ring 3
volatile u32 r1_cs, r1_ss, r1_esp, r1_frame[5];
static u8 ring1_stack[1024] __attribute__((aligned(16)));
void ring1_handler(void);
asm(".text\n"
    "ring1_handler:\n\t"
    "movl %cs, %eax\n\tmovl %eax, r1_cs\n\t"
    "movl %ss, %eax\n\tmovl %eax, r1_ss\n\t"
    "movl %esp, r1_esp\n\t"
    "movl 0(%esp), %eax\n\tmovl %eax, r1_frame\n\t"
    "movl 4(%esp), %eax\n\tmovl %eax, r1_frame+4\n\t"
    "movl 8(%esp), %eax\n\tmovl %eax, r1_frame+8\n\t"
    "movl 12(%esp), %eax\n\tmovl %eax, r1_frame+12\n\t"
    "movl 16(%esp), %eax\n\tmovl %eax, r1_frame+16\n\t"
    "movl $0x1111, %eax\n\t"
    "iret\n");

static volatile u32 user_esp_before_82, user_eax_after_82;

static void user_int82(void) {
  asm volatile("movl %%esp, user_esp_before_82\n\tint $0x82\n\tmovl %%eax, user_eax_after_82"
               ::: "eax", "memory");
  asm volatile("movl $0, %%eax\n\tint $0x80" : : "b"(0) : "eax", "memory");
}

static void t_ring1_handler(void) {
  tssb.t.ss1 = (G_D1 << 3) | 1;
  tssb.t.esp1 = (u32)ring1_stack + sizeof(ring1_stack);
  idt_set(0x82, (u32)ring1_handler, (G_C1 << 3), 0xee);  // interrupt gate, DPL 3, ring-1 target
  enter_user(user_int82, 0x202, (u32)ustack_top);
  puts("ring1 handler: cs ");
  puthex4(r1_cs & 0xffff);
  puts(" ss ");
  puthex4(r1_ss & 0xffff);
  puts(" esp below esp1 ");
  puthex(tssb.t.esp1 - r1_esp);
  nl();
  puts("  frame: eip ok ");
  puthex(r1_frame[0] != 0);
  puts(" cs ");
  puthex4(r1_frame[1] & 0xffff);
  puts(" if ");
  puthex(r1_frame[2] & FL_IF);
  puts(" esp ");
  puthex(user_esp_before_82 - r1_frame[3]);
  puts(" ss ");
  puthex4(r1_frame[4] & 0xffff);
  puts(" eax back ");
  puthex(user_eax_after_82);
  nl();
}

void test_main(void) {
  gdt_set(G_C1, 0, 0xfffff, 0xba, 0xc);
  gdt_set(G_D1, 0, 0xfffff, 0xb2, 0xc);
  gdt_set(G_C2, 0, 0xfffff, 0xda, 0xc);
  gdt_set(G_D2, 0, 0xfffff, 0xd2, 0xc);
  for (int cpl = 1; cpl <= 3; cpl++) {
    run(cpl, 0);
    run(cpl, (u32)cpl);
    if (cpl < 3) run(cpl, 3);
  }
  run_priv(1, (G_C1 << 3) | 1, (G_D1 << 3) | 1);
  run_priv(2, (G_C2 << 3) | 2, (G_D2 << 3) | 2);
  run_priv(3, SEL_UCODE, SEL_UDATA);
  t_ring1_handler();
}
