// Multiply and divide family: mul/imul (one, two and three operands) and div/idiv at 8, 16 and
// 32 bits over the test values, including #DE for a zero divisor and a quotient that overflows.
// After mul/imul only CF and OF are defined; after div/idiv no flag is.
#include "lib.h"

#define MUL_MASK (FL_CF | FL_OF)

static u32 fault_code(void) {
  // What the checksum records about a division: 0 if it completed, else the vector + 1.
  u32 c = trap_count ? trap_vector + 1 : 0;
  trap_count = 0;
  return c;
}

#define MUL1(NAME, INSN, MOD)                                                                \
  static void t_##NAME(void) {                                                              \
    for (int i = 0; i < n_test_values32; i++)                                               \
      for (int j = 0; j < n_test_values32; j++) {                                           \
        u32 a = test_values32[i], d = 0x5a5a5a5a, b = test_values32[j], f = 0x2;             \
        asm volatile("push %[f]; popf; " INSN " %" MOD "[b]; pushf; pop %[f]"                \
                     : "+a"(a), "+d"(d), [f] "+r"(f)                                         \
                     : [b] "q"(b)                                                           \
                     : "cc");                                                               \
        chk_add(a);                                                                         \
        chk_add(d);                                                                         \
        chk_add(f & MUL_MASK);                                                              \
      }                                                                                     \
    chk_line(#NAME);                                                                        \
  }

MUL1(mulb, "mulb", "b")
MUL1(mulw, "mulw", "w")
MUL1(mull, "mull", "k")
MUL1(imulb, "imulb", "b")
MUL1(imulw, "imulw", "w")
MUL1(imull, "imull", "k")

#define IMUL2(NAME, INSN, MOD)                                                               \
  static void t_##NAME(void) {                                                              \
    for (int i = 0; i < n_test_values32; i++)                                               \
      for (int j = 0; j < n_test_values32; j++) {                                           \
        u32 r = test_values32[i], b = test_values32[j], f = 0x2;                             \
        asm volatile("push %[f]; popf; " INSN " %" MOD "[b], %" MOD "[r]; pushf; pop %[f]"   \
                     : [r] "+r"(r), [f] "+r"(f)                                              \
                     : [b] "r"(b)                                                           \
                     : "cc");                                                               \
        chk_add(r);                                                                         \
        chk_add(f & MUL_MASK);                                                              \
      }                                                                                     \
    chk_line(#NAME);                                                                        \
  }

IMUL2(imul2w, "imulw", "w")
IMUL2(imul2l, "imull", "k")

#define IMUL3(NAME, INSN, IMM, MOD)                                                          \
  static void t_##NAME(void) {                                                              \
    for (int i = 0; i < n_test_values32; i++) {                                             \
      u32 r = 0xcccccccc, b = test_values32[i], f = 0x2;                                     \
      asm volatile("push %[f]; popf; " INSN " $" #IMM ", %" MOD "[b], %" MOD "[r]; pushf; pop %[f]" \
                   : [r] "+r"(r), [f] "+r"(f)                                                \
                   : [b] "r"(b)                                                             \
                   : "cc");                                                                 \
      chk_add(r);                                                                           \
      chk_add(f & MUL_MASK);                                                                \
    }                                                                                       \
    chk_line(#NAME);                                                                        \
  }

IMUL3(imul3l_imm8, "imull", -7, "k")
IMUL3(imul3l_imm32, "imull", 0x10001, "k")
IMUL3(imul3w_imm16, "imulw", 0x7ffd, "w")

// Not 0x80000000: QEMU 7.2 computes idivl in host 64-bit arithmetic, and EDX:EAX = INT64_MIN
// divided by -1 kills QEMU itself with SIGFPE instead of raising #DE in the guest.
static const u32 high_parts[] = { 0, 1, 0x7f, 0xffffffff, 0xc0000000 };

