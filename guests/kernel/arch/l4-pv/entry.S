// Entry stubs on L4. There are no trap vectors: exceptions and system calls of processes
// arrive as IPC at the main thread (user.c), which turns them into trapframes. arch_trapret
// pops a frame: to user mode it hands the frame to user.c, which resumes the process's L4
// thread and waits for its next trap; to kernel mode it restores registers and flags without
// popf (sahf plus an OF and DF fix-up, then ret) and the virtual IF from the saved EFLAGS.
// l4pv_irq_entry is where the interrupt thread redirects main when an interrupt arrives while
// kernel code runs with the virtual IF set: it finds EIP, a kernel CS mark and EFLAGS on the
// stack, as an interrupt gate would have pushed them.
#include "archdefs.h"

#define TF_CS 60

.text
.globl arch_trapret
arch_trapret:
  movl $0, virq_on
  testb $3, TF_CS(%esp)
  jz kernel_return
  pushl %esp
  call l4pv_user_return          // resume the process; fills the frame with its next trap
  addl $4, %esp
  testl %eax, %eax
  jz arch_trapret                // interrupts that halted it were handled already
  pushl %esp
  call trap
  addl $4, %esp
  jmp arch_trapret

kernel_return:
  pushl %esp
  call l4pv_kernel_return
  addl $4, %esp
  popal
  addl $24, %esp                 // gs fs es ds, vector number and error code
  pushl %eax                     // stack: eax, eip, cs, eflags
  movl 12(%esp), %eax
  testl $0x400, %eax             // DF
  jz 1f
  std
  jmp 2f
1:
  cld
2:
  testl $0x800, %eax             // OF: set it by an overflowing add, clear it by xor
  jz 3f
  pushl %eax
  movb $0x7F, %al
  addb $1, %al
  popl %eax
  jmp 4f
3:
  pushl %eax
  xorl %eax, %eax
  popl %eax
4:
  movb %al, %ah                  // SF ZF AF PF CF from the saved EFLAGS
  sahf
  popl %eax
  ret $8

.globl l4pv_irq_entry
l4pv_irq_entry:
  pushl $0                       // error code
  pushl $0                       // vector number (set per line)
  pushl $KERNEL_DS
  pushl $KERNEL_DS
  pushl $KERNEL_DS
  pushl $KERNEL_DS
  pushal
  cld
  pushl %esp
  call l4pv_irq_kernel
  addl $4, %esp
  jmp arch_trapret

// No trap vectors: desc.c builds an IDT from an empty list, which nothing loads.
.section .rodata
.balign 4
.globl arch_vectors
arch_vectors:
  .long 0, 0
