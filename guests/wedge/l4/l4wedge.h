// What the L4 back-end's files share: the task's layout (the wedge and its window on guest
// physical memory above VIRT_BASE, the guest kernel below), the two wedge threads, the events
// the monitor hands to main, and the frame main's entry stubs build (entry.S).
#ifndef WEDGE_L4WEDGE_H
#define WEDGE_L4WEDGE_H

#include "types.h"
#include "l4.h"

#define GUEST_KCS 0x08              // the guest kernel's own selectors (its GDT), virtual here
#define GUEST_KDS 0x10
#define V_IRQ 0x100                 // entry.S frame "vector": deliver a pending interrupt
#define T_GP 13
#define T_PF 14
#define T_SYSCALL 0x80
#define FL_IF_BIT 0x200u
#define V_DEV 0x102                 // entry.S frame "vector": an access to the emulated NIC's page

// The model's network server (emulator/hypervisors/l4/ABI.md section 13; DEV=virt).
#define L4_NETSERVER L4_TID(17)
#define L4_LABEL_NET_CONNECT 0xFF90u
#define L4_LABEL_NET_KICK 0xFF91u
#define L4_LABEL_NET_EVENT 0xFF92u

// Boot information and layout (boot.c).
extern const struct l4_bootinfo *l4_boot;
extern u32 l4_wedge_lo, l4_wedge_hi;    // the wedge's own text (a redirect never lands there)
extern u32 l4_window;                   // VA of guest physical 0 (the wedge's window)
extern u32 l4_guest_end;                // guest physical memory is [0, l4_guest_end)
extern l4_word l4_monitor_tid;
#define L4_PHYS(pa) ((void *)(l4_window + (pa)))

// The monitor's hand-over to main (monitor.c sets, entry.S and events.c read).
#define EV_TIMER (1u << 16)             // bits 0-15: IRQ lines
#define EV_NET (1u << 17)               // the network server's notification (DEV=virt)
extern volatile u32 l4_events;          // raw events not yet fed to the virtual PIC/PIT
extern volatile u32 l4_main_waits;      // main is (about to be) blocked waiting for the monitor
extern volatile u32 l4_rd_eip, l4_rd_eflags, l4_rd_vec, l4_rd_err;  // where main was redirected from
extern volatile u32 l4_timer_us;        // the virtual timer's deadline (µs, 0: none)
extern volatile u32 l4_irq_ack;         // lines main asked the monitor to acknowledge
extern volatile u32 l4_armed_us;        // the receive timeout the monitor waits with (0: none)

// entry.S (main's kernel-mode trap frame: struct tframe, ia32/trap.h)
void l4_irq_entry(void);                // redirect target: an interrupt at l4_rd_eip
void l4_exc_entry(void);                // redirect target: exception l4_rd_vec at l4_rd_eip
void l4_monitor_entry(void);
// Load the eight general registers (pushal order) and jump to `handler` with ESP = esp.
void l4_enter_kernel(const u32 *regs, u32 esp, u32 handler) __attribute__((noreturn));
extern u8 l4_monitor_stack_top[];

// The frame of the guest's iret to user mode, with the registers at the iret (user.c).
struct uframe {
  u32 edi, esi, ebp, oesp, ebx, edx, ecx, eax;
  u32 eip, cs, eflags, esp, ss;
};

// memory.c
void l4_memory_init(void);
int l4_walk(u32 va, int write, int user, u32 *pa, u32 *rights);  // 1: the guest maps va so
void l4_sigma0_map(u32 pa, u32 va, u32 len, u32 rights);        // σ0's frames at va, in the task
u32 l4_extent(u32 va, u32 pa, u32 rights);                      // log2 of a block to map at once
void l4_user_flush(void);                                        // the task's user half, unmapped
u32 l4_main_user_fill(u32 va, u32 pa, u32 rights, u32 s);      // main's user-half fault: map items
extern u32 l4_task_user_mapped;         // the task's user half may hold a mapping (CR3 load unmaps)
u32 l4_user_entry(u32 va);              // frame | rights a user access to va may map (0: none)
extern u32 l4_tlb_epoch;                // bumped by every CR3 load (user.c re-validates spaces)

// events.c
void l4_take_events(void);              // main: feed the monitor's events to the PIC/PIT
void l4_poke_monitor(void);             // main: the monitor must re-read timer and acks
void l4_ports_init(void);

// user.c
void l4_user_return(struct uframe *f) __attribute__((noreturn));
void l4_user_invlpg(u32 va);            // the current directory's process drops va
void l4_user_pt_changed(u32 pa, u32 old, u32 val);   // an announced page-table write at pa

// netif.c (DEV=virt)
int l4_netif_irq(u32 irq);              // 1: the line the emulated NIC raises itself

// monitor.c
void l4_monitor(void) __attribute__((noreturn));
void l4_monitor_start(void);

#endif