#define DIV(NAME, INSN, MOD)                                                                 \
  static void t_##NAME(void) {                                                              \
    u32 faults = 0;                                                                         \
    for (int h = 0; h < 5; h++)                                                             \
      for (int i = 0; i < n_test_values32; i++)                                             \
        for (int j = 0; j < n_test_values32; j++) {                                         \
          u32 a = test_values32[i], d = high_parts[h], b = test_values32[j];                 \
          asm volatile(TRY_BEGIN INSN " %" MOD "[b]" TRY_END                                 \
                       : "+a"(a), "+d"(d)                                                   \
                       : [b] "q"(b)                                                         \
                       : "cc", "memory");                                                   \
          u32 c = fault_code();                                                             \
          faults += c != 0;                                                                 \
          chk_add(a);                                                                       \
          chk_add(d);                                                                       \
          chk_add(c);                                                                       \
        }                                                                                   \
    puts("faults=");                                                                        \
    putdec(faults);                                                                         \
    putc(' ');                                                                              \
    chk_line(#NAME);                                                                        \
  }

DIV(divb, "divb", "b")
DIV(divw, "divw", "w")
DIV(divl, "divl", "k")
DIV(idivb, "idivb", "b")
DIV(idivw, "idivw", "w")
DIV(idivl, "idivl", "k")

// Memory-operand forms: mul/imul/div/idiv with the source in memory.
static void t_mem_forms(void) {
  for (int i = 0; i < n_test_values32; i++)
    for (int j = 1; j < n_test_values32; j += 2) {
      volatile u32 m = test_values32[j];
      volatile u16 w = (u16)test_values32[j];
      u32 a = test_values32[i], d = 0, f;
      asm volatile("mull %[m]; pushf; pop %[f]" : "+a"(a), "+d"(d), [f] "=r"(f) : [m] "m"(m) : "cc");
      chk_add(a); chk_add(d); chk_add(f & MUL_MASK);
      u32 r = test_values32[i];
      asm volatile("imull %[m], %[r]; pushf; pop %[f]" : [r] "+r"(r), [f] "=r"(f) : [m] "m"(m) : "cc");
      chk_add(r); chk_add(f & MUL_MASK);
      asm volatile("imulw $-300, %[w], %w[r]; pushf; pop %[f]" : [r] "+r"(r), [f] "=r"(f) : [w] "m"(w) : "cc");
      chk_add(r); chk_add(f & MUL_MASK);
      a = test_values32[i]; d = 0;
      asm volatile("divl %[m]" : "+a"(a), "+d"(d) : [m] "m"(m) : "cc");  // m is odd: never 0
      chk_add(a); chk_add(d);
      a = test_values32[i]; d = (a & 0x80000000u) ? 0xffffffffu : 0;
      if (m != 0xffffffffu || a != 0x80000000u) {
        asm volatile("idivl %[m]" : "+a"(a), "+d"(d) : [m] "m"(m) : "cc");
        chk_add(a); chk_add(d);
      }
    }
  chk_line("memory forms");
}

static void samples(void) {
  u32 a = 0x80000000, d = 0xffffffff, b = 0xffffffff;
  asm volatile(TRY_BEGIN "idivl %[b]" TRY_END : "+a"(a), "+d"(d) : [b] "r"(b) : "cc", "memory");
  trap_report("idiv INT_MIN/-1");
  a = 7; d = 0; b = 0;
  asm volatile(TRY_BEGIN "divl %[b]" TRY_END : "+a"(a), "+d"(d) : [b] "r"(b) : "cc", "memory");
  trap_report("div 7/0");
  put_kv("regs kept", a);
  put_kv("", d);
  nl();
  a = 0xfffffff9; d = 0xffffffff; b = 2;
  asm volatile("idivl %[b]" : "+a"(a), "+d"(d) : [b] "r"(b) : "cc");
  put_kv("idiv -7/2 q", a);
  put_kv("r", d);
  nl();
  a = 0x12345678; d = 0; b = 0x9abcdef0;
  asm volatile("mull %[b]" : "+a"(a), "+d"(d) : [b] "r"(b) : "cc");
  put_kv("mul lo", a);
  put_kv("hi", d);
  nl();
}

void test_main(void) {
  t_mulb(); t_mulw(); t_mull(); t_imulb(); t_imulw(); t_imull();
  t_imul2w(); t_imul2l(); t_imul3l_imm8(); t_imul3l_imm32(); t_imul3w_imm16();
  t_divb(); t_divw(); t_divl(); t_idivb(); t_idivw(); t_idivl();
  t_mem_forms();
  samples();
}
