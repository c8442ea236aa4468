// L4 entry points of the wedge's main thread (the vCPU) and the monitor thread's first
// instruction. Main runs guest kernel code and the wedge's stubs in one ring-3 thread, so every
// way into the guest's handlers is a jump on main's own stack:
//   l4_irq_entry      the monitor redirected main (ExchangeRegisters) out of guest code to
//                     deliver an interrupt; the interrupted EIP/EFLAGS are in l4_rd_*
//   l4_exc_entry      the monitor answered main's exception or page-fault IPC by resuming it
//                     here: exception l4_rd_vec (error l4_rd_err) at l4_rd_eip
//   be_force_upcall   a stub unmasked with something pending (preserves everything)
//   be_iret           the guest's iret: to a guest process (user.c) or in the kernel, where a
//                     return that unmasks with something pending delivers it in place
// Each builds the frame a same-privilege trap pushes (EIP, CS, EFLAGS, with vector and error
// code below it: struct tframe, ia32/trap.h) and calls l4_ktrap, which either resumes (popfl;
// ret: ring 3 has no iret to another privilege) or makes the frame the guest handler's and
// "returns" there.
#include "stats.h"
#include "trap.h"

#define GUEST_KCS 0x08
#define V_IRQ 0x100

.section __l4_guest, "a"
  .asciz "GUEST_OS=wedge,L4_API=x2,VIRT_BASE=0xF8000000"

.text
.globl _start
_start:
  cld
  movl $l4_main_stack_top, %esp
  pushl %esi                      // the boot-info page
  call l4_start
1:
  jmp 1b

.globl l4_monitor_entry
l4_monitor_entry:
  cld
  call l4_monitor
1:
  jmp 1b

.globl l4_irq_entry
l4_irq_entry:
  pushl l4_rd_eflags
  pushl $GUEST_KCS
  pushl l4_rd_eip
  pushl $0
  pushl $V_IRQ
  jmp kentry

.globl l4_exc_entry
l4_exc_entry:
  pushl l4_rd_eflags
  pushl $GUEST_KCS
  pushl l4_rd_eip
  pushl l4_rd_err
  pushl l4_rd_vec
  jmp kentry

// Called with (%esp) = the return address; the frame's EIP is force_ret, which returns there.
.globl be_force_upcall
be_force_upcall:
  pushfl
  orl $0x200, (%esp)              // the frame says interrupts were on (they are: mask is 0)
  pushl $GUEST_KCS
  pushl $force_ret
  pushl $0
  pushl $V_IRQ
  jmp kentry
force_ret:
  ret

// The guest's iret. User mode: hand the frame and registers to user.c on the wedge's own
// stack (the guest's kernel stack is where the next entry frame goes). Kernel mode: IF of the
// image becomes the mask; unmasking with something pending delivers it with this very frame.
.globl be_iret
be_iret:
  testb $3, 4(%esp)
  jz 1f
  pushal
  movl %esp, %eax
  movl $l4_user_stack_top, %esp
  pushl %eax
  call l4_user_return
1:
  testb $2, 9(%esp)
  jz 2f
  movb $0, vcpu_irq_mask
  cmpb $0, vcpu_irq_pending
  je resume3
  pushl $0
  pushl $V_IRQ
  jmp kentry
2:
  movb $1, vcpu_irq_mask
  jmp resume3

// Frame: pushal, vector, error code, EIP, CS, EFLAGS (struct tframe); l4_ktrap enters the
// guest handler or resumes here.
kentry:
  TRAP_DISPATCH l4_ktrap
// EIP, CS, EFLAGS on the stack: restore the flags (IF stays as ring 3 has it) and jump.
// (Two registers and plain moves: an xchg with memory is a locked cycle.)
resume3:
  pushl %eax
  pushl %ecx                      // 0 ecx, 4 eax, 8 eip, 12 cs, 16 eflags
  movl 8(%esp), %eax
  movl 16(%esp), %ecx
  movl %ecx, 8(%esp)
  movl %eax, 16(%esp)             // 0 ecx, 4 eax, 8 eflags, 12 cs, 16 eip
  popl %ecx
  popl %eax
  popfl
  leal 4(%esp), %esp
  ret

// l4_enter_kernel(regs, esp, handler): enter a guest handler from a guest process's event
// with the process's registers (pushal order) and the frame user.c built at esp.
.globl l4_enter_kernel
l4_enter_kernel:
  movl 4(%esp), %eax
  movl 12(%esp), %ecx
  movl %ecx, l4_handler
  movl 8(%esp), %esp
  movl 0(%eax), %edi
  movl 4(%eax), %esi
  movl 8(%eax), %ebp
  movl 16(%eax), %ebx
  movl 20(%eax), %edx
  movl 24(%eax), %ecx
  movl 28(%eax), %eax
  jmp *l4_handler

.data
.balign 4
l4_handler:
  .long 0

.bss
.balign 16
  .space 16384
.globl l4_main_stack_top
l4_main_stack_top:
  .space 8192
.globl l4_user_stack_top
l4_user_stack_top:
  .space 16384
.globl l4_monitor_stack_top
l4_monitor_stack_top:
