// ALU family: add/adc/sub/sbb/cmp/and/or/xor/test, inc/dec/neg/not, at 8, 16 and 32 bits, with
// register, memory and immediate operands and 8-bit high registers. Each form runs over every
// pair of test values, with all arithmetic flags clear and set on entry; the checksum covers
// the result and the defined flags (AF is undefined after the logic ops).
#include "forms.h"

// Two-operand register forms: INSN %b, %r with operand-size modifier MOD ("b", "w", "k").
#define BIN(NAME, INSN, CONS, MOD, MASK)                                                     \
  static void t_##NAME(void) {                                                              \
    for (int i = 0; i < n_test_values32; i++)                                               \
      for (int j = 0; j < n_test_values32; j++)                                             \
        for (int k = 0; k < 2; k++) {                                                       \
          u32 r = test_values32[i], b = test_values32[j], f = k ? FIN1 : FIN0;               \
          asm volatile("push %[f]\n\tpopf\n\t" INSN " %" MOD "[b], %" MOD "[r]\n\t"          \
                       "pushf\n\tpop %[f]"                                                  \
                       : [r] "+" CONS(r), [f] "+r"(f)                                        \
                       : [b] CONS(b)                                                        \
                       : "cc");                                                             \
          chk_add(r);                                                                       \
          chk_add(f & (MASK));                                                              \
        }                                                                                   \
    chk_line(#NAME);                                                                        \
  }

// Immediate forms, IMM a literal; the accumulator short forms come from the "a" constraint.
#define BINIMM(NAME, INSN, IMM, CONS, MOD, MASK) UN(NAME, INSN " $" #IMM ",", CONS, MOD, MASK)

