// System calls of Linux/i386 through `int $0x80` (number in EAX, arguments in EBX, ECX, EDX, ESI,
// EDI, EBP; the result in EAX, -errno on failure), the few structures they take, and the
// freestanding helpers the program needs. Numbers from the kernel's syscall_32.tbl; no libc.
#ifndef INIT_SYS_H
#define INIT_SYS_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef int s32;
typedef long long s64;
typedef unsigned int size_t;

#define SYS_exit 1
#define SYS_fork 2
#define SYS_read 3
#define SYS_write 4
#define SYS_open 5
#define SYS_close 6
#define SYS_waitpid 7
#define SYS_getpid 20
#define SYS_mount 21
#define SYS_mkdir 39
#define SYS_pipe 42
#define SYS_brk 45
#define SYS_getppid 64
#define SYS_munmap 91
#define SYS_ioperm 101
#define SYS_uname 122
#define SYS_mmap2 192
#define SYS_exit_group 252
#define SYS_clock_gettime64 403
#define SYS_clock_nanosleep_time64 407
#define SYS_socket 359
#define SYS_bind 361
#define SYS_connect 362
#define SYS_getsockopt 365
#define SYS_setsockopt 366
#define SYS_shutdown 373

long sys6(long n, long a, long b, long c, long d, long e, long f);
#define sys0(n) sys6(n, 0, 0, 0, 0, 0, 0)
#define sys1(n, a) sys6(n, (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) sys6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys4(n, a, b, c, d) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define sys5(n, a, b, c, d, e) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

// The 64-bit time calls: a kernel without COMPAT_32BIT_TIME (tinyconfig) has no 32-bit ones.
struct timespec64 { s64 tv_sec; s32 tv_nsec; s32 pad; };
#define CLOCK_MONOTONIC 1

#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 0x20

#define O_RDONLY 0

// Output to fd 1 (the console), buffered per line.
void put(const char *s);
void putu(u64 v);
void puti(s64 v);
void puthex(u32 v);
/** v / 100 printed as a.bc. */
void putcent(u64 v);
void flush(void);

size_t slen(const char *s);
int sprefix(const char *s, const char *prefix);
/** Parses a decimal number; -1 on anything else. */
s64 parse_u(const char *s, const char **end);

/** Ends the run: the status goes to the debug-exit port (0xf4), as QEMU's isa-debug-exit takes it. */
void finish(int status) __attribute__((noreturn));

u64 now_ns(void);
void sleep_ms(u32 ms);

int selftest(void);
int netperf(const char *arg);

#endif
