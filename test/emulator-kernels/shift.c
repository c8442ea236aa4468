// Shift and rotate family: shl/shr/sar/rol/ror/rcl/rcr at 8, 16 and 32 bits by CL (counts 0, 1,
// and below, at and above the operand width), by 1 and by an immediate; shld/shrd at 16 and 32
// bits. Only the flags the manual defines for each count are checked (defined_flags()).
#include "lib.h"

enum { SH, SAR, ROT };

static const u32 counts[] = { 0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33 };
#define NCOUNTS (sizeof(counts) / sizeof(counts[0]))

static u32 defined_flags(int kind, int width, u32 count) {
  u32 c = count & 31;
  if (c == 0) return FL_ARITH;  // flags untouched
  u32 m;
  if (kind == ROT) {
    m = FL_ARITH;  // CF set, SF/ZF/PF/AF untouched
  } else {
    m = FL_CF | FL_ZF | FL_SF | FL_PF | FL_OF;  // AF undefined
    if (kind == SH && c >= (u32)width) m &= ~FL_CF;
  }
  if (c != 1) m &= ~FL_OF;
  return m;
}

#define SHIFT(NAME, INSN, KIND, WIDTH, CONS, MOD)                                             \
  static void t_##NAME(void) {                                                              \
    for (int i = 0; i < n_test_values32; i++)                                               \
      for (u32 c = 0; c < NCOUNTS; c++)                                                     \
        for (int k = 0; k < 2; k++) {                                                       \
          u32 r = test_values32[i], f = k ? 0x2 | FL_ARITH : 0x2;                           \
          asm volatile("push %[f]; popf; " INSN " %%cl, %" MOD "[r]; pushf; pop %[f]"        \
                       : [r] "+" CONS(r), [f] "+r"(f)                                        \
                       : "c"(counts[c])                                                     \
                       : "cc");                                                             \
          chk_add(r);                                                                       \
          chk_add(f & defined_flags(KIND, WIDTH, counts[c]));                               \
        }                                                                                   \
    chk_line(#NAME);                                                                        \
  }

#define SHIFT_ALL(OP, KIND)                    \
  SHIFT(OP##b, #OP "b", KIND, 8, "q", "b")     \
  SHIFT(OP##w, #OP "w", KIND, 16, "r", "w")    \
  SHIFT(OP##l, #OP "l", KIND, 32, "r", "k")

SHIFT_ALL(shl, SH)
SHIFT_ALL(shr, SH)
SHIFT_ALL(sar, SAR)
SHIFT_ALL(rol, ROT)
SHIFT_ALL(ror, ROT)
SHIFT_ALL(rcl, ROT)
SHIFT_ALL(rcr, ROT)

// By-1 (opcode D0/D1) and by-immediate (C0/C1) forms.
#define SHIFT_IMM(NAME, INSN, IMM, KIND, WIDTH, CONS, MOD)                                   \
  static void t_##NAME(void) {                                                              \
    for (int i = 0; i < n_test_values32; i++)                                               \
      for (int k = 0; k < 2; k++) {                                                         \
        u32 r = test_values32[i], f = k ? 0x2 | FL_ARITH : 0x2;                             \
        asm volatile("push %[f]; popf; " INSN " $" #IMM ", %" MOD "[r]; pushf; pop %[f]"     \
                     : [r] "+" CONS(r), [f] "+r"(f)                                          \
                     :                                                                      \
                     : "cc");                                                               \
        chk_add(r);                                                                         \
        chk_add(f & defined_flags(KIND, WIDTH, IMM));                                       \
      }                                                                                     \
    chk_line(#NAME);                                                                        \
  }

SHIFT_IMM(shl1l, "shll", 1, SH, 32, "r", "k")
SHIFT_IMM(shr1b, "shrb", 1, SH, 8, "q", "b")
SHIFT_IMM(sar1w, "sarw", 1, SAR, 16, "r", "w")
SHIFT_IMM(rol1l, "roll", 1, ROT, 32, "r", "k")
SHIFT_IMM(rcr1b, "rcrb", 1, ROT, 8, "q", "b")
SHIFT_IMM(shl5l, "shll", 5, SH, 32, "r", "k")
SHIFT_IMM(sar31l, "sarl", 31, SAR, 32, "r", "k")
SHIFT_IMM(ror12w, "rorw", 12, ROT, 16, "r", "w")
SHIFT_IMM(rcl4b, "rclb", 4, ROT, 8, "q", "b")
SHIFT_IMM(shr0l, "shrl", 0, SH, 32, "r", "k")

// shld/shrd: undefined result when the count exceeds the operand size (16-bit, count > 16).
static u32 dbl_flags(u32 count) {
  u32 c = count & 31;
  if (c == 0) return FL_ARITH;
  return c == 1 ? (FL_CF | FL_ZF | FL_SF | FL_PF | FL_OF) : (FL_CF | FL_ZF | FL_SF | FL_PF);
}

#define DOUBLE(NAME, INSN, WIDTH, MOD)                                                       \
  static void t_##NAME(void) {                                                              \
    for (int i = 0; i < n_test_values32; i += 2)                                            \
      for (int j = 1; j < n_test_values32; j += 2)                                          \
        for (u32 c = 0; c < NCOUNTS; c++) {                                                 \
          if (WIDTH == 16 && (counts[c] & 31) > 16) continue;                               \
          u32 r = test_values32[i], s = test_values32[j], f = (i ^ c) & 1 ? 0x2 | FL_ARITH : 0x2; \
          asm volatile("push %[f]; popf; " INSN " %%cl, %" MOD "[s], %" MOD "[r]; pushf; pop %[f]" \
                       : [r] "+r"(r), [f] "+r"(f)                                            \
                       : [s] "r"(s), "c"(counts[c])                                         \
                       : "cc");                                                             \
          chk_add(r);                                                                       \
          chk_add(f & dbl_flags(counts[c]));                                                \
        }                                                                                   \
    chk_line(#NAME);                                                                        \
  }

DOUBLE(shldl, "shldl", 32, "k")
DOUBLE(shrdl, "shrdl", 32, "k")
DOUBLE(shldw, "shldw", 16, "w")
DOUBLE(shrdw, "shrdw", 16, "w")

// Memory-operand forms of the shifts and double shifts.
static void t_mem_forms(void) {
  for (int i = 0; i < n_test_values32; i++)
    for (u32 c = 0; c < NCOUNTS; c += 2) {
      volatile u32 m = test_values32[i];
      u32 f = 0x2 | (i & 1 ? FL_CF : 0);
      asm volatile("push %[f]; popf; shll %%cl, %[m]; pushf; pop %[f]" : [m] "+m"(m), [f] "+r"(f) : "c"(counts[c]) : "cc");
      chk_add(m); chk_add(f & defined_flags(SH, 32, counts[c]));
      asm volatile("push %[f]; popf; rcrl %%cl, %[m]; pushf; pop %[f]" : [m] "+m"(m), [f] "+r"(f) : "c"(counts[c]) : "cc");
      chk_add(m); chk_add(f & defined_flags(ROT, 32, counts[c]));
      asm volatile("push %[f]; popf; shrdl %%cl, %[s], %[m]; pushf; pop %[f]" : [m] "+m"(m), [f] "+r"(f) : "c"(counts[c]), [s] "r"(0x89abcdefu) : "cc");
      chk_add(m); chk_add(f & dbl_flags(counts[c]));
      volatile u8 b = (u8)test_values32[i];
      asm volatile("push %[f]; popf; sarb $3, %[b]; pushf; pop %[f]" : [b] "+m"(b), [f] "+r"(f) : : "cc");
      chk_add(b); chk_add(f & defined_flags(SAR, 8, 3));
      volatile u16 w = (u16)test_values32[i];
      asm volatile("push %[f]; popf; rolw $1, %[w]; pushf; pop %[f]" : [w] "+m"(w), [f] "+r"(f) : : "cc");
      chk_add(w); chk_add(f & defined_flags(ROT, 16, 1));
    }
  chk_line("memory forms");
}

static void samples(void) {
  u32 r = 0x81, f = 0x2;
  asm volatile("push %[f]; popf; rolb $8, %b[r]; pushf; pop %[f]" : [r] "+q"(r), [f] "+r"(f) : : "cc");
  put_kv("rolb 81,8", r);
  put_kv("cf", f & FL_CF);
  nl();
  r = 0x80000000;
  asm volatile("sarl $31, %[r]" : [r] "+r"(r) : : "cc");
  put_kv("sar 80000000,31", r);
  nl();
  r = 0x12345678;
  u32 s = 0x9abcdef0;
  asm volatile("shldl $12, %[s], %[r]" : [r] "+r"(r) : [s] "r"(s) : "cc");
  put_kv("shld 12", r);
  nl();
}

void test_main(void) {
  t_shlb(); t_shlw(); t_shll(); t_shrb(); t_shrw(); t_shrl(); t_sarb(); t_sarw(); t_sarl();
  t_rolb(); t_rolw(); t_roll(); t_rorb(); t_rorw(); t_rorl();
  t_rclb(); t_rclw(); t_rcll(); t_rcrb(); t_rcrw(); t_rcrl();
  t_shl1l(); t_shr1b(); t_sar1w(); t_rol1l(); t_rcr1b(); t_shl5l(); t_sar31l(); t_ror12w();
  t_rcl4b(); t_shr0l();
  t_shldl(); t_shrdl(); t_shldw(); t_shrdw();
  t_mem_forms();
  samples();
}
