// The wedge's entry stubs: what rewritten sites call. Each emulates one sensitive instruction
// with its operands fixed by the stub's name (ws_mov_to_cr3_eax, ws_push_ds, ws_out_b...), so
// nothing is decoded at run time. A stub preserves every register and flag the instruction
// would, and calls C (vcpu.c) with virtual interrupts masked, restoring the guest's mask after
// and delivering what became pending meanwhile. For each stub X there is a pointer slot
// ws_ptr_X (sites call *ws_ptr_X) and an entry in the name table the rewriter searches.
#include "stats.h"

// ENTER/LEAVE: save everything, mask virtual interrupts for the C code (the upcall handler
// must not re-enter it), then put the guest's mask back and deliver if it unmasked with
// something pending. Frame after ENTER (offsets from %esp):
//   0 saved mask, 4 edi, 8 esi, 12 ebp, 16 esp, 20 ebx, 24 edx, 28 ecx, 32 eax,
//   36 eflags, 40 return address, 44 the caller's stack.
.macro ENTER
  pushfl
  pushal
  cld
  movzbl vcpu_irq_mask, %eax
  pushl %eax
  movb $1, vcpu_irq_mask
.endm

.macro LEAVE
  popl %eax
  movb %al, vcpu_irq_mask
  testb %al, %al
  jnz 88f
  cmpb $0, vcpu_irq_pending
  je 88f
  call be_force_upcall
88:
  popal
  popfl
.endm

.macro COUNT name
  incl wstat_\name
.endm

.macro DEFSTUB name
  .pushsection .rodata.wstub_ptr, "a"
  .balign 4
  .globl ws_ptr_\name
ws_ptr_\name: .long ws_\name
  .popsection
  .pushsection .rodata.wstub_names, "a"
  .long ws_ptr_\name, ws_\name
  .asciz "\name"
  .balign 4
  .popsection
  .text
  .globl ws_\name
ws_\name:
.endm

.text

// --- interrupt flag (call forms; the inline forms are in rewrite.c) ---

DEFSTUB cli
  pushfl
  COUNT CLI
  movb $1, vcpu_irq_mask
  popfl
  ret

DEFSTUB sti
  pushfl
  COUNT STI
  movb $0, vcpu_irq_mask
  cmpb $0, vcpu_irq_pending
  je 1f
  call be_force_upcall
1:
  popfl
  ret

// sti right before a hlt (count=all): the hlt that follows delivers what is pending.
DEFSTUB sti_hlt
  pushfl
  COUNT STI
  movb $0, vcpu_irq_mask
  popfl
  ret

// The inline sti's slow path: something is pending; deliver it (preserves everything).
DEFSTUB force
  jmp be_force_upcall

// pushf: the real flags with IF replaced by the virtual one.
DEFSTUB pushf
  pushl (%esp)                  // 0 ret, 4 ret (becomes the flags slot)
  pushfl                        // 0 F, 4 ret, 8 slot
  pushl %eax
  COUNT PUSHF
  movl 4(%esp), %eax
  andl $~0x200, %eax
  cmpb $0, vcpu_irq_mask
  jne 1f
  orl $0x200, %eax
1:
  movl %eax, 12(%esp)
  popl %eax
  popfl
  ret

// popf: IF goes to the mask, the rest to the real flags (ring 1 keeps the real IF).
DEFSTUB popf                    // 0 ret, 4 image
  COUNT POPF
  testb $2, 5(%esp)
  setz vcpu_irq_mask
  jz 1f
  cmpb $0, vcpu_irq_pending
  je 1f
  call be_force_upcall
1:
  pushl 4(%esp)
  popfl
  ret $4

DEFSTUB hlt
  ENTER
  COUNT HLT
  pushl 0(%esp)                 // the guest's mask at the hlt
  call vcpu_hlt
  addl $4, %esp
  LEAVE
  ret

// iret: sites jump here with the guest's frame on the stack: EIP, CS, EFLAGS [, ESP, SS]. The
// return itself is the back-end's (be_iret): the flags image's IF becomes the mask, and a
// return that unmasks with something pending delivers it at the target.
// With the emulated NIC (DEV=virt) an iret is also where the guest's device activity pauses
// (its interrupt handler ends): the work its driver queued goes to the back half first.
DEFSTUB iret
  COUNT IRET
#ifdef WEDGE_DEVVIRT
  cmpb $0, nic_flush_wanted
  je 1f
  pushal
  cld
  call nic_flush
  popal
1:
#endif
  jmp be_iret

