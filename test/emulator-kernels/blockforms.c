// Compiled-block forms: the data instructions the emulator writes inline into its compiled blocks
// (ALU with memory operands at 8, 16 and 32 bits, test, mov, movzx/movsx, inc/dec on memory,
// group-1 immediates on memory, shifts of a register by a constant, carry chains of add, adc,
// cmp, sbb and and), each run in a loop over every pair of test values so the loop body becomes
// hot and is compiled. The checksum covers
// the results and the defined flags; QEMU is the oracle.
#include "forms.h"

#define SHIFT_MASK (FL_CF | FL_ZF | FL_SF | FL_PF)

// INSN on memory alone (inc/dec, immediates), and on a 32-bit register alone (shifts by a
// constant); INSN carries its other operand.
#define MEM(NAME, INSN, MASK) UN(NAME, INSN, "m", "", MASK)
#define REG(NAME, INSN, MASK) UN(NAME, INSN, "r", "", MASK)

MEMDST(addb_m, "addb", "q", "b", FL_ARITH)
MEMDST(adcw_m, "adcw", "r", "w", FL_ARITH)
MEMDST(subw_m, "subw", "r", "w", FL_ARITH)
MEMDST(sbbb_m, "sbbb", "q", "b", FL_ARITH)
MEMDST(orb_m, "orb", "q", "b", LOGIC_MASK)
MEMDST(andw_m, "andw", "r", "w", LOGIC_MASK)
MEMDST(xorb_m, "xorb", "q", "b", LOGIC_MASK)
MEMDST(cmpw_m, "cmpw", "r", "w", FL_ARITH)
MEMDST(cmpb_m, "cmpb", "q", "b", FL_ARITH)
MEMDST(testb_m, "testb", "q", "b", LOGIC_MASK)
MEMDST(testw_m, "testw", "r", "w", LOGIC_MASK)
MEMDST(testl_m, "testl", "r", "k", LOGIC_MASK)
MEMDST(movb_m, "movb", "q", "b", 0xffffffffu)
MEMDST(movw_m, "movw", "r", "w", 0xffffffffu)
MEMSRC(addw_s, "addw", "r", "w", FL_ARITH)
MEMSRC(sbbb_s, "sbbb", "q", "b", FL_ARITH)
MEMSRC(andb_s, "andb", "q", "b", LOGIC_MASK)
MEMSRC(cmpl_s, "cmpl", "r", "k", FL_ARITH)
MEMSRC(xorl_s, "xorl", "r", "k", LOGIC_MASK)
MEMSRC(movb_s, "movb", "q", "b", 0xffffffffu)
MEMSRC(movw_s, "movw", "r", "w", 0xffffffffu)
MEMSRC(movzbl_s, "movzbl", "r", "k", 0xffffffffu)
MEMSRC(movsbl_s, "movsbl", "r", "k", 0xffffffffu)
MEMSRC(movzwl_s, "movzwl", "r", "k", 0xffffffffu)
MEMSRC(movswl_s, "movswl", "r", "k", 0xffffffffu)
MEMSRC(movsbw_s, "movsbw", "r", "w", 0xffffffffu)
MEM(incb_m, "incb", FL_ARITH)
MEM(decw_m, "decw", FL_ARITH)
MEM(incl_m, "incl", FL_ARITH)
MEM(decl_m, "decl", FL_ARITH)
MEM(addw_i, "addw $0x1234,", FL_ARITH)
MEM(cmpb_i, "cmpb $0x7f,", FL_ARITH)
MEM(orl_i8, "orl $-2,", LOGIC_MASK)
MEM(sbbb_i, "sbbb $1,", FL_ARITH)
MEM(subl_i, "subl $0x80000000,", FL_ARITH)
MEM(movb_i, "movb $0x5a,", 0xffffffffu)
MEM(movw_i, "movw $0xa55a,", 0xffffffffu)
MEM(movl_i, "movl $0x12345678,", 0xffffffffu)
REG(shl1, "shll $1,", SHIFT_MASK | FL_OF)
REG(shl7, "shll $7,", SHIFT_MASK)
REG(shr1, "shrl $1,", SHIFT_MASK | FL_OF)
REG(shr31, "shrl $31,", SHIFT_MASK)
REG(sar1, "sarl $1,", SHIFT_MASK | FL_OF)
REG(sar13, "sarl $13,", SHIFT_MASK)
REG(shl0, "shll $0,", FL_ARITH)
REG(shl32, "shll $32,", FL_ARITH)
// imul's SF, ZF, AF and PF are undefined (Intel SDM vol. 2A, IMUL): only CF and OF are compared.
REG(imul_i32, "imull $0x41c64e6d,", FL_CF | FL_OF)
REG(imul_i8, "imull $-3,", FL_CF | FL_OF)
MEMSRC(imull_s, "imull", "r", "k", FL_CF | FL_OF)

