# A plain multiboot kernel that maps the top 4 MiB of a 16 MiB machine (Xen's memory under
# --backend xen) with a 4 MiB page and turns paging on. On hardware it then exits with 0x11;
# under trap-and-emulate Xen must refuse the page directory when paging is turned on. Built with
# -DTOUCH it also reads virtual 12 MiB before exiting: L4's monitor, which checks a mapping when
# the guest first uses it, must then refuse physical memory it does not own.
  .text
  .long 0x1badb002, 0, -0x1badb002   # the multiboot header, first thing in the image
  .globl _start
_start:
  movl $pd, %edi
  movl $0x00000083, (%edi)          # 0-4 MiB identity: present, writable, 4 MiB page
  movl $0x00c00083, 12(%edi)        # 12-16 MiB at virtual 12 MiB
  movl %cr4, %eax
  orl $0x10, %eax                   # CR4.PSE
  movl %eax, %cr4
  movl %edi, %cr3
  movl %cr0, %eax
  orl $0x80000000, %eax
  movl %eax, %cr0
#ifdef TOUCH
  movl 0x00c00000, %eax
#endif
  movl $0x11, %eax
  outl %eax, $0xf4
1: hlt
  jmp 1b

  .bss
  .balign 4096
pd: .space 4096
  .section .note.GNU-stack, "", @progbits