#define ALL_SIZES(OP, MASK)                  \
  BIN(OP##b, #OP "b", "q", "b", MASK)        \
  BIN(OP##w, #OP "w", "r", "w", MASK)        \
  BIN(OP##l, #OP "l", "r", "k", MASK)        \
  BIN(OP##bh, #OP "b", "Q", "h", MASK)

ALL_SIZES(add, FL_ARITH)
ALL_SIZES(adc, FL_ARITH)
ALL_SIZES(sub, FL_ARITH)
ALL_SIZES(sbb, FL_ARITH)
ALL_SIZES(cmp, FL_ARITH)
ALL_SIZES(and, LOGIC_MASK)
ALL_SIZES(or, LOGIC_MASK)
ALL_SIZES(xor, LOGIC_MASK)
ALL_SIZES(test, LOGIC_MASK)

MEMDST(add_mem, "addl", "r", "k", FL_ARITH)
MEMDST(sbb_mem, "sbbl", "r", "k", FL_ARITH)
MEMDST(and_mem, "andl", "r", "k", LOGIC_MASK)
MEMDST(xor_mem, "xorl", "r", "k", LOGIC_MASK)
MEMDST(cmp_mem, "cmpl", "r", "k", FL_ARITH)
MEMSRC(sub_src, "subl", "r", "k", FL_ARITH)
MEMSRC(adc_src, "adcl", "r", "k", FL_ARITH)
MEMSRC(or_src, "orl", "r", "k", LOGIC_MASK)

BINIMM(add_imm8, "addl", -3, "r", "k", FL_ARITH)
BINIMM(sub_imm32, "subl", 0x12345678, "r", "k", FL_ARITH)
BINIMM(cmp_imm_eax, "cmpl", 0x80000000, "a", "k", FL_ARITH)
BINIMM(adc_imm_al, "adcb", 0x7f, "a", "b", FL_ARITH)
BINIMM(sbb_imm_ax, "sbbw", 0x8000, "a", "w", FL_ARITH)
BINIMM(and_imm8w, "andw", -2, "r", "w", LOGIC_MASK)
BINIMM(or_imm_b, "orb", 0x81, "q", "b", LOGIC_MASK)
BINIMM(xor_imm_eax, "xorl", 0xffff0000, "a", "k", LOGIC_MASK)
BINIMM(test_imm_al, "testb", 0x80, "a", "b", LOGIC_MASK)
BINIMM(test_imm32, "testl", 0x00010001, "r", "k", LOGIC_MASK)

UN(incb, "incb", "q", "b", FL_ARITH)
UN(incw, "incw", "r", "w", FL_ARITH)
UN(incl, "incl", "r", "k", FL_ARITH)
UN(incbh, "incb", "Q", "h", FL_ARITH)
UN(decb, "decb", "q", "b", FL_ARITH)
UN(decw, "decw", "r", "w", FL_ARITH)
UN(decl, "decl", "r", "k", FL_ARITH)
UN(negb, "negb", "q", "b", FL_ARITH)
UN(negw, "negw", "r", "w", FL_ARITH)
UN(negl, "negl", "r", "k", FL_ARITH)
UN(negbh, "negb", "Q", "h", FL_ARITH)
UN(notb, "notb", "q", "b", FL_ARITH)
UN(notw, "notw", "r", "w", FL_ARITH)
UN(notl, "notl", "r", "k", FL_ARITH)

// A few results printed in full so a failure shows its operands: INSN on R (register constraint
// CONS) with the flags F on entry, printed as LABEL=result fl=flags.
#define SAMPLE(LABEL, INSN, CONS, R, F)                                                      \
  do {                                                                                      \
    u32 r = (R), f = (F);                                                                    \
    asm volatile("push %[f]; popf; " INSN "; pushf; pop %[f]"                                \
                 : [r] "+" CONS(r), [f] "+r"(f) : : "cc");                                   \
    put_kv(LABEL, r);                                                                       \
    put_kv("fl", f & FL_ARITH);                                                             \
    nl();                                                                                   \
  } while (0)

static void samples(void) {
  SAMPLE("add 7fffffff+1", "addl $1, %[r]", "r", 0x7fffffff, FIN0);
  SAMPLE("sub 0-1", "subl $1, %[r]", "r", 0, FIN0);
  SAMPLE("negb 80", "negb %b[r]", "q", 0x80, FIN1);
  // 8-bit high register mixes: ah with bl, ch with dh.
  u32 a = 0x11223344, b = 0x55667788;
  asm volatile("addb %%bl, %%ah\n\tsubb %%ah, %%bh\n\txchgb %%al, %%bh" : "+a"(a), "+b"(b) : : "cc");
  put_kv("hi8 a", a);
  put_kv("b", b);
  nl();
}

void test_main(void) {
  t_addb(); t_addw(); t_addl(); t_addbh();
  t_adcb(); t_adcw(); t_adcl(); t_adcbh();
  t_subb(); t_subw(); t_subl(); t_subbh();
  t_sbbb(); t_sbbw(); t_sbbl(); t_sbbbh();
  t_cmpb(); t_cmpw(); t_cmpl(); t_cmpbh();
  t_andb(); t_andw(); t_andl(); t_andbh();
  t_orb(); t_orw(); t_orl(); t_orbh();
  t_xorb(); t_xorw(); t_xorl(); t_xorbh();
  t_testb(); t_testw(); t_testl(); t_testbh();
  t_add_mem(); t_sbb_mem(); t_and_mem(); t_xor_mem(); t_cmp_mem();
  t_sub_src(); t_adc_src(); t_or_src();
  t_add_imm8(); t_sub_imm32(); t_cmp_imm_eax(); t_adc_imm_al(); t_sbb_imm_ax();
  t_and_imm8w(); t_or_imm_b(); t_xor_imm_eax(); t_test_imm_al(); t_test_imm32();
  t_incb(); t_incw(); t_incl(); t_incbh();
  t_decb(); t_decw(); t_decl();
  t_negb(); t_negw(); t_negl(); t_negbh();
  t_notb(); t_notw(); t_notl();
  samples();
}