// Flags reaching over moves: SET sets the flags, then moves between registers and memory, a load,
// lea, movzx, push and pop, none of which changes them, then USE reads them: a conditional jump
// over an increment of acc (each condition a compiled block evaluates from its locals), or an
// adc taking the carry. Compiled blocks carry what they know of the flags across such moves and
// across a jump not taken (blocks.ts keepsFlags).
#define REACH(NAME, SET, USE)                                                               \
  static void t_##NAME(void) {                                                              \
    for (int i = 0; i < n_test_values32; i++)                                               \
      for (int j = 0; j < n_test_values32; j++) {                                           \
        u32 x = test_values32[i], y = test_values32[j], t = 0, acc = 0, f = 0;              \
        volatile u32 m = 0;                                                                 \
        asm volatile(SET "\n\t"                                                             \
                     "movl %[x], %[t]\n\tmovl %[t], %[m]\n\tmovl %[m], %[t]\n\t"              \
                     "leal 3(%[t],%[y],2), %[t]\n\tmovzbl %[m], %[f]\n\tmovw %w[y], %[m]\n\t" \
                     "pushl %[x]\n\tpopl %[f]\n\t" USE "\n\t"                                  \
                     "pushf\n\tpop %[f]"                                                     \
                     : [x] "+r"(x), [t] "+r"(t), [acc] "+r"(acc), [f] "+r"(f), [m] "+m"(m)   \
                     : [y] "r"(y)                                                           \
                     : "cc", "memory");                                                     \
        chk_add(x);                                                                         \
        chk_add(t);                                                                         \
        chk_add(acc);                                                                       \
        chk_add(m);                                                                         \
        chk_add(f & FL_ARITH);                                                              \
      }                                                                                     \
    chk_line(#NAME);                                                                        \
  }
// A jump not taken, then another: the second still reads the first's flags from the locals.
#define JUMP(CC) CC " 1f\n\tleal 1(%[acc]), %[acc]\n1:\tjo 2f\n\tleal 2(%[acc]), %[acc]\n2:"
#define CMP "cmpl %[y], %[x]"
REACH(cmp_jb, CMP, JUMP("jb"))
REACH(cmp_jae, CMP, JUMP("jae"))
REACH(cmp_je, CMP, JUMP("je"))
REACH(cmp_jne, CMP, JUMP("jne"))
REACH(cmp_jbe, CMP, JUMP("jbe"))
REACH(cmp_ja, CMP, JUMP("ja"))
REACH(cmp_js, CMP, JUMP("js"))
REACH(cmp_jns, CMP, JUMP("jns"))
REACH(cmp_jl, CMP, JUMP("jl"))
REACH(cmp_jge, CMP, JUMP("jge"))
REACH(cmp_jle, CMP, JUMP("jle"))
REACH(cmp_jg, CMP, JUMP("jg"))
REACH(add_jc, "addl %[y], %[x]", JUMP("jc"))
REACH(add_jz, "addl %[y], %[x]", JUMP("jz"))
REACH(add_adc, "addl %[y], %[x]", "adcl %[y], %[t]")
REACH(sub_sbb, "subl %[y], %[x]", "sbbl %[y], %[t]")
REACH(test_jle, "testl %[y], %[x]", JUMP("jle"))
REACH(xor_jg, "xorl %[y], %[x]", JUMP("jg"))
REACH(dec_js, "decl %[x]", JUMP("js"))
REACH(imul_jo, "imull %[y], %[x]", JUMP("jno"))

