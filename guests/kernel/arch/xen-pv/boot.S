// Para-virtual boot entry. Xen starts us in ring 1 with paging on, the kernel image mapped at its
// link address but held in the bootstrap region at the top of domain memory, and ESI = start_info.
// The common kernel expects physical 0..4 MiB at KERNBASE (V2P/P2V), so xen_stage1 copies the
// image down to its physical load address and builds page tables that map it there; the switch
// itself is one mmuext_op (pin + new base pointer) made here, because the stack we run on now is
// not mapped afterwards. Then xen_stage2 runs on boot_stack (arch/pv/bootstack.S) and calls main.
#include "archdefs.h"

#define HC_mmuext_op 26
#define DOMID_SELF 0x7FF0

.section __xen_guest, ""
  .asciz "GUEST_OS=world,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000"

.text
.globl _start
.globl _start_phys
.set _start_phys, _start        // kernel.ld's entry: Xen enters at the virtual address
_start:
  cld
  pushl %esi
  call xen_stage1                 // returns the address of the mmuext_op array
  movl %eax, %ebx
  movl $HC_mmuext_op, %eax
  movl $2, %ecx
  xorl %edx, %edx
  movl $DOMID_SELF, %esi
  int $0x82                       // pin our page directory and load it
  movl $boot_stack_top, %esp
  xorl %ebp, %ebp
  call xen_stage2
1:
  jmp 1b
