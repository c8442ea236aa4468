// Atomic family: xchg, xadd, cmpxchg (8/16/32, equal and different), cmpxchg8b, lock-prefixed
// read-modify-write on memory, and #UD for lock on a register destination or a non-RMW opcode.
#include "lib.h"

static void t_xadd(void) {
  for (int i = 0; i < n_test_values32; i++)
    for (int j = 0; j < n_test_values32; j += 2) {
      u32 r = test_values32[i], m = test_values32[j], f;
      asm volatile("lock xaddl %[r], %[m]; pushf; pop %[f]" : [r] "+r"(r), [m] "+m"(m), [f] "=r"(f) : : "cc");
      chk_add(r); chk_add(m); chk_add(f & FL_ARITH);
      u32 a = test_values32[i], b = test_values32[j];
      asm volatile("xaddb %b[a], %b[b]; pushf; pop %[f]" : [a] "+q"(a), [b] "+q"(b), [f] "=r"(f) : : "cc");
      chk_add(a); chk_add(b); chk_add(f & FL_ARITH);
      u16 w = (u16)test_values32[j];
      a = test_values32[i];
      asm volatile("xaddw %w[a], %[w]; pushf; pop %[f]" : [a] "+r"(a), [w] "+m"(w), [f] "=r"(f) : : "cc");
      chk_add(a); chk_add(w); chk_add(f & FL_ARITH);
    }
  chk_line("xadd");
}

static void t_cmpxchg(void) {
  for (int i = 0; i < n_test_values32; i++)
    for (int j = 0; j < n_test_values32; j += 3) {
      u32 m = test_values32[i], a = test_values32[j], n = 0x13579bdf, f;
      asm volatile("lock cmpxchgl %[n], %[m]; pushf; pop %[f]" : [m] "+m"(m), "+a"(a), [f] "=r"(f) : [n] "r"(n) : "cc");
      chk_add(m); chk_add(a); chk_add(f & FL_ARITH);
      m = test_values32[i]; a = m;  // equal case
      asm volatile("cmpxchgl %[n], %[m]; pushf; pop %[f]" : [m] "+r"(m), "+a"(a), [f] "=r"(f) : [n] "r"(n) : "cc");
      chk_add(m); chk_add(a); chk_add(f & FL_ARITH);
      u8 b = (u8)test_values32[i];
      a = test_values32[j];
      asm volatile("cmpxchgb %b[n], %[b]; pushf; pop %[f]" : [b] "+m"(b), "+a"(a), [f] "=r"(f) : [n] "q"(n) : "cc");
      chk_add(b); chk_add(a); chk_add(f & FL_ARITH);
      u16 w = (u16)test_values32[i];
      a = test_values32[j] & 0xffff0000u;
      a |= w;
      asm volatile("cmpxchgw %w[n], %[w]; pushf; pop %[f]" : [w] "+m"(w), "+a"(a), [f] "=r"(f) : [n] "r"(n) : "cc");
      chk_add(w); chk_add(a); chk_add(f & FL_ARITH);
    }
  chk_line("cmpxchg");
}

static void t_cmpxchg8b(void) {
  for (int i = 0; i < n_test_values32; i++)
    for (int j = 0; j < n_test_values32; j += 4) {
      u64 m = ((u64)test_values32[i] << 32) | test_values32[j];
      u32 lo = test_values32[j], hi = (i & 1) ? test_values32[i] : 0x42, f = 0x2 | FL_ARITH;
      asm volatile("push %[f]; popf; lock cmpxchg8b %[m]; pushf; pop %[f]"
                   : [m] "+m"(m), "+a"(lo), "+d"(hi), [f] "+r"(f)
                   : "b"(0xcafef00d), "c"(0x0badf00d)
                   : "cc");
      chk_add((u32)m); chk_add((u32)(m >> 32)); chk_add(lo); chk_add(hi);
      chk_add(f & FL_ARITH);  // only ZF changes; the rest keep their values
    }
  chk_line("cmpxchg8b");
}

static void t_locked_rmw(void) {
  static u32 m[4];
  for (int i = 0; i < n_test_values32; i++) {
    m[0] = test_values32[i]; m[1] = ~test_values32[i]; m[2] = i; m[3] = 0;
    u32 v = test_values32[(i * 7) % n_test_values32], f;
    asm volatile("lock addl %[v], %[a]\n\tlock subl %[v], %[b]\n\tlock orl %[v], %[c]\n\t"
                 "lock andl %[v], %[d]\n\tlock xorl %[v], %[a]\n\tlock incl %[b]\n\t"
                 "lock decl %[c]\n\tlock negl %[d]\n\tlock notl %[a]\n\tlock adcl %[v], %[b]\n\t"
                 "lock sbbl %[v], %[c]\n\tlock btsl $5, %[d]\n\tlock btcl $31, %[a]\n\t"
                 "lock btrl %[o], %[b]\n\txchgl %[v], %[c]\n\tpushf\n\tpop %[f]"
                 : [a] "+m"(m[0]), [b] "+m"(m[1]), [c] "+m"(m[2]), [d] "+m"(m[3]), [v] "+r"(v), [f] "=r"(f)
                 : [o] "r"(v & 63)  // a register bit offset addresses m[1] or m[2], nothing else
                 : "cc");
    chk_add(m[0]); chk_add(m[1]); chk_add(m[2]); chk_add(m[3]); chk_add(v); chk_add(f & FL_CF);
  }
  chk_line("locked_rmw");
}

static void t_xchg(void) {
  u32 a = 0x11111111, b = 0x22222222, c = 0x33333333;
  u8 m = 0x44;
  asm volatile("xchgl %%eax, %%ebx\n\txchgw %%bx, %%cx\n\txchgb %%ch, %%al\n\txchgb %%ah, %[m]"
               : "+a"(a), "+b"(b), "+c"(c), [m] "+m"(m));
  put_kv("xchg a", a); put_kv("b", b); put_kv("c", c); put_kv("m", m); nl();
}

static void t_lock_ud(void) {
  asm volatile(TRY_BEGIN ".byte 0xf0\n\taddl %%eax, %%ebx" TRY_END : : : "eax", "ebx", "cc", "memory");
  trap_report("lock add reg");
  // (Not lock mov: QEMU 7.2 runs it without #UD, so it cannot be an oracle for that case.)
  asm volatile(TRY_BEGIN ".byte 0xf0\n\tnop" TRY_END : : : "memory");
  trap_report("lock nop");
  asm volatile(TRY_BEGIN ".byte 0xf0, 0x0f, 0xc7, 0xc8" TRY_END : : : "memory");  // cmpxchg8b %eax
  trap_report("cmpxchg8b reg");
}

void test_main(void) {
  t_xadd();
  t_cmpxchg();
  t_cmpxchg8b();
  t_locked_rmw();
  t_xchg();
  t_lock_ud();
}
