// The virtual CPU of the ia32 front-end: the privileged state a native kernel believes it
// owns (control registers, descriptor-table registers, task register) and the operations the
// entry stubs (stubs.S) call. The interrupt flag is not here: it is the back-end's
// vcpu_irq_mask byte (backend.h), so the hot paths touch one byte.
#ifndef WEDGE_VCPU_H
#define WEDGE_VCPU_H

#include "types.h"

#define CR0_PE 0x00000001u
#define CR0_ET 0x00000010u
#define CR0_TS 0x00000008u
#define CR0_WP 0x00010000u
#define CR0_PG 0x80000000u
#define FL_IF 0x200u
#define FL_DF 0x400u
#define DR6_RESET 0xFFFF0FF0u   // DR6 and DR7 as the processor resets them (SDM vol. 3, 17.2)
#define DR7_RESET 0x00000400u

struct vcpu {
  u32 cr0, cr2, cr3, cr4;
  u32 gdt_base, gdt_limit, idt_base, idt_limit;
  u32 tr, tss_base, tss_limit;   // the TSS as ltr cached it (userio.c checks its I/O bitmap)
  u32 ldtr;        // only the null selector: lldt of any other stops the wedge
  u32 dr[8];       // debug registers (msr.c): virtual, no breakpoint fires
};

// The registers a stub saved with pushal, then its flags and return address (stubs.S ENTER):
// what the C side of rdmsr/wrmsr and ins/outs reads and writes.
struct gregs {
  u32 edi, esi, ebp, esp, ebx, edx, ecx, eax;
  u32 eflags, ret;
};

extern struct vcpu vcpu;

// Called from stubs.S (cdecl).
void vcpu_write_cr(u32 n, u32 v);
u32 vcpu_read_cr(u32 n);
void vcpu_write_sreg(u32 s, u32 sel);
u32 vcpu_read_sreg(u32 s);
void vcpu_invlpg(u32 va);
void vcpu_lgdt(u32 addr);
void vcpu_lidt(u32 addr);
void vcpu_ltr(u32 sel);
void vcpu_clts(void);
u32 vcpu_port_in(u32 port, u32 size);
void vcpu_port_out(u32 port, u32 size, u32 v);
void vcpu_hlt(u32 mask_was);
void vcpu_sgdt(u32 addr);
void vcpu_sidt(u32 addr);
void vcpu_lldt(u32 sel);
u32 vcpu_sldt(void);
u32 vcpu_str(void);
void vcpu_store16(u32 addr, u32 v);
void vcpu_lss(u32 addr, u32 *out);
u32 vcpu_seg_base(u32 sel);
void vcpu_string_io(struct gregs *r, u32 size, u32 out);
void vcpu_rep_string_io(struct gregs *r, u32 size, u32 out);
// msr.c
int vcpu_rdmsr(struct gregs *r);    // 1: #GP (stubs.S enters the guest's handler)
int vcpu_wrmsr(struct gregs *r);
void vcpu_write_dr(u32 n, u32 v);
u32 vcpu_read_dr(u32 n);

// Selector translation between what the guest believes (kernel RPL 0) and what runs (ring 1).
static inline u32 sel_to_real(u32 sel) { return (sel & 3) == 0 && (sel & ~3u) ? sel | 1 : sel; }
static inline u32 sel_to_virtual(u32 sel) { return (sel & 3) == 1 ? sel & ~3u : sel; }

// The guest's IDT gate for a vector: handler address, and whether it is an interrupt gate;
// -1 without a present gate, -2 for a task gate (the wedge does not switch tasks).
int vcpu_gate(u32 vector, u32 *handler, int *intgate);

// Interrupt delivery counter (incremented whenever a virtual interrupt enters the guest).
extern volatile u32 vcpu_delivered;

#endif
