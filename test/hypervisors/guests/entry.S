# Entry points of the ring-1 test guest: the start of day (ESI = start_info), the trap and
# upcall stubs that turn Xen's bounce frames into calls of C handlers, and the iret hypercall.
  .section __xen_guest, ""
  .asciz "GUEST_OS=xentest,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000"

  .text
  .globl _start
_start:
  movl $kstack_top, %esp
  pushl %esi
  call main
1: jmp 1b

# Trap stubs: push a vector number (and a dummy error code where the CPU pushes none), save the
# registers, call trap(frame), restore, drop vector and error code, and return with the iret
# hypercall (the frame left on the stack is EIP, CS, EFLAGS[, ESP, SS]).
  .macro TRAP vec, haserr
  .globl trap\vec
trap\vec:
  .if \haserr == 0
  pushl $0
  .endif
  pushl $\vec
  jmp trap_common
  .endm
  TRAP 0, 0
  TRAP 13, 1
  TRAP 14, 1
  TRAP 128, 0

trap_common:
  pushal
  pushl %ds
  pushl %es
  movl $0xe021, %eax        # FLAT_RING1_DS: a trap from ring 3 arrives with the user's selectors
  movl %eax, %ds
  movl %eax, %es
  leal 8(%esp), %eax
  pushl %eax
  call trap
  addl $4, %esp
  popl %es
  popl %ds
  popal
  addl $8, %esp
  jmp xen_iret

  .globl upcall_entry
upcall_entry:
  pushl $0
  pushl $-1
  pushal
  pushl %esp
  call upcall
  addl $4, %esp
  popal
  addl $8, %esp
  jmp xen_iret

# The iret hypercall: push EAX on top of the hardware-style frame, EAX = 23, int $0x82.
  .globl xen_iret
xen_iret:
  pushl %eax
  movl $23, %eax
  int $0x82

  .globl failsafe_entry
failsafe_entry:
  ud2

# Code copied to a user page: a system call with EAX = 42, EBX = 7, then spin.
  .globl user_code, user_code_end
user_code:
  movl $42, %eax
  movl $7, %ebx
  int $0x80
2: jmp 2b
user_code_end:

  .bss
  .balign 4096
  .space 8192
  .globl kstack_top
kstack_top:
  .section .note.GNU-stack, "", @progbits
