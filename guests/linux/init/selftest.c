// The integer self-test: deterministic work whose printed results depend only on the CPU's integer
// semantics and the kernel's system calls, never on time or on the machine's devices. The same
// bzImage and initramfs print the same `selftest:` lines on QEMU and on the emulator; the
// differential test compares them. Each line is `selftest: <name> <values>`; the last is
// `selftest: done failures=<n>`, and the exit status is the number of failed internal checks.
#include "sys.h"

static int failures;

static void check(int ok, const char *what)
{
  if (!ok) {
    failures++;
    put("selftest: FAIL ");
    put(what);
    put("\n");
  }
}

static void line1(const char *name, const char *key, u32 v)
{
  put("selftest: ");
  put(name);
  put(" ");
  put(key);
  put("=");
  puthex(v);
  put("\n");
}

static u32 xs_state = 0x12345678;
static u32 xorshift(void)
{
  u32 x = xs_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return xs_state = x;
}

static u32 crc_table[256];
static void crc_init(void)
{
  for (u32 i = 0; i < 256; i++) {
    u32 c = i;
    for (int k = 0; k < 8; k++)
      c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}

static u32 crc32(const u8 *p, size_t n, u32 crc)
{
  crc = ~crc;
  while (n--)
    crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

static u8 buf[256 * 1024];
static u32 keys[4096];

static void test_crc(void)
{
  for (size_t i = 0; i < 65536; i++)
    buf[i] = (u8)(xorshift() >> 7);
  line1("crc32", "crc", crc32(buf, 65536, 0));
}

static void sift(u32 *a, int start, int end)
{
  int root = start;
  while (2 * root + 1 <= end) {
    int child = 2 * root + 1;
    if (child + 1 <= end && a[child] < a[child + 1])
      child++;
    if (a[root] >= a[child])
      return;
    u32 t = a[root];
    a[root] = a[child];
    a[child] = t;
    root = child;
  }
}

static void test_sort(void)
{
  int n = (int)(sizeof keys / sizeof keys[0]);
  for (int i = 0; i < n; i++)
    keys[i] = xorshift();
  for (int s = n / 2 - 1; s >= 0; s--)
    sift(keys, s, n - 1);
  for (int e = n - 1; e > 0; e--) {
    u32 t = keys[0];
    keys[0] = keys[e];
    keys[e] = t;
    sift(keys, 0, e - 1);
  }
  int sorted = 1;
  for (int i = 1; i < n; i++)
    sorted &= keys[i - 1] <= keys[i];
  check(sorted, "sort order");
  line1("sort", "crc", crc32((const u8 *)keys, sizeof keys, 0));
  put("selftest: sort min=");
  puthex(keys[0]);
  put(" median=");
  puthex(keys[n / 2]);
  put(" max=");
  puthex(keys[n - 1]);
  put("\n");
}

static void test_div(void)
{
  u32 h = 0;
  s64 sh = 0;
  u64 wide = 0;
  for (int i = 0; i < 2000; i++) {
    u32 a = xorshift(), b = xorshift() >> (i % 31);
    if (b == 0)
      b = 7;
    s32 sa = (s32)a, sb = (s32)(b | ((i & 1) ? 0x80000000u : 0));
    if (sb == 0 || (sa == (s32)0x80000000 && sb == -1))
      sb = 3;
    h = h * 31 + a / b + a % b;
    sh += sa / sb + sa % sb;
    u64 n = ((u64)xorshift() << 32) | xorshift();
    u64 d = ((u64)(xorshift() >> (i % 32)) << (i % 17)) | 1;
    wide ^= n / d + n % d;
    s64 sn = (s64)n, sd = (s64)d * ((i & 2) ? -1 : 1);
    wide += (u64)(sn / sd) ^ (u64)(sn % sd);
  }
  put("selftest: div u32=");
  puthex(h);
  put(" s32=");
  puti(sh);
  put(" u64=");
  puthex((u32)(wide >> 32));
  puthex((u32)wide);
  put("\n");
}

static void test_bits(void)
{
  u32 h = 0;
  for (int i = 0; i < 4000; i++) {
    u32 v = xorshift() >> (i % 29);
    if (v == 0)
      v = 1;
    u64 m = (u64)v * (u64)xorshift();
    s64 sm = (s64)(s32)v * (s64)(s32)xorshift();
    h ^= (u32)__builtin_clz(v) + ((u32)__builtin_ctz(v) << 8) + ((u32)__builtin_popcount(v) << 16);
    h = (h << 5 | h >> 27) + __builtin_bswap32(v);
    h += (u32)(m >> 32) ^ (u32)m ^ (u32)(sm >> 32);
    u32 sh = v, cnt = (u32)i & 31;
    __asm__("shldl %%cl, %1, %0" : "+r"(sh) : "r"(h), "c"(cnt) : "cc");
    h ^= sh;
  }
  line1("bits", "hash", h);
}

static void test_atomic(void)
{
  u32 v = 0, old = 0;
  for (u32 i = 0; i < 1000; i++) {
    old += __atomic_fetch_add(&v, i, __ATOMIC_SEQ_CST);
    u32 expect = v;
    __atomic_compare_exchange_n(&v, &expect, v ^ 0x5a5a, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  }
  put("selftest: atomic v=");
  puthex(v);
  put(" sum=");
  puthex(old);
  put("\n");
}

static void test_string(void)
{
  for (size_t i = 0; i < 4096; i++)
    buf[i] = (u8)i;
  // Overlapping copy upwards, backwards with the direction flag set (rep movsb, DF=1).
  u8 *src = buf + 4095 - 1000, *dst = buf + 4095 - 1000 + 37;
  u32 n = 1001;
  __asm__ volatile("std; rep movsb; cld" : "+S"(src), "+D"(dst), "+c"(n) : : "memory");
  // And a forward dword copy (rep movsl).
  src = buf;
  dst = buf + 8192;
  n = 1024;
  __asm__ volatile("rep movsl" : "+S"(src), "+D"(dst), "+c"(n) : : "memory");
  line1("string", "crc", crc32(buf, 12288, 0));
}

static void test_process(void)
{
  put("selftest: pid ");
  put("pid=");
  putu((u64)sys0(SYS_getpid));
  put(" ppid=");
  putu((u64)sys0(SYS_getppid));
  put("\n");
  struct { char f[6][65]; } uts;
  check(sys1(SYS_uname, &uts) == 0, "uname");
  put("selftest: uname sysname=");
  put(uts.f[0]);
  put(" release=");
  put(uts.f[2]);
  put("\n");
}

static void test_memory(void)
{
  u32 cur = (u32)sys1(SYS_brk, 0);
  u32 want = cur + (1 << 20);
  u32 got = (u32)sys1(SYS_brk, want);
  check(got == want, "brk grow");
  u32 sum = 0;
  for (u32 a = cur; a < want; a += 4096) {
    *(volatile u32 *)a = a - cur;
    sum += *(volatile u32 *)a;
  }
  check((u32)sys1(SYS_brk, cur) == cur, "brk shrink");
  put("selftest: brk grown=");
  putu(got - cur);
  put(" sum=");
  puthex(sum);
  put("\n");

  long m = sys6(SYS_mmap2, 0, 256 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  check(m > 0 || m < -4095, "mmap");
  u8 *p = (u8 *)m;
  u32 zeros = 1;
  for (u32 i = 0; i < 256 * 1024; i++)
    zeros &= p[i] == 0;
  for (u32 i = 0; i < 256 * 1024; i++)
    p[i] = (u8)(i * 7 + (i >> 12));
  u32 crc = crc32(p, 256 * 1024, 0);
  check(sys2(SYS_munmap, p, 256 * 1024) == 0, "munmap");
  put("selftest: mmap zeroed=");
  putu(zeros);
  put(" crc=");
  puthex(crc);
  put("\n");
}

#define PIPE_BYTES (256 * 1024)

static void test_pipe_fork(void)
{
  int fds[2];
  check(sys1(SYS_pipe, fds) == 0, "pipe");
  long pid = sys0(SYS_fork);
  if (pid == 0) {
    // The child: a pattern through the pipe in odd-sized writes, then its own exit status.
    sys1(SYS_close, fds[0]);
    u32 off = 0;
    while (off < PIPE_BYTES) {
      u32 n = 3001;
      if (n > PIPE_BYTES - off)
        n = PIPE_BYTES - off;
      for (u32 i = 0; i < n; i++)
        buf[i] = (u8)((off + i) * 13 + ((off + i) >> 9));
      long w = sys3(SYS_write, fds[1], buf, n);
      if (w <= 0)
        sys1(SYS_exit, 99);
      off += (u32)w;
    }
    sys1(SYS_exit, (long)(sys0(SYS_getppid) == 1 ? 42 : 43));
  }
  check(pid > 1, "fork");
  sys1(SYS_close, fds[1]);
  u32 total = 0, crc = 0;
  for (;;) {
    long r = sys3(SYS_read, fds[0], buf, 65536);
    if (r <= 0)
      break;
    crc = crc32(buf, (size_t)r, crc);
    total += (u32)r;
  }
  sys1(SYS_close, fds[0]);
  int status = 0;
  long waited = sys3(SYS_waitpid, -1, &status, 0);
  check(waited == pid, "waitpid");
  put("selftest: pipe bytes=");
  putu(total);
  put(" crc=");
  puthex(crc);
  put(" child_exit=");
  putu((u32)(status >> 8) & 0xff);
  put("\n");
}

int selftest(void)
{
  crc_init();
  put("selftest: begin\n");
  test_crc();
  test_sort();
  test_div();
  test_bits();
  test_atomic();
  test_string();
  test_process();
  test_memory();
  test_pipe_fork();
  put("selftest: done failures=");
  putu((u32)failures);
  put("\n");
  return failures;
}
