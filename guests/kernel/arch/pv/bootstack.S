// The boot stack of a para-virtual kernel (arch.h: boot_stack): the arch's boot.S moves onto
// it before its stage 2, and it becomes the idle process's kernel stack. In the BSS, so it is
// part of the image every pv boot path copies to its load address.
.bss
.balign 4096
.globl boot_stack
.globl boot_stack_top
boot_stack:
  .space 4096
boot_stack_top:
