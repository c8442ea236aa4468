// The front-end's half of a trap, shared by the back-ends' entry code: the frame their stubs
// build (a same-privilege trap frame, the pushal registers, vector and error code below it),
// emulating a sensitive instruction the rewriter left alone (hole.c), and making the frame the
// one the guest's IDT handler expects (reflect.c). The back-end keeps what is its own: how the
// trap arrived, what the hypervisor needs handled first, and how the wedge resumes.
//
// The convention between the C side and TRAP_DISPATCH: the handler returns 0 to resume at the
// frame's EIP, or 1 after putting the guest handler's address in the vector slot (error code
// kept for the handler) or in the error-code slot (vector slot = -1, skipped); the stub then
// "returns" into the handler with the frame the hardware would have pushed.
#ifndef WEDGE_TRAP_H
#define WEDGE_TRAP_H

#ifndef __ASSEMBLER__
#include "types.h"

struct tframe {
  u32 edi, esi, ebp, oesp, ebx, edx, ecx, eax;   // pushal
  u32 vector, err;
  u32 eip, cs, eflags;                           // from ring 3 (Xen), ESP and SS follow
};

int trap_has_error_code(u32 vector);

// A #GP of an unrewritten sensitive instruction: emulate it on the virtual CPU and step over it
// (1), or leave the frame alone (0). The frame's IF is the guest's virtual IF, before and after.
// sregs: the segment registers (1 << enum sreg) whose loads the back-end has the wedge emulate.
int trap_emulate(struct tframe *f, u32 sregs);

// A #GP of a port instruction in the guest's ring 3 that the guest's TSS I/O bitmap permits
// (Linux's ioperm): do the access and step over it (1), or leave the frame alone (0, the
// guest's own #GP). userio.c.
int trap_user_io(struct tframe *f);

// Make the frame the guest's handler's for `vector`; 1 (the dispatch convention above).
u32 trap_reflect(struct tframe *f, u32 vector, int keep_err);

// With the frame's virtual IF on: acknowledge the highest request at the virtual PIC and
// reflect it (1), or 0 when nothing is deliverable.
u32 trap_deliver_irq(struct tframe *f);

#else

// Entry from a stub that pushed vector and error code over the trap frame: call fn(frame),
// then enter the guest handler or fall through with the frame's EIP, CS, EFLAGS on the stack.
.macro TRAP_DISPATCH fn
  pushal
  cld
  pushl %esp
  call \fn
  addl $4, %esp
  testl %eax, %eax
  jz 1f
  popal
  cmpl $-1, (%esp)
  jne 2f
  addl $4, %esp
2:
  ret
1:
  popal
  leal 8(%esp), %esp
.endm

#endif
#endif
