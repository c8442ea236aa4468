// Bit family: bt/bts/btr/btc (register and memory, bit offsets beyond the dword and negative),
// bsf/bsr, bswap, and the 16 conditions of setcc and cmovcc under every combination of CF, PF,
// ZF, SF and OF. After bt* only CF is defined (ZF is untouched); after bsf/bsr only ZF, and
// the destination is undefined when the source is 0.
#include "lib.h"

static const u32 flag_bits[5] = { FL_CF, FL_PF, FL_ZF, FL_SF, FL_OF };

static u32 flags_of(int combo) {
  u32 f = 0x2;
  for (int b = 0; b < 5; b++)
    if (combo & (1 << b)) f |= flag_bits[b];
  return f;
}

#define BT_MASK (FL_CF | FL_ZF)

#define BTREG(NAME, INSN)                                                                    \
  static void t_##NAME(void) {                                                              \
    for (int i = 0; i < n_test_values32; i++)                                               \
      for (u32 bit = 0; bit < 40; bit += 3) {                                               \
        u32 r = test_values32[i], f = bit & 4 ? 0x2 | FL_ARITH : 0x2;                       \
        asm volatile("push %[f]; popf; " INSN " %[b], %[r]; pushf; pop %[f]"                 \
                     : [r] "+r"(r), [f] "+r"(f)                                              \
                     : [b] "r"(bit)                                                         \
                     : "cc");                                                               \
        chk_add(r);                                                                         \
        chk_add(f & BT_MASK);                                                               \
        u16 w = (u16)test_values32[i];                                                      \
        f = 0x2;                                                                            \
        asm volatile("push %[f]; popf; " INSN "w %w[b], %[w]; pushf; pop %[f]"               \
                     : [w] "+r"(w), [f] "+r"(f)                                              \
                     : [b] "r"(bit)                                                         \
                     : "cc");                                                               \
        chk_add(w);                                                                         \
        chk_add(f & BT_MASK);                                                               \
      }                                                                                     \
    chk_line(#NAME);                                                                        \
  }

BTREG(bt, "bt")
BTREG(bts, "bts")
BTREG(btr, "btr")
BTREG(btc, "btc")

// Memory forms with a register offset address a bit string: offset -40..90 around mem[2].
#define BTMEM(NAME, INSN)                                                                    \
  static void t_##NAME(void) {                                                              \
    static u32 mem[6];                                                                      \
    for (int i = 0; i < 6; i++) mem[i] = test_values32[i * 3 + 2];                          \
    for (int bit = -40; bit < 90; bit += 7) {                                               \
      u32 f = 0x2;                                                                          \
      asm volatile("push %[f]; popf; " INSN "l %[b], %[m]; pushf; pop %[f]"                  \
                   : [m] "+m"(mem[2]), [f] "+r"(f)                                           \
                   : [b] "r"(bit)                                                           \
                   : "cc", "memory");                                                       \
      chk_add(f & BT_MASK);                                                                 \
    }                                                                                       \
    u32 f = 0x2;                                                                            \
    asm volatile("push %[f]; popf; " INSN "l $37, %[m]; pushf; pop %[f]"                     \
                 : [m] "+m"(mem[1]), [f] "+r"(f) : : "cc", "memory");                       \
    chk_add(f & BT_MASK);                                                                   \
    for (int i = 0; i < 6; i++) chk_add(mem[i]);                                            \
    chk_line(#NAME);                                                                        \
  }

BTMEM(btm, "bt")
BTMEM(btsm, "bts")
BTMEM(btrm, "btr")
BTMEM(btcm, "btc")