// inc and dec keep CF, which compiled blocks take from the flag-setting instruction before them
// (their locals, or the record a shift, multiply or inc left in EFLAGS).
REACH(cmp_inc, CMP, "incl %[acc]")
REACH(add_dec, "addl %[y], %[x]", "decl %[acc]")
REACH(test_inc, "testl %[y], %[x]", "incl %[acc]")
REACH(shl_dec, "shll $3, %[x]", "decl %[acc]")
REACH(imul_inc, "imull %[y], %[x]", "incl %[acc]")
REACH(dec_inc, "decl %[x]", "incl %[acc]")
REACH(cmp_incm, CMP, "incl %[m]")
REACH(cmp_adcm, CMP, "adcl %[y], %[m]")
REACH(sub_sbbm, "subl %[y], %[x]", "sbbl %[x], %[m]")
// cmov and setcc read the flags like a jump: from the block's locals where it knows them.
REACH(cmp_cmovb, CMP, "cmovbl %[y], %[acc]")
REACH(cmp_cmovge, CMP, "cmovgel %[m], %[acc]")
REACH(cmp_cmovbe, CMP, "cmovbel %[y], %[acc]")
REACH(add_cmovc, "addl %[y], %[x]", "cmovcl %[y], %[acc]")
REACH(test_cmovle, "testl %[y], %[x]", "cmovlel %[y], %[acc]")
REACH(dec_cmovs, "decl %[x]", "cmovsl %[y], %[acc]")
REACH(cmp_setl, CMP, "setl %[m]")
REACH(cmp_seta, CMP, "seta %[m]")
REACH(sub_setae, "subl %[y], %[x]", "setae %[m]")
REACH(xor_setg, "xorl %[y], %[x]", "setg %[m]")
REACH(shl_sete, "shll $3, %[x]", "sete %[m]")
REACH(dec_adc, "decl %[x]", "adcl %[y], %[t]")

// Read-modify-write of a dword or byte in memory, written inline on a TLB hit.
MEMDST(addl_m, "addl", "r", "k", FL_ARITH)
MEMDST(adcl_m, "adcl", "r", "k", FL_ARITH)
MEMDST(sbbl_m, "sbbl", "r", "k", FL_ARITH)
MEMDST(andl_m, "andl", "r", "k", LOGIC_MASK)
MEMDST(xorl_m, "xorl", "r", "k", LOGIC_MASK)
MEMDST(adcb_m, "adcb", "q", "b", FL_ARITH)
MEM(decb_m, "decb", FL_ARITH)
REG(notl_r, "notl", 0xffffffffu)
MEMSRC(imul3_s, "imull $0x41c64e6d,", "r", "k", FL_CF | FL_OF)

// Shifts of a register by CL, whose count may be 0 (flags and register unchanged): a compare's
// flags, then the shift, then a jump on CF and the flags.
#define SHCL(NAME, OP)                                                                      \
  static void t_##NAME(void) {                                                              \
    for (int i = 0; i < n_test_values32; i++)                                               \
      for (int j = 0; j < n_test_values32; j++) {                                           \
        u32 x = test_values32[i], c = test_values32[j], acc = 0, f;                         \
        u32 y = test_values32[(i + j) % n_test_values32];                                   \
        asm volatile("cmpl %[y], %[x]\n\t" OP " %%cl, %[x]\n\tjb 1f\n\tincl %[acc]\n"       \
                     "1:\tpushf\n\tpop %[f]"                                                  \
                     : [x] "+r"(x), [acc] "+r"(acc), [f] "=r"(f)                            \
                     : [y] "r"(y), "c"(c)                                                   \
                     : "cc");                                                               \
        chk_add(x);                                                                         \
        chk_add(acc);                                                                       \
        chk_add(f & SHIFT_MASK);                                                            \
      }                                                                                     \
    chk_line(#NAME);                                                                        \
  }
SHCL(shlcl, "shll")
SHCL(shrcl, "shrl")
SHCL(sarcl, "sarl")

// cltd, cwtl, a one-byte and a two-byte nop and not between a compare and its jump.
static void t_cdq_cwde(void) {
  for (int i = 0; i < n_test_values32; i++)
    for (int j = 0; j < n_test_values32; j++) {
      u32 a = test_values32[i], d = 0, y = test_values32[j], f;
      asm volatile("cmpl %[y], %%eax\n\tcltd\n\tnop\n\txchg %%ax, %%ax\n\tnotl %%edx\n\tcwtl\n\t"
                   "jl 1f\n\tnotl %%edx\n1:\tpushf\n\tpop %[f]"
                   : "+a"(a), "+d"(d), [f] "=r"(f)
                   : [y] "r"(y)
                   : "cc");
      chk_add(a);
      chk_add(d);
      chk_add(f & FL_ARITH);
    }
  chk_line("cdq_cwde");
}

