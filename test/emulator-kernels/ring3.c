// Privilege family: ring 3 entered by iret and left by int; the TSS stack switch; what CPL 3
// may not do (cli/sti/hlt/CR and descriptor-table access, kernel selectors, DPL-0 gates);
// IOPL and the TSS I/O bitmap for in/out; pushf/popf/iret at CPL 3 with IOPL 0 and 3 (popf
// and iret leave IF and IOPL unchanged silently when not allowed); data segment nulling on
// return to an outer ring.
#include "lib.h"

#define USER_EXIT(v) asm volatile("movl $0, %%eax\n\tint $0x80" : : "b"(v) : "eax", "memory")

static volatile u32 out[16];
static volatile u32 user_esp_at_int;

// ---- segment registers as ring 3 sees them
static void user_sregs(void) {
  u32 cs, ss, ds, fs, gs;
  asm volatile("movl %%cs, %0\n\tmovl %%ss, %1\n\tmovl %%ds, %2\n\tmovl %%fs, %3\n\tmovl %%gs, %4"
               : "=r"(cs), "=r"(ss), "=r"(ds), "=r"(fs), "=r"(gs));
  out[0] = cs; out[1] = ss; out[2] = ds; out[3] = fs; out[4] = gs;
  USER_EXIT(0x33);
}

// ---- the stack switch on int from ring 3
static volatile u32 h_cs, h_ss, h_esp_delta, h_frame_top_ok, h_eflags;

static void on_0x81(struct frame *f) {
  h_cs = f->cs & 0xffff;
  h_ss = f->ss & 0xffff;
  h_esp_delta = user_esp_at_int - f->esp;
  h_frame_top_ok = (u32)(&f->ss + 1) == tssb.t.esp0;
  h_eflags = f->eflags & (FL_IF | FL_IOPL3);
  f->eax = 0xfeed;
}

static void user_int81(void) {
  u32 a;
  asm volatile("movl %%esp, user_esp_at_int\n\tint $0x81" : "=a"(a) : : "memory");
  USER_EXIT(a);
}

// ---- what ring 3 may not do (IOPL 0)
#define UTRY(n, code) asm volatile(TRY_BEGIN code TRY_END ::: "eax", "memory"); \
  out[n] = trap_count ? (trap_vector << 16) | trap_err : 0xffffffff; trap_count = 0;

static void user_forbidden(void) {
  UTRY(0, "cli")
  UTRY(1, "sti")
  UTRY(2, "hlt")
  UTRY(3, "movl %%cr0, %%eax")
  UTRY(4, "movl %%eax, %%cr3")
  UTRY(5, "lgdt (%%esp)")
  UTRY(6, "movl $0x10, %%eax\n\tmovl %%eax, %%ds")
  UTRY(7, "ljmp $0x08, $2f\n2:")
  UTRY(8, "int $0x40")
  UTRY(9, "int3")
  UTRY(10, "inb $0x21, %%al")
  UTRY(11, "clts")
  UTRY(12, "movl %%dr7, %%eax")
  UTRY(13, "pushl $0x1b\n\tpushl $2f\n\tlret\n2:")  // same-ring far return is fine
  UTRY(14, "movl $0x23, %%eax\n\tmovl %%eax, %%ss")
  UTRY(15, "invlpg (%%esp)")
  USER_EXIT(0);
}

// ---- flags at CPL 3
static void user_flags(void) {
  u32 f0, f1, f2, f3;
  asm volatile("pushf\n\tpop %0\n\t"
               "pushl $0x2\n\tpopf\n\t"            // try to clear IF
               "pushf\n\tpop %1\n\t"
               "pushl $0x3202\n\tpopf\n\t"         // try to set IOPL 3
               "pushf\n\tpop %2\n\t"
               "pushl $0x2\n\tpushl %%cs\n\tpushl $2f\n\tiret\n2:\n\t"  // iret trying to clear IF
               "pushf\n\tpop %3"
               : "=&r"(f0), "=&r"(f1), "=&r"(f2), "=&r"(f3) : : "memory", "cc");
  out[0] = f0 & (FL_IF | FL_IOPL3);
  out[1] = f1 & (FL_IF | FL_IOPL3);
  out[2] = f2 & (FL_IF | FL_IOPL3);
  out[3] = f3 & (FL_IF | FL_IOPL3);
  // Arithmetic and direction flags still go through.
  asm volatile("pushl $0x8d7\n\tpopf\n\tpushf\n\tpop %0\n\tcld" : "=r"(f0) : : "cc");
  out[4] = f0 & (FL_ARITH | FL_DF);
  // An iret back to ring 0 is refused.
  asm volatile("movl %%esp, %%esi\n\t" TRY_BEGIN "pushfl\n\tpushl $0x08\n\tpushl $2f\n\tiret\n2:" TRY_END
               "movl %%esi, %%esp" ::: "esi", "memory");
  out[5] = trap_count ? (trap_vector << 16) | trap_err : 0xffffffff;
  trap_count = 0;
  USER_EXIT(0);
}

// ---- flags and I/O at IOPL 3
static void user_iopl3(void) {
  u32 f0, f1, f2, f3, v;
  asm volatile("cli\n\tpushf\n\tpop %0\n\tsti\n\tpushf\n\tpop %1\n\t"
               "pushl $0x0002\n\tpopf\n\tpushf\n\tpop %2\n\t"   // IF may change; IOPL may not drop
               "pushl $0x0202\n\tpopf\n\tpushf\n\tpop %3"
               : "=&r"(f0), "=&r"(f1), "=&r"(f2), "=&r"(f3) : : "memory", "cc");
  out[0] = f0 & (FL_IF | FL_IOPL3);
  out[1] = f1 & (FL_IF | FL_IOPL3);
  out[2] = f2 & (FL_IF | FL_IOPL3);
  out[3] = f3 & (FL_IF | FL_IOPL3);
  asm volatile("inb $0x21, %%al\n\tmovzbl %%al, %0" : "=r"(v) : : "eax");
  out[4] = v;
  UTRY(5, "hlt")
  USER_EXIT(0);
}

