// The 256 interrupt entry stubs (16 bytes each, so trap_stubs[] can be computed), the common
// entry that builds a struct frame and calls trap(), and the ring-3 round trip: enter_user
// irets to ring 3; user_return (called from trap() on int $0x80, EAX=0) comes back.

  .text
  .balign 16
  .globl trap_stub_base
trap_stub_base:
  .set vec, 0
  .rept 256
  .balign 16
  .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17)
  // The CPU pushed an error code.
  .else
  pushl $0
  .endif
  pushl $vec
  jmp trap_common
  .set vec, vec + 1
  .endr

trap_common:
  pushal
  pushl %ds
  pushl %es
  pushl %fs
  pushl %gs
  movl $0x10, %eax
  movl %eax, %ds
  movl %eax, %es
  movl %eax, %fs
  movl %eax, %gs
  cld
  pushl %esp
  call trap
  addl $4, %esp
  .globl trap_return
trap_return:
  popl %gs
  popl %fs
  popl %es
  popl %ds
  popal
  addl $8, %esp
  iret

// u32 enter_user(void (*fn)(void), u32 eflags, u32 user_esp)
  .globl enter_user
enter_user:
  pushfl
  pushl %ebp
  pushl %ebx
  pushl %esi
  pushl %edi
  movl %esp, user_saved_esp
  movl 24(%esp), %ecx
  movl 28(%esp), %edx
  movl 32(%esp), %eax
  movl $0x23, %ebx
  movl %ebx, %ds
  movl %ebx, %es
  movl %ebx, %gs
  // FS keeps the ring-0 data selector on purpose: iret to ring 3 must null it.
  pushl $0x23
  pushl %eax
  pushl %edx
  pushl $0x1b
  pushl %ecx
  iret

// void user_return(u32 value): abandons the trap frame and returns from enter_user.
  .globl user_return
user_return:
  movl 4(%esp), %eax
  movl user_saved_esp, %esp
  movl $0x10, %ecx
  movl %ecx, %ds
  movl %ecx, %es
  movl %ecx, %fs
  movl %ecx, %gs
  popl %edi
  popl %esi
  popl %ebx
  popl %ebp
  popfl
  ret

  .bss
  .balign 4
user_saved_esp:
  .long 0
  .balign 16
  .space 16384
  .globl kstack0_top
kstack0_top:
  .space 16384
  .globl ustack_top
ustack_top:
