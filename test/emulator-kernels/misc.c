// Miscellaneous integer family: movzx/movsx, 16-bit operand-size forms (mov, push/pop, inc, lea),
// multi-byte NOPs, enter/leave, cbw/cwde/cwd/cdq, xlat, lahf/sahf, BCD adjusts (daa/das/aaa/
// aas/aam/aad, aam 0 -> #DE), lea addressing, loop/jecxz, pusha/popa, ret imm16, cpuid leaf 0.
#include "lib.h"

static void t_extend(void) {
  for (int i = 0; i < n_test_values32; i++) {
    u32 v = test_values32[i], a, b, c, d;
    asm("movzbl %b4, %0\n\tmovsbl %b4, %1\n\tmovzwl %w4, %2\n\tmovswl %w4, %3"
        : "=&r"(a), "=&r"(b), "=&r"(c), "=&r"(d) : "q"(v));
    chk_add(a); chk_add(b); chk_add(c); chk_add(d);
    u32 w = 0xdeadbeef;
    asm("movzbw %b1, %w0\n\t" : "+r"(w) : "q"(v));
    chk_add(w);
    w = 0xdeadbeef;
    asm("movsbw %b1, %w0\n\t" : "+r"(w) : "q"(v));
    chk_add(w);
    u32 e = v, f = v;
    asm("cbtw" : "+a"(e));
    chk_add(e);
    asm("cwtl" : "+a"(f));
    chk_add(f);
    u32 lo = v, hi = 0x1234;
    asm("cwtd" : "+a"(lo), "+d"(hi));
    chk_add(lo); chk_add(hi);
    lo = v; hi = 0x1234;
    asm("cltd" : "+a"(lo), "+d"(hi));
    chk_add(lo); chk_add(hi);
  }
  chk_line("extend");
}

// 8-bit high registers as gcc uses them: movzx/movsx from them, stores, tests, setcc into them.
static void t_high8(void) {
  for (int i = 0; i < n_test_values32; i++) {
    u32 a = test_values32[i], b = test_values32[(i + 3) % n_test_values32], c = 0, d = 0, f;
    static u8 m;
    asm volatile("movzbl %%ah, %%ecx\n\tmovsbl %%bh, %%edx\n\tmovb %%ah, %[m]\n\t"
                 "xchgb %%ah, %%al\n\tincb %%bh\n\tshlb $1, %%ah\n\ttestb %%bh, %%ah\n\t"
                 "setne %%ch\n\tcmpb %%ah, %%bl\n\tsetb %%dh\n\tpushf\n\tpop %[f]"
                 : "+a"(a), "+b"(b), "+c"(c), "+d"(d), [m] "=m"(m), [f] "=r"(f) : : "cc");
    chk_add(a); chk_add(b); chk_add(c); chk_add(d); chk_add(m); chk_add(f & FL_ARITH);
  }
  chk_line("high8");
}

static void t_16bit(void) {
  for (int i = 0; i < n_test_values32; i++) {
    u32 v = test_values32[i], r = 0xffffffff, sp0, sp1, p = 0x77777777;
    u16 m = 0;
    asm volatile("movw %w[v], %w[r]\n\tmovw %w[v], %[m]\n\tincw %w[r]\n\t"
                 "movl %%esp, %[sp0]\n\tpushw %w[v]\n\tpushw $0x1234\n\tmovl %%esp, %[sp1]\n\t"
                 "popw %w[p]\n\tpopw %[m]\n\tleaw 3(%[v],%[v],2), %w[v]"
                 : [r] "+r"(r), [m] "+m"(m), [sp0] "=&r"(sp0), [sp1] "=&r"(sp1), [p] "+r"(p), [v] "+r"(v)
                 : : "cc", "memory");
    chk_add(r); chk_add(m); chk_add(sp0 - sp1); chk_add(p); chk_add(v);
  }
  chk_line("opsize16");
}

