// Multiboot v1 entry: header, a boot stack, bss clearing, then the runtime's C entry.
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x0

  .section .multiboot, "a"
  .balign 4
  .long MB_MAGIC
  .long MB_FLAGS
  .long -(MB_MAGIC + MB_FLAGS)

  .text
  .globl _start
_start:
  cli
  cld
  movl $boot_stack_top, %esp
  // Clear .bss ourselves rather than trust the loader to.
  movl $__bss_start, %edi
  movl $__bss_end, %ecx
  subl %edi, %ecx
  xorl %eax, %eax
  rep stosb
  pushl $0
  popfl
  call runtime_main
  pushl $0
  call exit
1:
  hlt
  jmp 1b

  .bss
  .balign 16
  .space 16384
  .globl boot_stack_top
boot_stack_top:
