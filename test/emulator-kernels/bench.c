// CPU-bound integer mix for `npm run bench:emu`: table CRC32, Shell sort, division and bit
// counting, repeated bench_iterations times (scripts/bench-emu.ts patches the variable in a
// copy of the ELF; the differential suite runs the default). Prints one checksum per part.
#include "lib.h"

// In .data at a symbol the bench script finds with nm; volatile so the patched value is read.
volatile u32 bench_iterations __attribute__((used)) = 2;

#define N 2048
static u32 crc_table[256];
static u8 buf[N];
static u32 arr[512];

static void crc_init(void) {
  for (u32 i = 0; i < 256; i++) {
    u32 c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}

static u32 crc32(const u8 *p, u32 n, u32 crc) {
  crc = ~crc;
  while (n--) crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

static u32 lcg(u32 *s) {
  *s = *s * 1103515245 + 12345;
  return *s;
}

static void shell_sort(u32 *a, int n) {
  static const int gaps[] = { 701, 301, 132, 57, 23, 10, 4, 1 };
  for (int g = 0; g < 8; g++) {
    int gap = gaps[g];
    for (int i = gap; i < n; i++) {
      u32 t = a[i];
      int j = i;
      for (; j >= gap && a[j - gap] > t; j -= gap) a[j] = a[j - gap];
      a[j] = t;
    }
  }
}

static u32 divisions(u32 seed) {
  u32 s = seed, acc = 0;
  for (int i = 0; i < 512; i++) {
    u32 x = lcg(&s), y = (lcg(&s) >> 16) | 1;
    acc += x / y + x % y;
    s32 sx = (s32)x, sy = (s32)(y | 0x80000000u) >> (i & 15);
    if (sy == 0) sy = 3;
    acc ^= (u32)(sx / sy) + (u32)(sx % sy);
  }
  return acc;
}

static u32 popcounts(u32 seed) {
  u32 s = seed, total = 0;
  for (int i = 0; i < 512; i++) {
    u32 x = lcg(&s);
    while (x) {
      x &= x - 1;
      total++;
    }
  }
  return total;
}

void test_main(void) {
  u32 iters = bench_iterations, c = 0, sorted = 0, d = 0, b = 0, seed = 1;
  crc_init();
  for (u32 i = 0; i < N; i++) buf[i] = (u8)lcg(&seed);
  for (u32 it = 0; it < iters; it++) {
    buf[it % N] ^= (u8)it;
    c = crc32(buf, N, c);
    for (int i = 0; i < 512; i++) arr[i] = lcg(&seed);
    shell_sort(arr, 512);
    for (int i = 0; i < 512; i += 37) sorted = sorted * 31 + arr[i];
    d += divisions(seed + it);
    b += popcounts(seed ^ it);
  }
  put_kv("iterations", iters);
  nl();
  put_kv("crc", c);
  put_kv("sort", sorted);
  put_kv("div", d);
  put_kv("bits", b);
  nl();
}