static void t_nops(void) {
  u32 a = 1;
  asm volatile("nop\n\t"
               ".byte 0x66, 0x90\n\t"
               ".byte 0x0f, 0x1f, 0x00\n\t"
               ".byte 0x0f, 0x1f, 0x40, 0x00\n\t"
               ".byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n\t"
               ".byte 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00\n\t"
               ".byte 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00\n\t"
               ".byte 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00\n\t"
               ".byte 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00\n\t"
               ".byte 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00\n\t"
               ".byte 0xf3, 0x90\n\t"  // pause
               ".p2align 5\n\t"
               "incl %0"
               : "+r"(a));
  put_kv("nops", a);
  nl();
}

// enter with nesting levels 0, 1 and 3 copies frame pointers from the old frame.
static void t_enter(void) {
  static u32 out[16];
  // Static: the asm moves ESP and EBP, so no operand may be addressed relative to them.
  static u32 ebp_before, level0, level1, level3;
  u32 esp_diff;
  asm volatile("pushl %%ebp\n\t"
               "movl %%esp, %%ebp\n\t"
               "pushl $0x11111111\n\tpushl $0x22222222\n\tpushl $0x33333333\n\t"
               "movl %%ebp, %[eb]\n\t"
               "movl %%esp, %%edx\n\t"
               "enter $8, $0\n\t"
               "movl %%edx, %%ecx\n\tsubl %%esp, %%ecx\n\tmovl %%ecx, %[l0]\n\t"
               "movl %%ebp, %%ecx\n\tsubl %[eb], %%ecx\n\tmovl %%ecx, 0(%[o])\n\t"
               "leave\n\t"
               "enter $4, $1\n\t"
               "movl %%edx, %%ecx\n\tsubl %%esp, %%ecx\n\tmovl %%ecx, %[l1]\n\t"
               "movl -4(%%ebp), %%ecx\n\tsubl %[eb], %%ecx\n\tmovl %%ecx, 4(%[o])\n\t"
               "leave\n\t"
               "movl %%esp, %%ebp\n\taddl $4, %%ebp\n\t"  // a frame chain inside the pushed words
               "enter $12, $3\n\t"
               "movl %%edx, %%ecx\n\tsubl %%esp, %%ecx\n\tmovl %%ecx, %[l3]\n\t"
               "movl -4(%%ebp), %%ecx\n\tmovl %%ecx, 8(%[o])\n\t"
               "movl -8(%%ebp), %%ecx\n\tmovl %%ecx, 12(%[o])\n\t"
               "movl -12(%%ebp), %%ecx\n\tsubl %%edx, %%ecx\n\tmovl %%ecx, 16(%[o])\n\t"
               "leave\n\t"
               "movl %%esp, %%ecx\n\tsubl %%edx, %%ecx\n\tmovl %%ecx, 20(%[o])\n\t"
               "movl %[eb], %%ebp\n\t"
               "movl %%ebp, %%esp\n\t"
               "popl %%ebp"
               : [eb] "=&m"(ebp_before), [l0] "=&m"(level0), [l1] "=&m"(level1), [l3] "=&m"(level3)
               : [o] "S"(out)
               : "ecx", "edx", "memory");
  esp_diff = out[20 / 4];
  put_kv("enter0 esp", level0); put_kv("ebp", out[0]); nl();
  put_kv("enter1 esp", level1); put_kv("copied", out[1]); nl();
  put_kv("enter3 esp", level3); put_kv("w1", out[2]); put_kv("w2", out[3]); put_kv("w3", out[4]); nl();
  put_kv("after leave", esp_diff); nl();
}

