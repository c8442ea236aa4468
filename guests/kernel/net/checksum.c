// The Internet checksum (RFC 1071) in software: every byte sent or received is summed here,
// as on a NIC without checksum offload. The sum is kept in the CPU's byte order over 32-bit
// words (a ones'-complement sum does not care about byte order), so a folded result stored
// as is lands in the header in network order.
#include "net.h"

// 32 bytes per round with add-with-carry; leal and decl leave the carry flag alone, so it runs
// through the whole loop and is added back once at the end.
u32 csum_partial(const void *buf, u32 len, u32 sum)
{
  const u8 *p = buf;
  u32 n = len / 32;
  if (n) {
    asm("clc\n"
        "1:\n\t"
        "adcl 0(%[p]), %[s]\n\t"
        "adcl 4(%[p]), %[s]\n\t"
        "adcl 8(%[p]), %[s]\n\t"
        "adcl 12(%[p]), %[s]\n\t"
        "adcl 16(%[p]), %[s]\n\t"
        "adcl 20(%[p]), %[s]\n\t"
        "adcl 24(%[p]), %[s]\n\t"
        "adcl 28(%[p]), %[s]\n\t"
        "leal 32(%[p]), %[p]\n\t"
        "decl %[n]\n\t"
        "jnz 1b\n\t"
        "adcl $0, %[s]"
        : [s] "+r"(sum), [p] "+r"(p), [n] "+r"(n)
        : : "memory", "cc");
  }
  len %= 32;
  u64 acc = sum;
  for (; len >= 4; len -= 4, p += 4)
    acc += *(const u32 *)p;
  if (len >= 2) {
    acc += *(const u16 *)p;
    p += 2;
    len -= 2;
  }
  if (len)
    acc += *p;
  acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
  acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
  return (u32)acc;
}

u16 csum_fold(u32 sum)
{
  sum = (sum & 0xFFFF) + (sum >> 16);
  sum = (sum & 0xFFFF) + (sum >> 16);
  return (u16)~sum;
}
