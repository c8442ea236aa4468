// Para-virtual entry stubs. Xen bounces every exception and int $0x80 to these through the trap
// table with the frame the hardware would build for a ring-1 handler, so the vector stubs and
// the save path are the native ones with Xen's selectors. Interrupts arrive instead at
// xen_upcall_entry (the event callback), which builds the same trapframe and lets xen_upcall
// run trap() once per pending IRQ. The way back is the iret hypercall, which also restores the
// virtual interrupt flag from the saved EFLAGS.
#include "archdefs.h"

#define SHARED_VA 0xF07FF000
#define VCPU_MASK (SHARED_VA + 1)
#define HC_iret 23

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
.irp n, 128
  VECTOR \n, 0
.endr

.macro SAVE
  cld
  pushl %ds
  pushl %es
  pushl %fs
  pushl %gs
  pushal
  movl $KERNEL_DS, %eax
  movl %eax, %ds
  movl %eax, %es
.endm

alltraps:
  SAVE
  pushl %esp
  call trap
  addl $4, %esp
  jmp arch_trapret

.globl xen_upcall_entry
xen_upcall_entry:
  pushl $0
  pushl $0
  SAVE
  pushl %esp
  call xen_upcall
  addl $4, %esp

.globl arch_trapret
arch_trapret:
  movb $1, VCPU_MASK       // virtual cli until the iret hypercall restores the saved flag
  popal
  popl %gs
  popl %fs
  popl %es
  popl %ds
  addl $8, %esp            // vector number and error code
  pushl %eax
  movl $HC_iret, %eax
  int $0x82

.globl xen_failsafe_entry
xen_failsafe_entry:
  ud2

// The stubs by vector number, for desc.c (and arch_load_idt's trap table); ends with zero.
.section .rodata
.balign 4
.globl arch_vectors
arch_vectors:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,128
  .long \n, vector\n
.endr
  .long 0, 0
