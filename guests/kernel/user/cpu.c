// CPU-bound program: ROUNDS times, fill 1024 words from a xorshift32 generator (each word
// mixed with itself divided by 7), shell-sort them and fold the sorted bytes into a running
// CRC-32 (IEEE, bitwise). Never yields, so only timer preemption lets others run.
// Argument: "SEED,ROUNDS,EVERY" (progress line every EVERY rounds).
#include "ulib.h"

#define N 1024

static u32 buf[N];
static const int gaps[] = { 701, 301, 132, 57, 23, 10, 4, 1 };

static u32 xorshift32(u32 *s)
{
  u32 x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *s = x;
}

static void shell_sort(u32 *a, int n)
{
  for (u32 g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
    int gap = gaps[g];
    for (int i = gap; i < n; i++) {
      u32 v = a[i];
      int j = i;
      for (; j >= gap && a[j - gap] > v; j -= gap)
        a[j] = a[j - gap];
      a[j] = v;
    }
  }
}

static u32 crc32_update(u32 crc, const u8 *p, u32 n)
{
  while (n--) {
    crc ^= *p++;
    for (int k = 0; k < 8; k++)
      crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
  }
  return crc;
}

static int sorted(const u32 *a, int n)
{
  for (int i = 1; i < n; i++)
    if (a[i - 1] > a[i])
      return 0;
  return 1;
}

int main(const char *arg)
{
  u32 v[3] = { 1, 30, 5 };
  parse_numbers(arg, v, 3);
  u32 seed = v[0], rounds = v[1], every = v[2] ? v[2] : 1;
  u32 state = seed ? seed : 1;
  u32 crc = 0xFFFFFFFFu;
  for (u32 r = 1; r <= rounds; r++) {
    for (int i = 0; i < N; i++) {
      u32 x = xorshift32(&state);
      buf[i] = x ^ (x / 7);
    }
    shell_sort(buf, N);
    if (!sorted(buf, N))
      return 1;
    crc = crc32_update(crc, (const u8 *)buf, sizeof buf);
    if (r % every == 0 && r != rounds)
      printf("cpu %u: round %u crc %08x\n", seed, r, ~crc);
  }
  printf("cpu %u: done rounds %u crc %08x\n", seed, rounds, ~crc);
  return 0;
}