// cpuid: the CPU's answer, but leaf 1 does not advertise 4 MiB pages (EDX bit 3, PSE): the
// wedge's page-table paths map 4 KiB pages only, and a guest told there is no PSE (Linux)
// neither sets CR4.PSE nor builds large pages.
DEFSTUB cpuid
  pushfl
  COUNT CPUID
  pushl %eax
  cpuid
  cmpl $1, (%esp)
  jne 1f
  andl $~0x8, %edx
1:
  addl $4, %esp
  popfl
  ret

DEFSTUB clts
  ENTER
  COUNT CLTS
  call vcpu_clts
  LEAVE
  ret

DEFSTUB wbinvd
  pushfl
  COUNT WBINVD
  popfl
  ret

// --- port I/O: port in DX, value in AL/AX/EAX ---

.macro PORT_IN sz, n, store
DEFSTUB in_\sz
  ENTER
  movzwl 24(%esp), %edx
  pushl $\n
  pushl %edx
  call vcpu_port_in
  addl $8, %esp
  \store
  LEAVE
  ret
.endm
PORT_IN b, 1, "movb %al, 32(%esp)"
PORT_IN w, 2, "movw %ax, 32(%esp)"
PORT_IN l, 4, "movl %eax, 32(%esp)"

.macro PORT_OUT sz, n
DEFSTUB out_\sz
  ENTER
  movzwl 24(%esp), %edx
  pushl 32(%esp)
  pushl $\n
  pushl %edx
  call vcpu_port_out
  addl $12, %esp
  LEAVE
  ret
.endm
PORT_OUT b, 1
PORT_OUT w, 2
PORT_OUT l, 4

// --- memory-operand instructions: the address is in EAX (the site computed it with lea) ---

.macro MEMOP name, fn
DEFSTUB \name
  ENTER
  pushl 32(%esp)
  call \fn
  addl $4, %esp
  LEAVE
  ret
.endm
MEMOP invlpg, vcpu_invlpg
MEMOP lgdt, vcpu_lgdt
MEMOP lidt, vcpu_lidt

// --- register-operand instructions, one stub per register (ESP is not an operand here) ---

.macro ALLREGS m, a, b=0
  \m \a, \b, eax, ax, 32
  \m \a, \b, ecx, cx, 28
  \m \a, \b, edx, dx, 24
  \m \a, \b, ebx, bx, 20
  \m \a, \b, ebp, bp, 12
  \m \a, \b, esi, si, 8
  \m \a, \b, edi, di, 4
.endm

// Control and debug registers: mov_to_cr3_eax calls vcpu_write_cr(3, value), and so on.
.macro MOV_TO_XR n, kind, r32, r16, off
DEFSTUB mov_to_\kind\n\()_\r32
  ENTER
  pushl \off(%esp)
  pushl $\n
  call vcpu_write_\kind
  addl $8, %esp
  LEAVE
  ret
.endm

.macro MOV_FROM_XR n, kind, r32, r16, off
DEFSTUB mov_from_\kind\n\()_\r32
  ENTER
  pushl $\n
  call vcpu_read_\kind
  addl $4, %esp
  movl %eax, \off(%esp)
  LEAVE
  ret
.endm

.irp cr, 0, 2, 3, 4
  ALLREGS MOV_TO_XR, \cr, cr
  ALLREGS MOV_FROM_XR, \cr, cr
.endr

.macro MOV_TO_SREG s, n, r32, r16, off
DEFSTUB mov_to_\s\()_\r32
  ENTER
  pushl \off(%esp)
  pushl $\n
  call vcpu_write_sreg
  addl $8, %esp
  LEAVE
  ret
.endm

.macro MOV_FROM_SREG s, n, r32, r16, off
DEFSTUB mov_from_\s\()_\r32
  ENTER
  pushl $\n
  call vcpu_read_sreg
  addl $4, %esp
  movzwl %ax, %eax
  movl %eax, \off(%esp)
  LEAVE
  ret
DEFSTUB mov_from_\s\()_\r16
  ENTER
  pushl $\n
  call vcpu_read_sreg
  addl $4, %esp
  movw %ax, \off(%esp)
  LEAVE
  ret
.endm

.macro PUSH_SREG s, n
DEFSTUB push_\s
  pushl (%esp)                  // 0 ret, 4 slot
  ENTER                         // ret at 40, slot at 44
  pushl $\n
  call vcpu_read_sreg
  addl $4, %esp
  movzwl %ax, %eax
  movl %eax, 44(%esp)
  LEAVE
  ret
.endm

.macro POP_SREG s, n
DEFSTUB pop_\s                  // 0 ret, 4 value
  ENTER                         // value at 44
  pushl 44(%esp)
  pushl $\n
  call vcpu_write_sreg
  addl $8, %esp
  LEAVE
  ret $4