static void t_bsf_bsr(void) {
  for (int i = 0; i < n_test_values32; i++) {
    u32 s = test_values32[i], f = 0x2, d = 0x5555;
    asm volatile("push %[f]; popf; bsfl %[s], %[d]; pushf; pop %[f]" : [d] "+r"(d), [f] "+r"(f) : [s] "r"(s) : "cc");
    chk_add(s ? d : 0);
    chk_add(f & FL_ZF);
    f = 0x2 | FL_ZF;
    asm volatile("push %[f]; popf; bsrl %[s], %[d]; pushf; pop %[f]" : [d] "+r"(d), [f] "+r"(f) : [s] "r"(s) : "cc");
    chk_add(s ? d : 0);
    chk_add(f & FL_ZF);
    u16 w = 0x1111;
    asm volatile("push %[f]; popf; bsfw %w[s], %[w]; pushf; pop %[f]" : [w] "+r"(w), [f] "+r"(f) : [s] "r"(s) : "cc");
    chk_add((u16)s ? w : 0);
    chk_add(f & FL_ZF);
    asm volatile("push %[f]; popf; bsrw %w[s], %[w]; pushf; pop %[f]" : [w] "+r"(w), [f] "+r"(f) : [s] "r"(s) : "cc");
    chk_add((u16)s ? w : 0);
    chk_add(f & FL_ZF);
  }
  chk_line("bsf_bsr");
}

static void t_bswap(void) {
  for (int i = 0; i < n_test_values32; i++) {
    u32 r = test_values32[i];
    asm volatile("bswap %0" : "+r"(r));
    chk_add(r);
    u32 a = test_values32[i] ^ 0x0f0f0f0f;
    asm volatile("bswap %%eax; bswap %%esi" : "+a"(a), "+S"(r));
    chk_add(a);
    chk_add(r);
  }
  chk_line("bswap");
}

#define COND(X) X(o) X(no) X(b) X(ae) X(e) X(ne) X(be) X(a) X(s) X(ns) X(p) X(np) X(l) X(ge) X(le) X(g)

#define SETCC(cc)                                                                            \
  {                                                                                         \
    u32 r = 0xaaaaaaaa;                                                                     \
    asm volatile("push %[f]; popf; set" #cc " %b[r]" : [r] "+q"(r) : [f] "r"(f) : "cc");     \
    chk_add(r);                                                                             \
    u8 m = 0x77;                                                                            \
    asm volatile("push %[f]; popf; set" #cc " %[m]" : [m] "+m"(m) : [f] "r"(f) : "cc");      \
    chk_add(m);                                                                             \
  }

#define CMOV(cc)                                                                             \
  {                                                                                         \
    u32 r = 0x11111111, s = 0x22222222;                                                     \
    asm volatile("push %[f]; popf; cmov" #cc "l %[s], %[r]" : [r] "+r"(r) : [s] "r"(s), [f] "r"(f) : "cc"); \
    chk_add(r);                                                                             \
    u16 w = 0x3333;                                                                         \
    volatile u16 m = 0x4444;                                                                \
    asm volatile("push %[f]; popf; cmov" #cc "w %[m], %[w]" : [w] "+r"(w) : [m] "m"(m), [f] "r"(f) : "cc"); \
    chk_add(w);                                                                             \
  }

static void t_setcc(void) {
  for (int combo = 0; combo < 32; combo++) {
    u32 f = flags_of(combo);
    COND(SETCC)
  }
  chk_line("setcc");
}

static void t_cmov(void) {
  for (int combo = 0; combo < 32; combo++) {
    u32 f = flags_of(combo);
    COND(CMOV)
  }
  chk_line("cmov");
}

// Conditional jumps too: one bit per condition taken.
#define JCC(cc)                                                                              \
  asm volatile("push %[f]; popf; j" #cc " 1f; andl $0, %[t]; 1:" : [t] "+r"(taken) : [f] "r"(f) : "cc"); \
  bits = (bits << 1) | taken;                                                               \
  taken = 1;

static void t_jcc(void) {
  for (int combo = 0; combo < 32; combo++) {
    u32 f = flags_of(combo), bits = 0, taken = 1;
    COND(JCC)
    chk_add(bits);
    if (combo == 0 || combo == 31) {
      put_kv("jcc mask", bits);
      nl();
    }
  }
  chk_line("jcc");
}

void test_main(void) {
  t_bt(); t_bts(); t_btr(); t_btc();
  t_btm(); t_btsm(); t_btrm(); t_btcm();
  t_bsf_bsr();
  t_bswap();
  t_setcc();
  t_cmov();
  t_jcc();
}