// ---- I/O bitmap at IOPL 0: only 0x3ff (byte) and 0x80-0x83 are open
static void user_iomap(void) {
  UTRY(0, "movb $0x5c, %%al\n\toutb %%al, $0x80")
  UTRY(1, "movl $0x3ff, %%edx\n\tmovb $0x6d, %%al\n\toutb %%al, %%dx")
  UTRY(2, "movl $0x3ff, %%edx\n\tinb %%dx, %%al\n\tmovzbl %%al, %%eax\n\tmovl %%eax, out+40")
  UTRY(3, "movl $0x3fe, %%edx\n\tinw %%dx, %%ax")   // needs 0x3fe too
  UTRY(4, "movl $0x80, %%edx\n\tinl %%dx, %%eax")   // 0x80-0x83 all open
  UTRY(5, "movl $0x82, %%edx\n\tinl %%dx, %%eax")   // 0x84 closed
  UTRY(6, "movl $0x3f8, %%edx\n\toutb %%al, %%dx")
  USER_EXIT(0);
}

static void print_out(const char *label, int n) {
  puts(label);
  for (int i = 0; i < n; i++) {
    putc(' ');
    puthex(out[i]);
  }
  nl();
}

// iret from ring 0 to ring 3 checks the new CS and SS before anything changes.
static void t_iret_checks(void) {
  enum { G_NPCODE3 = GDT_FREE, G_CODE3_DPL0 };
  gdt_set(G_NPCODE3, 0, 0xfffff, 0x7a, 0xc);      // ring-3 code, not present
  gdt_set(G_CODE3_DPL0, 0, 0xfffff, 0x9a, 0xc);   // DPL-0 code
  static const struct { const char *what; u32 cs, ss; } cases[] = {
    { "ss dpl0 rpl3", SEL_UCODE, SEL_KDATA | 3 },
    { "ss null", SEL_UCODE, 3 },
    // (Not an SS that is not present: the manual raises #SS, QEMU 7.2 raises #NP.)
    { "ss is code", SEL_UCODE, SEL_UCODE },
    { "cs not present", (G_NPCODE3 << 3) | 3, SEL_UDATA },
    { "cs dpl0 rpl3", (G_CODE3_DPL0 << 3) | 3, SEL_UDATA },
    { "cs is data", SEL_UDATA, SEL_UDATA },
    { "cs rpl < cpl", SEL_KCODE & ~3u, SEL_UDATA },  // same ring: no SS pop; a good return
  };
  for (u32 i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    u32 cs_after = 0;
    asm volatile("movl %%esp, %%esi\n\t" TRY_BEGIN
                 "pushl %[ss]\n\tpushl %%esp\n\tpushl $0x2\n\tpushl %[cs]\n\tpushl $2f\n\tiret\n"
                 "2:\tmovl %%cs, %[after]" TRY_END
                 "movl %%esi, %%esp"
                 : [after] "+r"(cs_after) : [ss] "r"(cases[i].ss), [cs] "r"(cases[i].cs) : "esi", "memory");
    puts("iret ");
    puts(cases[i].what);
    if (trap_count == 0) {
      puts(": cs=");
      puthex4(cs_after);
      nl();
    } else {
      trap_report("");
    }
  }
}

void test_main(void) {
  u32 r = enter_user(user_sregs, 0x202, (u32)ustack_top);
  put_kv("user exit", r);
  nl();
  print_out("sregs cs ss ds fs gs:", 5);

  idt_set_default(0x81, 3, 0);
  trap_set_handler(0x81, on_0x81);
  tssb.t.esp0 = (u32)kstack0_top - 64;  // the CPU must read esp0 from the TSS on each entry
  r = enter_user(user_int81, 0x202, (u32)ustack_top - 16);
  put_kv("int81 eax", r);
  put_kv("cs", h_cs);
  put_kv("ss", h_ss);
  nl();
  put_kv("esp delta", h_esp_delta);
  put_kv("frame at esp0", h_frame_top_ok);
  put_kv("eflags", h_eflags);
  nl();
  tssb.t.esp0 = (u32)kstack0_top;

  enter_user(user_forbidden, 0x202, (u32)ustack_top);
  print_out("forbidden:", 16);
  puts("last fault cs ");
  puthex4(trap_cs);
  nl();

  enter_user(user_flags, 0x202, (u32)ustack_top);
  print_out("flags iopl0:", 6);
  enter_user(user_iopl3, 0x3202, (u32)ustack_top);
  print_out("flags iopl3:", 6);

  memset(tssb.iomap, 0xff, sizeof(tssb.iomap));
  tssb.iomap[0x3ff / 8] &= (u8)~(1 << (0x3ff % 8));
  tssb.iomap[0x80 / 8] &= 0xf0;
  outb(0x3ff, 0);
  enter_user(user_iomap, 0x202, (u32)ustack_top);
  print_out("iomap:", 7);
  put_kv("scr after user out", inb(0x3ff));
  nl();
  // A TSS limit that ends before the bitmap denies every port.
  tss_load(sizeof(struct tss) + 0x3ff / 8 - 1);
  enter_user(user_iomap, 0x202, (u32)ustack_top);
  print_out("iomap short tss:", 7);
  tss_load(sizeof(tssb) - 1);
  t_iret_checks();
}
