// The jump into the guest kernel, the way a Multiboot loader makes it (EAX the magic, EBX the
// information structure) or a Linux 32-bit boot loader (ESI the zero page), the other general
// registers zero, on the stack the wedge gives it.
// The same on every back-end (the guest's first code runs like any guest code).

.text
// wedge_enter_guest(entry, eax, ebx, esi, esp)
.globl wedge_enter_guest
wedge_enter_guest:
  movl 4(%esp), %ecx
  movl 8(%esp), %eax
  movl 12(%esp), %ebx
  movl 16(%esp), %esi
  movl 20(%esp), %esp
  pushl %ecx
  xorl %ecx, %ecx
  xorl %edx, %edx
  xorl %edi, %edi
  xorl %ebp, %ebp
  ret