static void t_xlat_lahf(void) {
  static const u8 table[256] = { [0] = 0x10, [0x7f] = 0x7e, [0x80] = 0x81, [0xff] = 0xfe };
  for (int i = 0; i < n_test_values32; i++) {
    u32 a = test_values32[i];
    asm("xlatb" : "+a"(a) : "b"(table));
    chk_add(a);
  }
  chk_line("xlat");
  for (int combo = 0; combo < 64; combo++) {
    u32 a = (u32)combo * 0x0123 + 0xd5 * (combo & 1), f;
    a = (a & 0xff) << 8;
    asm volatile("pushl $0x2\n\tpopf\n\tsahf\n\tpushf\n\tpop %[f]\n\tmovl $0, %%eax\n\tlahf"
                 : "+a"(a), [f] "=r"(f) : : "cc");
    chk_add(a);
    chk_add(f);
  }
  chk_line("sahf_lahf");
}

#define BCD(NAME, INSN, MASK)                                                                \
  static void t_##NAME(void) {                                                              \
    for (u32 v = 0; v < 0x200; v += 3)                                                      \
      for (int k = 0; k < 4; k++) {                                                         \
        u32 a = v | ((u32)k << 9) | 0x1200, f = 0x2 | (k & 1 ? FL_CF : 0) | (k & 2 ? FL_AF : 0); \
        asm volatile("push %[f]; popf; " INSN "; pushf; pop %[f]" : "+a"(a), [f] "+r"(f) : : "cc"); \
        chk_add(a);                                                                         \
        chk_add(f & (MASK));                                                                \
      }                                                                                     \
    chk_line(#NAME);                                                                        \
  }

BCD(daa, "daa", FL_ARITH & ~FL_OF)
BCD(das, "das", FL_ARITH & ~FL_OF)
BCD(aaa, "aaa", FL_AF | FL_CF)
BCD(aas, "aas", FL_AF | FL_CF)
BCD(aam, "aam", FL_SF | FL_ZF | FL_PF)
BCD(aad, "aad", FL_SF | FL_ZF | FL_PF)
BCD(aam7, "aam $7", FL_SF | FL_ZF | FL_PF)
BCD(aad13, "aad $13", FL_SF | FL_ZF | FL_PF)

static void t_aam0(void) {
  u32 a = 0x1234;
  asm volatile(TRY_BEGIN "aam $0" TRY_END : "+a"(a) : : "cc", "memory");
  trap_report("aam 0");
  put_kv("ax", a);
  nl();
}

static void t_lea_loop(void) {
  for (int i = 0; i < n_test_values32; i++) {
    u32 b = test_values32[i], x = test_values32[(i + 5) % n_test_values32], r1, r2, r3;
    asm("leal 0x12345678(%3,%4,8), %0\n\tleal -1(,%4,4), %1\n\tleal (%3,%3), %2"
        : "=&r"(r1), "=&r"(r2), "=&r"(r3) : "r"(b), "r"(x));
    chk_add(r1); chk_add(r2); chk_add(r3);
    u16 w;
    asm("leaw 0x7fff(%1,%2,2), %0" : "=r"(w) : "r"(b), "r"(x));
    chk_add(w);
  }
  u32 n = 0, c = 10;
  asm volatile("1: incl %0\n\tloop 1b" : "+r"(n), "+c"(c));
  chk_add(n); chk_add(c);
  n = 0; c = 10;
  asm volatile("1: incl %0\n\tcmpl $4, %0\n\tloopne 1b" : "+r"(n), "+c"(c) : : "cc");
  chk_add(n); chk_add(c);
  n = 0; c = 10;
  asm volatile("1: incl %0\n\tcmpl $100, %0\n\tloope 1b" : "+r"(n), "+c"(c) : : "cc");
  chk_add(n); chk_add(c);
  n = 0; c = 0;
  asm volatile("jecxz 1f\n\tmovl $1, %0\n1:" : "+r"(n) : "c"(c));
  chk_add(n);
  chk_line("lea_loop");
}

static u32 __attribute__((noinline)) ret_imm_callee(void) {
  u32 r;
  asm volatile("call 1f\n\tjmp 2f\n1:\n\tmovl (%%esp), %0\n\tret $0\n2:" : "=r"(r));
  return r;
}

u32 regs[8];  // written by name from t_stack's asm

