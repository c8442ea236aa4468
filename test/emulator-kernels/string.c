// String family: movs/stos/lods/cmps/scas at 8, 16 and 32 bits, plain and with rep, repe and
// repne, with DF clear and set, counts 0, 1 and more. Each run records the destination buffer,
// how far ESI/EDI moved, ECX, EAX and the flags; a zero count must leave the flags untouched.
#include "lib.h"

#define BUF 256
static u8 src[BUF], dst[BUF];

static void fill(void) {
  for (int i = 0; i < BUF; i++) {
    src[i] = (u8)(i * 7 + 3);
    dst[i] = (u8)(i * 13 + 1);
  }
  // Make cmps/scas stop at known places: src and dst agree on bytes 104..123 and 176..195.
  for (int i = 104; i < 124; i++) dst[i] = src[i];
  for (int i = 176; i < 196; i++) dst[i] = src[i];
  src[112] = dst[112] = 0x5a;
}

static u32 buffer_sum(void) {
  u32 s = 0;
  for (int i = 0; i < BUF; i++) s = s * 31 + dst[i];
  return s;
}

static const u32 counts[] = { 0, 1, 3, 17 };
// Every run stays inside the buffers: at most 17 dwords either way.
static const u32 starts[] = { 108, 150, 180 };

// Runs "INSN" with ESI/EDI at src+start/dst+start, ECX = count, EAX = 0x5a5a5a5a,
// DF from df, flags preset to all-set or all-clear.
#define STR(NAME, INSN)                                                                      \
  static void t_##NAME(void) {                                                              \
    for (int df = 0; df < 2; df++)                                                          \
      for (u32 c = 0; c < 4; c++)                                                           \
        for (u32 s = 0; s < 3; s++) {                                                       \
          fill();                                                                           \
          u32 si = (u32)src + starts[s], di = (u32)dst + starts[s], cx = counts[c];         \
          u32 ax = 0x5a5a5a5a, f = 0x2 | (df ? FL_DF : 0) | ((c + s) & 1 ? FL_ARITH : 0);   \
          asm volatile("push %[f]; popf; " INSN "; pushf; pop %[f]; cld"                     \
                       : "+S"(si), "+D"(di), "+c"(cx), "+a"(ax), [f] "+r"(f)                 \
                       :                                                                    \
                       : "cc", "memory");                                                   \
          chk_add(si - (u32)src);                                                           \
          chk_add(di - (u32)dst);                                                           \
          chk_add(cx);                                                                      \
          chk_add(ax);                                                                      \
          chk_add(f & (FL_ARITH | FL_DF));                                                  \
          chk_add(buffer_sum());                                                            \
        }                                                                                   \
    chk_line(#NAME);                                                                        \
  }

STR(movsb, "movsb")
STR(movsw, "movsw")
STR(movsl, "movsl")
STR(rep_movsb, "rep movsb")
STR(rep_movsw, "rep movsw")
STR(rep_movsl, "rep movsl")
STR(stosb, "stosb")
STR(rep_stosb, "rep stosb")
STR(rep_stosw, "rep stosw")
STR(rep_stosl, "rep stosl")
STR(lodsb, "lodsb")
STR(lodsw, "lodsw")
STR(rep_lodsl, "rep lodsl")
STR(cmpsb, "cmpsb")
STR(cmpsl, "cmpsl")
STR(repe_cmpsb, "repe cmpsb")
STR(repe_cmpsw, "repe cmpsw")
STR(repe_cmpsl, "repe cmpsl")
STR(repne_cmpsb, "repne cmpsb")
STR(repne_cmpsl, "repne cmpsl")
STR(scasb, "scasb")
STR(scasw, "scasw")
STR(repe_scasb, "repe scasb")
STR(repne_scasb, "repne scasb")
STR(repne_scasw, "repne scasw")
STR(repe_scasl, "repe scasl")
STR(repne_scasl, "repne scasl")

// A longer copy of the kind memcpy does, and an overlapping backward move (memmove).
static void samples(void) {
  fill();
  u32 si = (u32)src, di = (u32)dst + 3, cx = 37;
  asm volatile("rep movsl" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
  put_kv("rep movsl sum", buffer_sum());
  nl();
  fill();
  si = (u32)dst + 99; di = (u32)dst + 109; cx = 90;
  asm volatile("std; rep movsb; cld" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
  put_kv("backward movsb sum", buffer_sum());
  put_kv("edi", di - (u32)dst);
  nl();
  fill();
  di = (u32)dst;
  cx = BUF;
  u32 ax = 0x5a;
  asm volatile("repne scasb" : "+D"(di), "+c"(cx) : "a"(ax) : "memory", "cc");
  put_kv("scan 5a at", di - (u32)dst - 1);
  put_kv("ecx", cx);
  nl();
}

void test_main(void) {
  t_movsb(); t_movsw(); t_movsl(); t_rep_movsb(); t_rep_movsw(); t_rep_movsl();
  t_stosb(); t_rep_stosb(); t_rep_stosw(); t_rep_stosl();
  t_lodsb(); t_lodsw(); t_rep_lodsl();
  t_cmpsb(); t_cmpsl(); t_repe_cmpsb(); t_repe_cmpsw(); t_repe_cmpsl(); t_repne_cmpsb(); t_repne_cmpsl();
  t_scasb(); t_scasw(); t_repe_scasb(); t_repne_scasb(); t_repne_scasw(); t_repe_scasl(); t_repne_scasl();
  samples();
}
