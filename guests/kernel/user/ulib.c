// The user library: system calls through int $0x80 (number in EAX, arguments in EBX, ECX,
// EDX, result in EAX), printf into one buffer per call so each call is one write, and
// small string helpers.
#include <stdarg.h>
#include "ulib.h"
#include "../format.h"

u32 ulib_calls;

static int sys(u32 nr, u32 a, u32 b, u32 c)
{
  int r;
  ulib_calls++;
  asm volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
  return r;
}

void exit(int status)
{
  sys(1, status, 0, 0);
  for (;;)
    ;
}

int write(int fd, const void *buf, u32 n) { return sys(4, fd, (u32)buf, n); }
int wait(int pid, int *status) { return sys(7, pid, (u32)status, 0); }
int spawn(const char *name, const char *arg) { return sys(11, (u32)name, (u32)arg, 0); }
u32 uptime(void) { return sys(13, 0, 0, 0); }
int getpid(void) { return sys(20, 0, 0, 0); }
int hz(void) { return sys(34, 0, 0, 0); }
int yield(void) { return sys(158, 0, 0, 0); }
int sleep(u32 ms) { return sys(162, ms, 0, 0); }
int read(int fd, void *buf, u32 n) { return sys(3, fd, (u32)buf, n); }
int close(int fd) { return sys(6, fd, 0, 0); }
int netinfo(struct netinfo *ni) { return sys(116, (u32)ni, 0, 0); }

int socket(int domain, int type, int protocol)
{
  u32 a[5] = { (u32)domain, (u32)type, (u32)protocol, 0, 0 };
  return sys(102, SOCKCALL_SOCKET, (u32)a, 0);
}

int connect(int fd, const struct sockaddr_in *addr, u32 len)
{
  u32 a[5] = { (u32)fd, (u32)addr, len, 0, 0 };
  return sys(102, SOCKCALL_CONNECT, (u32)a, 0);
}

int getsockopt(int fd, int level, int name, void *val, u32 *len)
{
  u32 a[5] = { (u32)fd, (u32)level, (u32)name, (u32)val, (u32)len };
  return sys(102, SOCKCALL_GETSOCKOPT, (u32)a, 0);
}

u32 strlen(const char *s)
{
  u32 n = 0;
  while (s[n])
    n++;
  return n;
}

void *memset(void *dst, int c, u32 n)
{
  u8 *d = dst;
  while (n--)
    *d++ = (u8)c;
  return dst;
}

void *memcpy(void *dst, const void *src, u32 n)
{
  u8 *d = dst;
  const u8 *s = src;
  while (n--)
    *d++ = *s++;
  return dst;
}

int parse_numbers(const char *s, u32 *out, int max)
{
  int n = 0;
  while (*s && n < max) {
    if (*s < '0' || *s > '9') {
      s++;
      continue;
    }
    u32 v = 0;
    while (*s >= '0' && *s <= '9')
      v = v * 10 + (u32)(*s++ - '0');
    out[n++] = v;
  }
  return n;
}

// One buffer per call, so each printf is one write.
int printf(const char *fmt, ...)
{
  char text[256];
  va_list ap;
  va_start(ap, fmt);
  u32 n = vformat(text, sizeof text, fmt, ap);
  va_end(ap);
  return write(1, text, n);
}
