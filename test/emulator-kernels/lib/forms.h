// Loops over the test values that run one instruction form (one operand, or a register and a
// memory operand), with the arithmetic flags alternately clear and set on entry, and fold its
// result and the flags in MASK into the checksum (QEMU is the oracle). Shared by the ALU and the
// compiled-block kernels.
#ifndef FORMS_H
#define FORMS_H
#include "lib.h"

#define FIN0 0x002u
#define FIN1 (0x002u | FL_ARITH)
#define LOGIC_MASK (FL_ARITH & ~FL_AF)

// INSN on one operand, a register or memory as the constraint CONS says ("q", "r", "Q", "a",
// "m"), MOD its size ("b", "w", "k", "h"; "" for memory); INSN carries any operand before it
// (an immediate, a shift count). Four runs per value, so the loop body gets hot and is compiled.
#define UN(NAME, INSN, CONS, MOD, MASK)                                                      \
  static void t_##NAME(void) {                                                              \
    for (int i = 0; i < n_test_values32; i++)                                               \
      for (int k = 0; k < 4; k++) {                                                         \
        u32 r = test_values32[i], f = k & 1 ? FIN1 : FIN0;                                   \
        asm volatile("push %[f]\n\tpopf\n\t" INSN " %" MOD "[r]\n\tpushf\n\tpop %[f]"        \
                     : [r] "+" CONS(r), [f] "+r"(f)                                          \
                     :                                                                      \
                     : "cc");                                                               \
        chk_add(r);                                                                         \
        chk_add(f & (MASK));                                                                \
      }                                                                                     \
    chk_line(#NAME);                                                                        \
  }

// INSN %b, mem (memory destination); MOD/CONS pick the register's size.
#define MEMDST(NAME, INSN, CONS, MOD, MASK)                                                     \
  static void t_##NAME(void) {                                                              \
    for (int i = 0; i < n_test_values32; i++)                                               \
      for (int j = 0; j < n_test_values32; j++) {                                           \
        volatile u32 m = test_values32[i];                                                  \
        u32 b = test_values32[j], f = (i + j) & 1 ? FIN1 : FIN0;                             \
        asm volatile("push %[f]\n\tpopf\n\t" INSN " %" MOD "[b], %[m]\n\tpushf\n\tpop %[f]" \
                     : [m] "+m"(m), [f] "+r"(f)                                              \
                     : [b] CONS(b)                                                          \
                     : "cc");                                                               \
        chk_add(m);                                                                         \
        chk_add(f & (MASK));                                                                \
      }                                                                                     \
    chk_line(#NAME);                                                                        \
  }

// INSN mem, %r (memory source).
#define MEMSRC(NAME, INSN, CONS, MOD, MASK)                                                     \
  static void t_##NAME(void) {                                                              \
    for (int i = 0; i < n_test_values32; i++)                                               \
      for (int j = 0; j < n_test_values32; j++) {                                           \
        volatile u32 m = test_values32[j];                                                  \
        u32 r = test_values32[i], f = (i + j) & 1 ? FIN0 : FIN1;                             \
        asm volatile("push %[f]\n\tpopf\n\t" INSN " %[m], %" MOD "[r]\n\tpushf\n\tpop %[f]" \
                     : [r] "+" CONS(r), [f] "+r"(f)                                          \
                     : [m] "m"(m)                                                           \
                     : "cc");                                                               \
        chk_add(r);                                                                         \
        chk_add(f & (MASK));                                                                \
      }                                                                                     \
    chk_line(#NAME);                                                                        \
  }

#endif
