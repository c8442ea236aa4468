// Kernel-thread switch, the same under every arch layer (it executes no sensitive instruction):
// save the callee-saved registers on the current stack, store the stack pointer in *old, load
// new as the stack pointer and resume from it.
//   void arch_switch_context(struct context **old, struct context *new);
.text
.globl arch_switch_context
arch_switch_context:
  movl 4(%esp), %eax
  movl 8(%esp), %edx
  pushl %ebp
  pushl %ebx
  pushl %esi
  pushl %edi
  movl %esp, (%eax)
  movl %edx, %esp
  popl %edi
  popl %esi
  popl %ebx
  popl %ebp
  ret