static void t_stack(void) {
  // Static: the asm moves ESP and EBP, so no operand may be addressed relative to them.
  static u32 sp_diff;
  asm volatile("movl %%esp, %%ecx\n\t"
               "pushl $0xabcd\n\tpushl $0\n\tpushl $-1\n\t"
               "call 1f\n\tjmp 2f\n"
               "1: ret $8\n"
               "2: popl %%eax\n\tsubl %%esp, %%ecx\n\tmovl %%ecx, %[d]"
               : [d] "=m"(sp_diff) : : "eax", "ecx", "memory");
  put_kv("ret imm16 esp", sp_diff);
  nl();
  asm volatile("pushl %%ebp\n\t"
               "movl $1, %%eax\n\tmovl $2, %%ecx\n\tmovl $3, %%edx\n\tmovl $4, %%ebx\n\t"
               "movl $6, %%ebp\n\tmovl $7, %%esi\n\tmovl $8, %%edi\n\t"
               "pushal\n\t"
               "movl $0, %%eax\n\tmovl $0, %%ecx\n\tmovl $0, %%edx\n\tmovl $0, %%ebx\n\t"
               "movl $0, %%ebp\n\tmovl $0, %%esi\n\tmovl $0, %%edi\n\t"
               "movl $0x99, 12(%%esp)\n\t"  // the saved ESP slot is skipped by popa
               "popal\n\t"
               "movl %%eax, regs\n\tmovl %%ecx, regs+4\n\tmovl %%edx, regs+8\n\tmovl %%ebx, regs+12\n\t"
               "movl %%ebp, regs+16\n\tmovl %%esi, regs+20\n\tmovl %%edi, regs+24\n\t"
               "popl %%ebp"
               : : : "eax", "ecx", "edx", "ebx", "esi", "edi", "memory");
  chk_reset();
  for (int i = 0; i < 7; i++) chk_add(regs[i]);
  chk_line("pusha_popa");
  put_kv("call-ret", ret_imm_callee() != 0);
  nl();
}

static void t_flag_ops(void) {
  for (int k = 0; k < 2; k++) {
    u32 f0, f1, f2, f3, f4, in = k ? 0x2 | FL_ARITH | FL_DF : 0x2;
    asm volatile("push %5\n\tpopf\n\tstc\n\tpushf\n\tpop %0\n\tclc\n\tpushf\n\tpop %1\n\t"
                 "cmc\n\tpushf\n\tpop %2\n\tcmc\n\tpushf\n\tpop %3\n\tstd\n\tcld\n\tpushf\n\tpop %4"
                 : "=&r"(f0), "=&r"(f1), "=&r"(f2), "=&r"(f3), "=&r"(f4) : "r"(in) : "cc");
    chk_add(f0); chk_add(f1); chk_add(f2); chk_add(f3); chk_add(f4);
  }
  chk_line("stc_clc_cmc_std_cld");
}

// Indirect control flow as gcc emits it: a switch through a jump table, calls through a
// register and through memory, push/pop with memory and immediate operands.
static u32 __attribute__((noinline)) table_switch(u32 x) {
  switch (x) {
    case 0: return 0x11;
    case 1: return 0x2203;
    case 2: return x * 7 + 1;
    case 3: return 0x4405;
    case 4: return x ^ 0x5555;
    case 5: return 0x6607;
    case 6: return x << 9;
    case 7: return 0x8809;
    case 9: return 0x990a;
    default: return 0xdead;
  }
}

static u32 __attribute__((noinline)) add3(u32 a) { return a + 3; }
static u32 __attribute__((noinline)) mul5(u32 a) { return a * 5; }
static u32 (*volatile fns[2])(u32) = { add3, mul5 };