.endm

#ifdef WEDGE_FLAT_SREGS
// A back-end whose segment registers are only stored (L4: a thread has the flat segments
// alone, so the guest's selectors live in vcpu_sregs) gets them without a C call: no masking
// (nothing can become pending), and no flag touched (the counter goes up with lea).
.set wstat_read_es, wstat_READ_ES
.set wstat_read_cs, wstat_READ_CS
.set wstat_read_ss, wstat_READ_SS
.set wstat_read_ds, wstat_READ_DS
.set wstat_read_fs, wstat_READ_FS
.set wstat_read_gs, wstat_READ_GS
.set wstat_write_es, wstat_WRITE_ES
.set wstat_write_ss, wstat_WRITE_SS
.set wstat_write_ds, wstat_WRITE_DS
.set wstat_write_fs, wstat_WRITE_FS
.set wstat_write_gs, wstat_WRITE_GS

.macro BUMP name
  pushl %eax
  movl wstat_\name, %eax
  leal 1(%eax), %eax
  movl %eax, wstat_\name
  popl %eax
.endm

.purgem MOV_TO_SREG
.macro MOV_TO_SREG s, n, r32, r16, off
DEFSTUB mov_to_\s\()_\r32
  BUMP write_\s
  pushl %eax
  movzwl %\r16, %eax
  movl %eax, vcpu_sregs + 4 * \n
  popl %eax
  ret
.endm

.purgem MOV_FROM_SREG
.macro MOV_FROM_SREG s, n, r32, r16, off
DEFSTUB mov_from_\s\()_\r32
  BUMP read_\s
  movl vcpu_sregs + 4 * \n, %\r32
  ret
DEFSTUB mov_from_\s\()_\r16
  BUMP read_\s
  movw vcpu_sregs + 4 * \n, %\r16
  ret
.endm

.purgem PUSH_SREG
.macro PUSH_SREG s, n
DEFSTUB push_\s
  pushl (%esp)                  // 0 ret, 4 slot
  BUMP read_\s
  pushl %eax                    // 0 eax, 4 ret, 8 slot
  movl vcpu_sregs + 4 * \n, %eax
  movl %eax, 8(%esp)
  popl %eax
  ret
.endm

.purgem POP_SREG
.macro POP_SREG s, n
DEFSTUB pop_\s                  // 0 ret, 4 value
  BUMP write_\s
  pushl %eax                    // 0 eax, 4 ret, 8 value
  movzwl 8(%esp), %eax
  movl %eax, vcpu_sregs + 4 * \n
  popl %eax
  ret $4
.endm
#endif

ALLREGS MOV_TO_SREG, es, 0
ALLREGS MOV_TO_SREG, ss, 2
ALLREGS MOV_TO_SREG, ds, 3
ALLREGS MOV_TO_SREG, fs, 4
ALLREGS MOV_TO_SREG, gs, 5
ALLREGS MOV_FROM_SREG, es, 0
ALLREGS MOV_FROM_SREG, cs, 1
ALLREGS MOV_FROM_SREG, ss, 2
ALLREGS MOV_FROM_SREG, ds, 3
ALLREGS MOV_FROM_SREG, fs, 4
ALLREGS MOV_FROM_SREG, gs, 5
PUSH_SREG es, 0
PUSH_SREG cs, 1
PUSH_SREG ss, 2
PUSH_SREG ds, 3
PUSH_SREG fs, 4
PUSH_SREG gs, 5
POP_SREG es, 0
POP_SREG ss, 2
POP_SREG ds, 3
POP_SREG fs, 4
POP_SREG gs, 5

.macro LTR unused, unused2, r32, r16, off
DEFSTUB ltr_\r32
  ENTER
  pushl \off(%esp)
  call vcpu_ltr
  addl $4, %esp
  LEAVE
  ret
.endm
ALLREGS LTR, 0

.macro INVLPG_REG unused, unused2, r32, r16, off
DEFSTUB invlpg_\r32
  ENTER
  pushl \off(%esp)
  call vcpu_invlpg
  addl $4, %esp
  LEAVE
  ret
.endm
ALLREGS INVLPG_REG, 0

// --- page-table writes (ia32/ptsites.c): 0 ret, 4 the guest's EAX, 8 the value; EAX holds the
// entry's address. The back-end's page-table path does the write; EAX and the flags come back.
DEFSTUB pt_store
  ENTER                         // 32 the address (EAX), 44 the guest's EAX, 48 the value
  pushl 48(%esp)
  pushl 36(%esp)
  call be_pt_store
  addl $8, %esp
  LEAVE
  movl 4(%esp), %eax
  ret $8

