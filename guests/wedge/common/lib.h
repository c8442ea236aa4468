// The wedge's small C library: memory and string helpers, a printf to the hypervisor's
// console, and panic. The back-end provides console output (be_console_write) and the way to
// stop (be_crash).
#ifndef WEDGE_LIB_H
#define WEDGE_LIB_H

#include "types.h"

#ifdef WEDGE_HOST
#include <string.h>             // the host build of the rewriter (tools/) uses the host's
#else
void *memset(void *d, int c, u32 n);
void *memcpy(void *d, const void *s, u32 n);
int memcmp(const void *a, const void *b, u32 n);
u32 strlen(const char *s);
int strncmp(const char *a, const char *b, u32 n);
int strcmp(const char *a, const char *b);
#endif
u32 parse_uint(const char *s, const char **end);

// printf subset: %s %d %u %x %08x %c %%; output is buffered per line.
void wprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wpanic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

// u64 helpers that avoid libgcc (the wedge links without it).
u64 udiv64_32(u64 n, u32 d);

#endif
