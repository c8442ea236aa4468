// Xen entry points: the domain's first instruction, the trap-table stubs, the event upcall,
// and the two ways back into the guest (a real iret, or Xen's iret hypercall when the return
// unmasks events with one pending). Also: the virtual interrupt flag is the shared-info
// page's evtchn_upcall_mask, and "pending" its evtchn_upcall_pending (ABI.md section 6):
// wedge.ld defines vcpu_irq_mask and vcpu_irq_pending at those bytes.
#include "stats.h"
#include "trap.h"

#define HC_xen_version 17
#define HC_iret 23
#define V_UPCALL 0x100
#define V_FAILSAFE 0x101

.section __xen_guest, "a"
  .asciz "GUEST_OS=world-wedge,XEN_VER=xen-3.0,VIRT_BASE=0xF8000000"

.text
.globl _start
_start:
  cld
  movl %esp, %eax                 // the boot stack's top: everything after it is free
  movl $wedge_stack_top, %esp
  pushl %eax
  pushl %esi                      // start_info
  call xen_start
1:
  jmp 1b

// Trap stubs: push a zero error code where Xen pushes none, then the vector.
.macro TRAP n
xen_trap_\n:
  .if !(\n == 8 || (\n >= 10 && \n <= 14) || \n == 17)
  pushl $0
  .endif
  pushl $\n
  jmp xen_trap_common
.endm
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19
  TRAP \n
.endr

xen_syscall_entry:
  pushl $0
  pushl $0x80
  jmp xen_trap_common

.globl xen_upcall_entry
xen_upcall_entry:
  pushl $0
  pushl $V_UPCALL
  jmp xen_trap_common

.globl xen_failsafe_entry
xen_failsafe_entry:
  pushl $0
  pushl $V_FAILSAFE
  jmp xen_trap_common

// Frame: pushal, vector, error code, then Xen's EIP, CS, EFLAGS [, ESP, SS] (struct tframe);
// xen_trap enters the guest handler or resumes here.
xen_trap_common:
  TRAP_DISPATCH xen_trap
  testb $2, 9(%esp)               // the interrupted context's virtual IF
  jz 3f
  movb $0, vcpu_irq_mask
  cmpb $0, vcpu_irq_pending
  jne be_iret_pending
3:
  iret

// The guest's iret (ia32/stubs.S jumps here): kernel selectors get ring 1's RPL, then the
// hardware iret does the rest (ring 1 -> 1 or 3; it leaves the real IF alone). When the return
// unmasks with something pending, Xen's iret hypercall delivers it at the target.
.globl be_iret
be_iret:
  testb $3, 4(%esp)
  jnz 1f
  orb $1, 4(%esp)
1:
  testb $2, 4(%esp)
  jz 2f
  pushal
  call be_user_return          // ring 3: the guest's TSS stack may have changed
  popal
2:
  testb $2, 9(%esp)
  jz 3f
  movb $0, vcpu_irq_mask
  cmpb $0, vcpu_irq_pending
  jne be_iret_pending
  iret
3:
  movb $1, vcpu_irq_mask
  iret

// Return through Xen: it restores the mask from the frame's IF and delivers what is pending.
.globl be_iret_pending
be_iret_pending:
  pushl %eax
  movl $HC_iret, %eax
  int $0x82

// Make Xen deliver the pending upcall now (any hypercall does, with the mask clear).
// Preserves every register and the flags.
.globl be_force_upcall
be_force_upcall:
  pushfl
  pushl %eax
  pushl %ebx
  pushl %ecx
  incl wstat_FORCED
  incl wstat_HYPERCALLS
  movl $HC_xen_version, %eax
  xorl %ebx, %ebx
  xorl %ecx, %ecx
  int $0x82
  popl %ecx
  popl %ebx
  popl %eax
  popfl
  ret

.section .rodata
.balign 4
.globl xen_trap_stub
xen_trap_stub:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19
  .long xen_trap_\n
.endr
.globl xen_syscall_stub
xen_syscall_stub:
  .long xen_syscall_entry

// Vector 8 once the guest's IDT entry 8 is a task gate (traps.c, be_double_fault_task): the
// bounce frame (error code, EIP, CS, EFLAGS) is xen_double_fault's arguments; it does not return.
.text
.globl xen_df_entry
xen_df_entry:
  call xen_double_fault

.bss
.balign 16
.globl wedge_stack_top                  // also ptdirect.c's stack for the first switch to a guest directory
wedge_stack:
  .space 16384
wedge_stack_top:
