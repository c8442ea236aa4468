// A misbehaving program, to show that user mode really is user mode: the kernel must kill it
// and go on. Argument: 1 reads kernel memory (page fault), 2 raises a kernel-only interrupt
// vector (general protection), 3 jumps to an unmapped address (page fault).
#include "ulib.h"

int main(const char *arg)
{
  u32 mode = 0;
  parse_numbers(arg, &mode, 1);
  printf("fault: pid %d mode %u\n", getpid(), mode);
  if (mode == 1)
    return *(volatile u32 *)0xC0100000u;
  if (mode == 2)
    asm volatile("int $3");
  if (mode == 3)
    ((void (*)(void))0x1000)();
  printf("fault: still alive\n");
  return 0;
}
