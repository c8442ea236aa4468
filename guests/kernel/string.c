// Memory and string helpers (gcc may also call memset/memcpy for struct copies). memset and
// memcpy move whole words with rep stosl / rep movsl and the last 0-3 bytes with the byte form,
// as Linux's i386 versions do: the network path copies every payload byte through here.
#include "defs.h"

void *memset(void *dst, int c, u32 n)
{
  u32 word = (u8)c * 0x01010101u;
  u32 d0, d1, d2;
  asm volatile("rep stosl\n\t"
               "movl %4, %%ecx\n\t"
               "rep stosb"
               : "=&c"(d0), "=&D"(d1), "=&a"(d2)
               : "0"(n / 4), "g"(n % 4), "1"(dst), "2"(word)
               : "memory");
  return dst;
}

void *memcpy(void *dst, const void *src, u32 n)
{
  u32 d0, d1, d2;
  asm volatile("rep movsl\n\t"
               "movl %4, %%ecx\n\t"
               "rep movsb"
               : "=&c"(d0), "=&D"(d1), "=&S"(d2)
               : "0"(n / 4), "g"(n % 4), "1"(dst), "2"(src)
               : "memory");
  return dst;
}

int memcmp(const void *a, const void *b, u32 n)
{
  const u8 *x = a, *y = b;
  for (; n; n--, x++, y++)
    if (*x != *y)
      return *x - *y;
  return 0;
}

u32 strlen(const char *s)
{
  u32 n = 0;
  while (s[n])
    n++;
  return n;
}

int strcmp(const char *a, const char *b)
{
  while (*a && *a == *b)
    a++, b++;
  return (u8)*a - (u8)*b;
}

// Copy at most size-1 bytes and always terminate.
void strlcpy(char *dst, const char *src, u32 size)
{
  if (size == 0)
    return;
  while (--size && *src)
    *dst++ = *src++;
  *dst = 0;
}
