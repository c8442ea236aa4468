// The seam between the wedge's hypervisor-independent parts (common, device, ia32) and a
// back-end (xen, l4). A back-end implements every function here; the front-end calls them only
// when the hypervisor must act. The virtual interrupt flag lives where the back-end says:
// vcpu_irq_mask / vcpu_irq_pending are bytes it defines (on Xen, inside the shared-info page),
// which the rewriter's inline sequences address directly.
#ifndef WEDGE_BACKEND_H
#define WEDGE_BACKEND_H

#include "types.h"

extern volatile u8 vcpu_irq_mask;     // 1: virtual interrupts off (the guest's IF clear)
extern volatile u8 vcpu_irq_pending;  // 1: something may be waiting for delivery

// Console and stopping.
void be_console_write(const char *s, u32 n);
void be_crash(void) __attribute__((noreturn));

// Guest physical memory, [0, be_guest_mem_end()).
u32 be_guest_mem_end(void);
void be_copy_to_phys(u32 pa, const void *src, u32 n);
void be_zero_phys(u32 pa, u32 n);

// Paging: the virtual CR0/CR3 changed (flush: a full TLB flush, else an address-space switch).
void be_mmu_reload(int flush);
void be_invlpg(u32 va);

// Page-table writes the guest's afterburnt image marks (.afterburn_pt, ia32/ptsites.c). At start
// the front-end offers them: be_pt_sites returns 1 when the back-end takes them (each site then
// calls be_pt_store with the entry's address and the value), 0 to leave them plain stores.
// virt_offset is the guest image's virtual minus physical address: where it maps its memory;
// Whether every write of the guest comes through a site is unknowable (a profile may have
// missed a path; pt=direct profiles with none): the back-end catches writes no site announces.
// is_linux: the guest is a Linux vmlinux, whose first directory needs what a Multiboot guest's
// does not (xen/ptdirect.c), with sites from profile feedback or without any.
int be_pt_sites(u32 nsites, u32 virt_offset, int is_linux);
void be_pt_store(u32 va, u32 val);

// Descriptor tables and stacks.
void be_load_gdt(void);               // after vcpu.gdt_base/limit changed
void be_fpu_ts(int set);
// 1 when the guest's tables (identity while its paging is off) map va to its RAM, so the wedge
// may read va without a fault the guest did not cause (lidt does not read the table it loads).
int be_guest_readable(u32 va);
// lidt loaded an IDT whose entry 8 is a task gate to TSS selector tss_sel (Linux's double-fault
// gate): the wedge switches no tasks, so the back-end makes sure a double fault would stop the
// domain naming it (README.md, "Double fault"). Called at the load, never per trap.
void be_double_fault_task(u32 tss_sel);

// Segment registers (0 es, 1 cs, 2 ss, 3 ds, 4 fs, 5 gs): load the guest's selector, read the
// one the guest believes is loaded.
void be_write_sreg(u32 s, u32 sel);
u32 be_read_sreg(u32 s);
// lss: the guest loads SS with sel. Returns the selector the wedge's own lss puts in the real SS
// and sets *base to the linear base of the new stack.
u32 be_lss(u32 sel, u32 *base);

// Ports the wedge does not emulate: passed to the hypervisor (direct device access).
u32 be_port_in(u32 port, u32 size);
void be_port_out(u32 port, u32 size, u32 value);

// Interrupt delivery: deliver what is pending now, virtual interrupts being on (called, in
// assembly: preserves every register and the flags; the guest's handler runs and returns
// here), or wait for the next event with virtual interrupts on.
void be_force_upcall(void);
void be_block(void);
u64 be_time_ns(void);
void be_set_timer(u64 deadline_ns);   // 0 cancels

// Directly assigned devices' interrupt lines: the guest unmasked `irq` at the virtual PIC (the
// back-end connects the physical line, once), and the guest ended the handling of `irq` there
// (the back-end acknowledges the physical line: at the guest's EOI, or at its unmask when it
// EOIed the line masked, so the device has been served first). The back-end raises them with
// pic_raise.
void be_irq_unmasked(u32 irq);
void be_irq_eoi(u32 irq);

// The split network device (device pre-virtualization, DEV=virt): connect the front half's two
// shared rings to the hypervisor's back half (filling n: the rings, the station address); 0 or
// < 0 when there is none. notify: an event to the back half (new requests). be_wedge_phys: the
// physical address of the wedge's own memory (its receive buffers).
struct netif;
int be_netif_connect(struct netif *n);
void be_netif_notify(void);
u32 be_wedge_phys(const void *va);
// 1 if the guest's tables map the page at va to the emulated NIC's registers.
int be_device_page(u32 va);

// The entry point the stubs (ia32/stubs.S) jump to, in assembly: be_iret with the guest's iret
// frame on the stack (EIP, CS, EFLAGS [, ESP, SS]) does the return the way the hypervisor
// allows. A back-end's traps enter the front-end through ia32/trap.h.

#endif
