// Shutdown: with an empty IDT, int3 cannot be delivered (#GP), nor can the #GP (#DF), nor the
// #DF: a triple fault. Both machines stop without a debug-exit write after the first line.
#include "lib.h"

void test_main(void) {
  puts("triple fault next\n");
  struct { u16 limit; u32 base; } __attribute__((packed)) empty = { 0, 0 };
  asm volatile("lidt %0\n\tint3" : : "m"(empty) : "memory");
  puts("still running\n");
}
