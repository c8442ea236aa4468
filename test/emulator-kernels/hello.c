// The runtime itself: serial output, a caught fault, a ring-3 round trip, exit.
#include "lib.h"

static void user_fn(void) {
  asm volatile("movl $0, %eax\n\tmovl $0x1234, %ebx\n\tint $0x80");
}

void test_main(void) {
  puts("hello\n");
  asm volatile(TRY_BEGIN "ud2" TRY_END);
  trap_report("ud2");
  u32 v = enter_user(user_fn, 0x202, (u32)ustack_top);
  put_kv("user", v);
  nl();
}