static void t_indirect(void) {
  for (u32 i = 0; i < 12; i++) chk_add(table_switch(i));
  for (u32 i = 0; i < 6; i++) {
    u32 r;
    asm volatile("pushl %2\n\tcall *%1\n\taddl $4, %%esp" : "=a"(r) : "m"(fns[i & 1]), "r"(i) : "ecx", "edx", "memory");
    chk_add(r);
    u32 (*f)(u32) = fns[(i + 1) & 1];
    asm volatile("pushl %2\n\tcall *%1\n\taddl $4, %%esp" : "=a"(r) : "r"(f), "r"(i) : "ecx", "edx", "memory");
    chk_add(r);
  }
  static u32 slot = 0x12345678, dst;
  u32 a, b, sp0, sp1;
  asm volatile("movl %%esp, %[s0]\n\tpushl $-5\n\tpushl $0x12345\n\tpushl %[m]\n\tpopl %[d]\n\t"
               "popl %[a]\n\tpopl %[b]\n\tmovl %%esp, %[s1]"
               : [a] "=r"(a), [b] "=r"(b), [d] "=m"(dst), [s0] "=&r"(sp0), [s1] "=&r"(sp1) : [m] "m"(slot) : "memory");
  chk_add(a); chk_add(b); chk_add(dst); chk_add(sp0 - sp1);
  u32 x = 1, y = 2, z = 3;
  asm volatile("xchgl %%eax, %%ecx\n\txchgl %%eax, %%edx\n\txchgl %%edx, %%ecx" : "+a"(x), "+c"(y), "+d"(z));
  chk_add(x); chk_add(y); chk_add(z);
  chk_line("indirect");
}

// ESP as an operand of the stack instructions: push %esp pushes the value before the push;
// pop %esp loads the popped value; pop to memory addressed through ESP uses the incremented ESP;
// push from memory addressed through ESP uses the ESP before the decrement.
u32 esp_r[6];  // written by name from the asm below

static void t_esp_operand(void) {
  asm volatile("movl %%esp, %%ecx\n\t"
               "pushl %%esp\n\tpopl %%eax\n\tsubl %%ecx, %%eax\n\tmovl %%eax, esp_r\n\t"
               "pushl $0x1111\n\tpushl $0x2222\n\tpushl $0x3333\n\t"
               "popl 4(%%esp)\n\t"                      // stores 0x3333 over 0x1111's slot
               "movl 4(%%esp), %%eax\n\tmovl %%eax, esp_r+4\n\tmovl (%%esp), %%eax\n\tmovl %%eax, esp_r+8\n\t"
               "pushl 4(%%esp)\n\tpopl %%eax\n\tmovl %%eax, esp_r+12\n\t"  // reads 0x3333
               "leal -64(%%esp), %%eax\n\tmovl %%ecx, (%%eax)\n\tpushl %%eax\n\tpopl %%esp\n\t"  // pop %esp
               "movl %%esp, %%eax\n\tsubl %%ecx, %%eax\n\tmovl %%eax, esp_r+16\n\t"
               "movl %%ecx, %%esp\n\t"
               "movl $5, %%eax\n\txaddl %%eax, %%eax\n\tmovl %%eax, esp_r+20"
               ::: "eax", "ecx", "memory", "cc");
  chk_reset();
  for (int i = 0; i < 6; i++) chk_add(esp_r[i]);
  put_kv("push esp delta", esp_r[0]);
  put_kv("pop mem via esp", esp_r[1]);
  put_kv("pop esp delta", esp_r[4]);
  nl();
  chk_line("esp_operand");
}

static void t_cpuid(void) {
  u32 a = 0, b, c, d;
  asm volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
  put_kv("cpuid max leaf", a);
  nl();
}

void test_main(void) {
  t_extend();
  t_high8();
  t_16bit();
  t_nops();
  t_enter();
  t_xlat_lahf();
  t_daa(); t_das(); t_aaa(); t_aas(); t_aam(); t_aad(); t_aam7(); t_aad13();
  t_aam0();
  t_lea_loop();
  t_stack();
  t_flag_ops();
  t_indirect();
  t_esp_operand();
  t_cpuid();
}
