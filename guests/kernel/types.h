// Fixed-width integer types for the guest kernel and its user programs.
#ifndef TYPES_H
#define TYPES_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef int i32;

#define NULL ((void *)0)

#endif