// Carry chains in one block, as in a checksum loop: adc and sbb read the carry the previous
// instruction left (add; adc, also with a carry-in of 1 and a result equal to its destination;
// cmp; and), and jc/jnc test it right after add or adc. Compiled blocks take that carry from
// their locals (blocks.ts, block-inline.ts). Every operand is an in-out register or memory, so
// no two share a register.
static void t_carry_chain(void) {
  for (int i = 0; i < n_test_values32; i++)
    for (int j = 0; j < n_test_values32; j++) {
      u32 x = test_values32[i], y = test_values32[j], z = ~y, f;
      volatile u32 m = x ^ y, ones = 0xffffffffu;
      asm volatile("addl %[y], %[x]\n\t"
                   "adcl %[ones], %[y]\n\t"
                   "adcl %[m], %[x]\n\t"
                   "adcl $0, %[y]\n\t"
                   "adcl %[x], %[m]\n\t"
                   "jnc 1f\n\t"
                   "incl %[z]\n"
                   "1:\tcmpl %[y], %[x]\n\t"
                   "sbbl %[y], %[z]\n\t"
                   "andl %[x], %[y]\n\t"
                   "adcl %[x], %[y]\n\t"
                   "addl %[z], %[x]\n\t"
                   "jc 2f\n\t"
                   "xorl $0x5a5a5a5a, %[y]\n"
                   "2:\tstc\n\t"
                   "adcl %[ones], %[z]\n\t"
                   "jc 3f\n\t"
                   "xorl $0x3c3c3c3c, %[x]\n"
                   "3:\tstc\n\t"
                   "adcl %[ones], %[x]\n\t"
                   "jnc 4f\n\t"
                   "incl %[y]\n"
                   "4:\tpushf\n\tpop %[f]"
                   : [x] "+r"(x), [y] "+r"(y), [z] "+r"(z), [m] "+m"(m), [f] "=r"(f)
                   : [ones] "m"(ones)
                   : "cc");
      chk_add(x);
      chk_add(y);
      chk_add(z);
      chk_add(m);
      chk_add(f & FL_ARITH);
    }
  chk_line("carry_chain");
}

void test_main(void) {
  t_addb_m(); t_adcw_m(); t_subw_m(); t_sbbb_m(); t_orb_m(); t_andw_m(); t_xorb_m(); t_cmpw_m(); t_cmpb_m();
  t_testb_m(); t_testw_m(); t_testl_m(); t_movb_m(); t_movw_m();
  t_addw_s(); t_sbbb_s(); t_andb_s(); t_cmpl_s(); t_xorl_s(); t_movb_s(); t_movw_s();
  t_movzbl_s(); t_movsbl_s(); t_movzwl_s(); t_movswl_s(); t_movsbw_s();
  t_incb_m(); t_decw_m(); t_incl_m(); t_decl_m();
  t_addw_i(); t_cmpb_i(); t_orl_i8(); t_sbbb_i(); t_subl_i(); t_movb_i(); t_movw_i(); t_movl_i();
  t_shl1(); t_shl7(); t_shr1(); t_shr31(); t_sar1(); t_sar13(); t_shl0(); t_shl32();
  t_imul_i32(); t_imul_i8(); t_imull_s();
  t_carry_chain();
  t_cmp_jb(); t_cmp_jae(); t_cmp_je(); t_cmp_jne(); t_cmp_jbe(); t_cmp_ja();
  t_cmp_js(); t_cmp_jns(); t_cmp_jl(); t_cmp_jge(); t_cmp_jle(); t_cmp_jg();
  t_add_jc(); t_add_jz(); t_add_adc(); t_sub_sbb(); t_test_jle(); t_xor_jg(); t_dec_js(); t_imul_jo();
  t_cmp_inc(); t_add_dec(); t_test_inc(); t_shl_dec(); t_imul_inc(); t_dec_inc(); t_cmp_incm(); t_cmp_adcm(); t_sub_sbbm();
  t_addl_m(); t_adcl_m(); t_sbbl_m(); t_andl_m(); t_xorl_m(); t_adcb_m(); t_decb_m(); t_notl_r(); t_imul3_s();
  t_shlcl(); t_shrcl(); t_sarcl(); t_cdq_cwde();
  t_cmp_cmovb(); t_cmp_cmovge(); t_cmp_cmovbe(); t_add_cmovc(); t_test_cmovle(); t_dec_cmovs();
  t_cmp_setl(); t_cmp_seta(); t_sub_setae(); t_xor_setg(); t_shl_sete(); t_dec_adc();
}
