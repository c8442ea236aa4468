// A second /init for speed measurements only (scripts/bench-emu-linux.ts), not part of the
// package's initramfs: TCP over the loopback interface between two processes, so that the kernel's
// socket, TCP/IP and copy paths run with no device model behind them and any PC emulator can run
// it (QEMU, v86, ours). The parent brings `lo` up, listens on 127.0.0.1:12866 and reads; a forked
// child connects and writes the MiB named by init's one argument (what follows `--` on the
// kernel command line) in 32 KiB writes, byte i of the stream being (i * 7) mod 251 (a period
// prime to the write size, so a misplaced block shows). The parent checks a sample of the bytes
// and prints `loopback: done bytes=<n> ok` or `... BAD at <offset>`. Exit status: 0 ok, 1 pattern
// or length error, 2 bad argument, 3 no connection.
#include "sys.h"

#define SYS_ioctl 54
#define SYS_listen 363
#define SYS_accept4 364
#define SIOCSIFFLAGS 0x8914
#define IFF_UP 0x1
#define AF_INET 2
#define SOCK_STREAM 1
#define WRITE_BYTES 32768
#define PATTERN 251

struct sockaddr_in4 { u16 family; u16 port_be; u32 addr_be; u8 zero[8]; };
struct ifreq_flags { char name[16]; short flags; char pad[22]; };

static u8 wbuf[WRITE_BYTES + PATTERN];
static u8 rbuf[65536];

/** The child: connect and write `total` bytes of the pattern, then exit. */
static void sender(const struct sockaddr_in4 *at, u32 total)
{
  long fd = sys3(SYS_socket, AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || sys3(SYS_connect, fd, at, sizeof *at) < 0)
    sys1(SYS_exit, 3);
  // One buffer serves every write: its slice starting at (offset mod PATTERN).
  for (u32 i = 0; i < sizeof wbuf; i++)
    wbuf[i] = (u8)((i * 7) % PATTERN);
  u32 off = 0;
  while (off < total) {
    u32 n = total - off < WRITE_BYTES ? total - off : WRITE_BYTES;
    long w = sys3(SYS_write, fd, wbuf + off % PATTERN, n);
    if (w <= 0)
      sys1(SYS_exit, 1);
    off += (u32)w;
  }
  sys1(SYS_close, fd);
  sys1(SYS_exit, 0);
}

int main(int argc, char **argv)
{
  const char *end = "";
  s64 mib = argc == 2 ? parse_u(argv[1], &end) : -1;
  if (mib <= 0 || mib > 2047 || *end) {
    put("loopback: expected one argument, the MiB to move (1-2047): the kernel command line ends with -- <MiB>\n");
    return 2;
  }
  u32 total = (u32)mib << 20;
  long ls = sys3(SYS_socket, AF_INET, SOCK_STREAM, 0);
  struct ifreq_flags up = { "lo", IFF_UP, { 0 } };
  struct sockaddr_in4 at = { AF_INET, 0x4232, 0x0100007f, { 0 } };  // 127.0.0.1:12866
  if (ls < 0 || sys3(SYS_ioctl, ls, SIOCSIFFLAGS, &up) < 0 || sys3(SYS_bind, ls, &at, sizeof at) < 0 ||
      sys2(SYS_listen, ls, 1) < 0) {
    put("loopback: cannot listen on 127.0.0.1:12866\n");
    return 3;
  }
  if (sys0(SYS_fork) == 0)
    sender(&at, total);
  long fd = sys3(SYS_accept4, ls, 0, 0);
  if (fd < 0) {
    put("loopback: no connection\n");
    return 3;
  }
  u32 got = 0, bad = 0xffffffff;
  for (;;) {
    long r = sys3(SYS_read, fd, rbuf, sizeof rbuf);
    if (r <= 0)
      break;
    // Sampled, so that the kernel's work and not this loop dominates the run: every 509th byte
    // (a prime apart from the pattern's period) and the last byte of each read.
    for (long i = 0; i < r && bad == 0xffffffff; i = i + 509 < r || i == r - 1 ? i + 509 : r - 1)
      if (rbuf[i] != (u8)(((got + (u32)i) % PATTERN) * 7 % PATTERN))
        bad = got + (u32)i;
    got += (u32)r;
  }
  int status;
  sys3(SYS_waitpid, -1, &status, 0);
  put("loopback: done bytes=");
  putu(got);
  if (bad != 0xffffffff || got != total) {
    put(" BAD at ");
    putu(bad);
    put("\n");
    return 1;
  }
  put(" ok\n");
  return 0;
}
