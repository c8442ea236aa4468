// Fixed-width types for the wedge (freestanding: no libc headers). The host build of the
// rewriter (tools/) includes this file too, so nothing here may assume the target.
#ifndef WEDGE_TYPES_H
#define WEDGE_TYPES_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;

#ifndef NULL
#define NULL ((void *)0)
#endif

#define PGSIZE 4096u
#define PGROUNDUP(a) (((u32)(a) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) ((u32)(a) & ~(PGSIZE - 1))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
