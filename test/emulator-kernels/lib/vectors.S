// The 256 interrupt entry stubs (16 bytes each, so trap_stubs[] can be computed), the common
// entry that builds a struct frame and calls trap(), and the round trip to an outer ring:
// enter_ring irets there; user_return (called from trap() on int $0x80, EAX=0) comes back.

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

// u32 enter_ring(void (*fn)(void), u32 eflags, u32 esp, u32 cs, u32 ss)
  .globl enter_ring
enter_ring:
  pushfl
  pushl %ebp
  pushl %ebx
  pushl %esi
  pushl %edi
  movl %esp, user_saved_esp
  movl 24(%esp), %ecx
  movl 28(%esp), %edx
  movl 32(%esp), %eax
  movl 36(%esp), %esi
  movl 40(%esp), %edi
  movl %edi, %ds
  movl %edi, %es
  movl %edi, %gs
  // FS keeps the ring-0 data selector on purpose: iret to an outer ring must null it.
  pushl %edi
  pushl %eax
  pushl %edx
  pushl %esi
  pushl %ecx
  iret

// void user_return(u32 value): abandons the trap frame and returns from enter_ring.
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