#ifdef WEDGE_DEVVIRT
// --- device-memory sites (ia32/mmiosites.c): the move is done on the emulated NIC (device/mmio.c)
// with the saved registers (a load's destination among them); a move does not change the flags.
DEFSTUB mmio
  ENTER
  leal 4(%esp), %eax            // struct gregs: the pushal block, flags, return address
  pushl %eax
  call nic_mmio_site
  addl $4, %esp
  LEAVE
  ret
#endif

// --- the forms Linux adds: MSRs, debug registers, string I/O, lss, descriptor-table stores ---

// rdmsr/wrmsr: ECX names the MSR, EDX:EAX the value; the C side works on the saved registers.
// An MSR the CPU model does not have raises #GP on the CPU: fn returns 1 and the stub enters
// the guest's #GP handler as the CPU would, with the site's address as the faulting EIP (Linux's
// rdmsr_safe/wrmsr_safe find their exception-table fixup there).
.macro GREGS name, fn
DEFSTUB \name
  ENTER
  leal 4(%esp), %eax            // struct gregs: the pushal block, flags, return address
  pushl %eax
  call \fn
  addl $4, %esp
  movl $ws_plain_ret, ws_msr_next
  testl %eax, %eax
  jz 1f
  movl $ws_raise_gp, ws_msr_next
1:
  LEAVE
  jmp *ws_msr_next              // no flag changes on the way out
.endm
GREGS rdmsr, vcpu_rdmsr
GREGS wrmsr, vcpu_wrmsr

.data
ws_msr_next: .long 0
.text
ws_plain_ret:
  ret

// #GP(0) at the site whose call left its return address on top of the stack (a 6-byte
// `call *ws_ptr_...`): the frame error code, EIP = the site, CS as the guest believes it
// (RPL 0), EFLAGS with the virtual IF; then the guest's gate 13 (vcpu_gp_handler, read by C).
ws_raise_gp:
  subl $12, %esp                // the frame: err, eip, cs, eflags (over the return address)
  pushl %eax
  pushfl
  movl 20(%esp), %eax           // the return address
  subl $6, %eax
  movl %eax, 12(%esp)           // eip
  movl $0, 8(%esp)              // error code
  xorl %eax, %eax
  movw %cs, %ax
  andl $~3, %eax
  movl %eax, 16(%esp)           // cs
  movl (%esp), %eax
  andl $~0x200, %eax
  cmpb $0, vcpu_irq_mask
  jne 2f
  orl $0x200, %eax
2:
  movl %eax, 20(%esp)           // eflags
  cmpb $0, vcpu_gp_intgate
  je 3f
  movb $1, vcpu_irq_mask
3:
  popfl
  popl %eax
  jmp *vcpu_gp_handler

// ins/outs [rep]: port in DX, EDI/ESI/ECX updated as the instruction would.
.macro STRIO name, sz, out, fn
DEFSTUB \name
  ENTER
  leal 4(%esp), %eax
  pushl $\out
  pushl $\sz
  pushl %eax
  call \fn
  addl $12, %esp
  LEAVE
  ret
.endm
STRIO ins_b, 1, 0, vcpu_string_io
STRIO ins_w, 2, 0, vcpu_string_io
STRIO ins_l, 4, 0, vcpu_string_io
STRIO outs_b, 1, 1, vcpu_string_io
STRIO outs_w, 2, 1, vcpu_string_io
STRIO outs_l, 4, 1, vcpu_string_io
STRIO rep_ins_b, 1, 0, vcpu_rep_string_io
STRIO rep_ins_w, 2, 0, vcpu_rep_string_io
STRIO rep_ins_l, 4, 0, vcpu_rep_string_io
STRIO rep_outs_b, 1, 1, vcpu_rep_string_io
STRIO rep_outs_w, 2, 1, vcpu_rep_string_io
STRIO rep_outs_l, 4, 1, vcpu_rep_string_io

// Debug registers 0-3, 6, 7 (4 and 5 alias 6 and 7), one stub per register pair.
.irp dr, 0, 1, 2, 3, 6, 7
  ALLREGS MOV_TO_XR, \dr, dr
  ALLREGS MOV_FROM_XR, \dr, dr
.endr

// sgdt/sidt m: the address in EAX, as for lgdt.
MEMOP sgdt, vcpu_sgdt
MEMOP sidt, vcpu_sidt

