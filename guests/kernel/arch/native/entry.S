// Native entry stubs: one vector per exception, IRQ and the system call gate, and the common
// path that saves the interrupted context the way Linux 2.6 does (segment registers pushed,
// kernel data selectors loaded, everything restored before iret). trap() in trap.c does the
// rest; arch_trapret is also where a new process first returns to user mode.
#include "archdefs.h"

// A vector stub: push a zero error code where the CPU pushes none, then the vector number.
.macro VECTOR n, has_err
  .globl vector\n
vector\n:
  .if \has_err == 0
  pushl $0
  .endif
  pushl $\n
  jmp alltraps
.endm

.text
.irp n, 0,1,2,3,4,5,6,7,9,15,16,18,19
  VECTOR \n, 0
.endr
.irp n, 8,10,11,12,13,14,17
  VECTOR \n, 1
.endr
.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,128
  VECTOR \n, 0
.endr

alltraps:
  cld
  pushl %ds
  pushl %es
  pushl %fs
  pushl %gs
  pushal
  movl $KERNEL_DS, %eax
  movl %eax, %ds
  movl %eax, %es
  pushl %esp
  call trap
  addl $4, %esp

.globl arch_trapret
arch_trapret:
  cli
  popal
  popl %gs
  popl %fs
  popl %es
  popl %ds
  addl $8, %esp          // vector number and error code
  iret

// The stubs by vector number, for desc.c to build the IDT from; ends with a zero entry.
.section .rodata
.balign 4
.globl arch_vectors
arch_vectors:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,128
  .long \n, vector\n
.endr
  .long 0, 0
