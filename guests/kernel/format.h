// printf-style formatting into a buffer, shared by the kernel's console and the user library
// (each links its own copy: the kernel and the user programs are separate images).
#ifndef FORMAT_H
#define FORMAT_H

#include <stdarg.h>
#include "types.h"

// Formats into out (at most cap bytes, no terminator) and returns the length written.
// %d %u %x %s %c %p %%, with an optional zero flag and width (e.g. %08x).
u32 vformat(char *out, u32 cap, const char *fmt, va_list ap);

#endif
