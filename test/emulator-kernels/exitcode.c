// The exit path itself: a kernel that ends with a non-zero value on the debug-exit port, so the
// tests see QEMU's (v << 1) | 1 status and our emulator's v agree for v != 0.
#include "lib.h"

void test_main(void) {
  puts("exiting with 42\n");
  exit(42);
}
