// Para-virtual boot entry on L4. The model starts the main thread in ring 3 with the image at
// its link address but held in the bootstrap region at the top of physical memory, and
// ESI = the boot-info page (ABI.md section 8). The common kernel expects physical 0..4 MiB at
// KERNBASE with the image at 1 MiB, so l4pv_stage1 saves the boot info and asks σ0 for
// physical 0..4 MiB at a scratch address; here the image (stack included: it is boot_stack in
// the BSS) is copied down through it and physical 0..4 MiB replaces the bootstrap mapping at
// KERNBASE, with no stack use between the copy and the σ0 reply. Then l4pv_stage2 runs on
// the copy and calls main. boot_stack is arch/pv/bootstack.S.
#include "archdefs.h"

#define KERNBASE   0xC0000000
#define KERNLINK   0xC0100000
#define SCRATCH    0x40000000
#define UTCB       0xFC001000
#define SIGMA0     0x40001
#define FP_4M(b, r) ((b) | (22 << 4) | (r))

.section __l4_guest, ""
  .asciz "GUEST_OS=world,L4_API=x2,VIRT_BASE=0xC0000000"

.text
.globl _start
.globl _start_phys
.set _start_phys, _start        // kernel.ld's entry: L4 enters at the virtual address
_start:
  cld
  movl $boot_stack_top, %esp
  pushl %esi
  call l4pv_stage1
  addl $4, %esp
  movl $KERNLINK, %esi
  movl $(SCRATCH + 0x100000), %edi
  movl $end, %ecx
  subl %esi, %ecx
  shrl $2, %ecx
  rep movsl
  movl $FP_4M(KERNBASE, 0), UTCB + 0x100    // BR0: the window
  movl $(0xFFA00000 | 2), UTCB               // MR0: σ0 request, u = 2
  movl $FP_4M(0, 7), UTCB + 4                // MR1: physical 0..4 MiB, rwx
  movl $0, UTCB + 8
  movl $1, %eax                               // Ipc: call σ0
  movl $SIGMA0, %ebx
  movl %ebx, %ecx
  movl $0xFFFFFFFF, %edx
  int $0x30
  movl $boot_stack_top, %esp
  xorl %ebp, %ebp
  pushl %ecx                                  // the error code, for stage 2 to check
  call l4pv_stage2
1:
  jmp 1b
