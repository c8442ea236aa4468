# Entry and the child program of the L4 test task. The main thread starts at _start with ESI =
# the boot-info page; the child runs child_entry in its own address space, where only the pages
# its pager (the main thread) maps in reply to its page faults exist.
  .section __l4_guest, ""
  .asciz "GUEST_OS=l4test,L4_API=x2,VIRT_BASE=0xC0000000"

  .text
  .globl _start
_start:
  pushl %esi
  call main
1: jmp 1b

# The child: one page of code, touching only CHILD_DATA (0x10000000).
  .p2align 12
  .globl child_entry, child_store1, child_int80, child_int30, child_spin, child_spin_end, child_code_end
child_entry:
child_store1:
  movl $0x1234, 0x10000000
  movl $0x11, %eax
  movl $0x22, %ebx
  movl $0x33, %ecx
  movl $0x44, %edx
  movl $0x55, %esi
  movl $0x66, %edi
  movl $0x77, %ebp
child_int80:
  int $0x80
  movl %eax, 0x10000004
  movl %ebx, 0x10000008
  movl %ebp, 0x1000000c
  movl $5, %eax
child_int30:
  int $0x30
child_spin:
  incl 0x10000010
  jmp child_spin
child_spin_end:
  .p2align 12
child_code_end:

# A thread started with a 12-word message: it records the registers it was given, then waits.
  .text
  .globl regs_thread
regs_thread:
  movl %eax, started_eax
  movl %ebx, started_ebx
  movl %esp, started_esp
1:movl $1, %eax
  xorl %ebx, %ebx
  movl $0xffffffff, %ecx
  movl $0xffffffff, %edx
  int $0x30
  jmp 1b

# measure_syscall(out): out[0] = cycles across `int $0x30` (SystemClock), out[1] = the same code
# with a one-cycle instruction in its place; the difference is what the kernel charged.
  .globl measure_syscall
measure_syscall:
  pushl %ebx
  pushl %esi
  pushl %edi
  rdtsc
  movl %eax, %esi
  movl $5, %eax
  int $0x30
  rdtsc
  subl %esi, %eax
  movl %eax, %edi
  rdtsc
  movl %eax, %esi
  movl $5, %eax
  addl $0, %ebx
  rdtsc
  subl %esi, %eax
  movl 16(%esp), %ecx
  movl %edi, (%ecx)
  movl %eax, 4(%ecx)
  popl %edi
  popl %esi
  popl %ebx
  ret
