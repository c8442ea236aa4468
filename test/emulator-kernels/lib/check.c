// A running checksum (FNV-1a over 32-bit words) so a test can loop over many operands and print
// one line per instruction form.
#include "lib.h"

static u32 chk = 0x811c9dc5;
static u32 chk_n;

const u32 test_values32[] = {
  0x00000000, 0x00000001, 0x00000002, 0x00000003, 0x0000007f, 0x00000080, 0x000000ff,
  0x00000100, 0x00007fff, 0x00008000, 0x0000ffff, 0x00010000, 0x12345678, 0x55555555,
  0x7fffffff, 0x80000000, 0x80000001, 0xaaaaaaaa, 0xdeadbeef, 0xfffffffe, 0xffffffff,
};
const int n_test_values32 = sizeof(test_values32) / sizeof(test_values32[0]);

void chk_reset(void) {
  chk = 0x811c9dc5;
  chk_n = 0;
}

void chk_add(u32 v) {
  for (int i = 0; i < 4; i++) {
    chk ^= (v >> (i * 8)) & 0xff;
    chk *= 0x01000193;
  }
  chk_n++;
}

u32 chk_get(void) { return chk; }

void chk_line(const char *name) {
  puts(name);
  puts(" chk=");
  puthex(chk);
  puts(" n=");
  putdec(chk_n);
  nl();
  chk_reset();
}