// sldt/str/mov sreg to memory: a 16-bit store of a value read on the virtual CPU.
.macro STORE16 name, fn, arg=
DEFSTUB \name
  ENTER
  .ifnb \arg
  pushl $\arg
  .endif
  call \fn
  .ifnb \arg
  addl $4, %esp
  .endif
  pushl %eax
  pushl 36(%esp)                // the address (EAX at 32, 4 more for the value pushed)
  call vcpu_store16
  addl $8, %esp
  LEAVE
  ret
.endm
STORE16 sldt_mem, vcpu_sldt
STORE16 str_mem, vcpu_str
STORE16 mov_from_es_mem, vcpu_read_sreg, 0
STORE16 mov_from_cs_mem, vcpu_read_sreg, 1
STORE16 mov_from_ss_mem, vcpu_read_sreg, 2
STORE16 mov_from_ds_mem, vcpu_read_sreg, 3
STORE16 mov_from_fs_mem, vcpu_read_sreg, 4
STORE16 mov_from_gs_mem, vcpu_read_sreg, 5

// mov m16 to sreg: the word at the address in EAX.
.macro LOAD_SREG_MEM s, n
DEFSTUB mov_to_\s\()_mem
  ENTER
  movl 32(%esp), %eax
  movzwl (%eax), %eax
  pushl %eax
  pushl $\n
  call vcpu_write_sreg
  addl $8, %esp
  LEAVE
  ret
.endm
LOAD_SREG_MEM es, 0
LOAD_SREG_MEM ss, 2
LOAD_SREG_MEM ds, 3
LOAD_SREG_MEM fs, 4
LOAD_SREG_MEM gs, 5

// sldt/str to a register (32-bit: zero-extended, as P6 and later do) and lldt from one.
.macro SREG_READ_REG name, fn, r32, r16, off
DEFSTUB \name\()_\r32
  ENTER
  call \fn
  movl %eax, \off(%esp)
  LEAVE
  ret
DEFSTUB \name\()_\r16
  ENTER
  call \fn
  movw %ax, \off(%esp)
  LEAVE
  ret
.endm
ALLREGS SREG_READ_REG, sldt, vcpu_sldt
ALLREGS SREG_READ_REG, str, vcpu_str

.macro LLDT unused, unused2, r32, r16, off
DEFSTUB lldt_\r32
  ENTER
  pushl \off(%esp)
  call vcpu_lldt
  addl $4, %esp
  LEAVE
  ret
.endm
ALLREGS LLDT, 0

// lss m, %esp: the site pushed EAX and put m's address in it. vcpu_lss writes the site's EAX and
// return address on top of the new stack and leaves the pair for the real lss below the frame;
// after LEAVE only lss, popl and ret run, none of which changes a flag.
DEFSTUB lss                     // 0 ret, 4 the site's EAX
  leal -8(%esp), %esp           // 0 {ESP, SS} for the lss, 8 ret, 12 the site's EAX
  ENTER                         // 32 the address, 40 the pair, 48 ret, 52 EAX
  leal 40(%esp), %eax
  pushl %eax
  pushl 36(%esp)
  call vcpu_lss
  addl $8, %esp
  LEAVE
#ifdef WEDGE_FLAT_SREGS
  movl (%esp), %esp             // SS stays the thread's flat one (and lss faults in ring 3 there)
#else
  lss (%esp), %esp
#endif
  popl %eax
  ret

// The short form of a memory-operand site whose operand is ESP plus an 8-bit displacement, for a
// site too short for pushl/leal/call/popl (12 bytes): `call *ws_ptr_<stub>_esp` followed by the
// displacement byte. The trampoline computes the address from the site's ESP, steps the return
// address over the byte and runs the stub as the long form would; no flag changes.
.macro ESPFORM name
DEFSTUB \name\()_esp            // 0 ret (at the displacement byte); the site's ESP is 4 up
  pushl %eax
  pushl %ecx                    // 0 ECX, 4 EAX, 8 ret
  movl 8(%esp), %ecx
  movsbl (%ecx), %eax
  leal 1(%ecx), %ecx
  movl %ecx, 8(%esp)
  leal 12(%esp,%eax), %eax      // the site's ESP plus the displacement
  popl %ecx                     // 0 the site's EAX, 4 ret: the long form's frame
  call ws_\name
  popl %eax
  ret
.endm
.irp s, sgdt, sidt, lgdt, lidt, sldt_mem, str_mem, mov_to_es_mem, mov_to_ss_mem, mov_to_ds_mem, mov_to_fs_mem, mov_to_gs_mem, mov_from_es_mem, mov_from_cs_mem, mov_from_ss_mem, mov_from_ds_mem, mov_from_fs_mem, mov_from_gs_mem
  ESPFORM \s
.endr
