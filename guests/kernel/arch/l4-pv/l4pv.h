// State shared by the files of the l4-pv arch layer: the virtual interrupt flag, interrupts
// taken but not yet handled, and the hand-over between the kernel's main thread and its
// interrupt thread.
#ifndef L4PV_H
#define L4PV_H

#include "../../types.h"
#include "../pv/pv.h"
#include "l4.h"

struct trapframe;

#define LABEL_NOTIFY 0x0001u   // interrupt thread -> main: an interrupt is pending
#define LABEL_KICK   0x0002u   // main -> interrupt thread: acknowledge lines, re-read the timer

// virq.c
extern volatile u32 virq_on;           // the virtual IF of the main thread
extern volatile u32 irq_pending;       // lines taken, not yet run through trap()
int  l4pv_deliverable(void);
void l4pv_dispatch(struct trapframe *tf);
void l4pv_kernel_return(struct trapframe *tf);

// events.c: what the PIC and PIT stand-in (arch/pv/picpit.c) means on L4
extern volatile u32 l4pv_irq_unacked;  // lines delivered by L4 and not yet acknowledged
extern volatile u32 l4pv_ack_wanted;   // lines main asks the interrupt thread to acknowledge
extern volatile u32 l4pv_timer_period_ns; // 0: the timer is not running

// irqthread.c
extern l4_word l4pv_irq_tid;
extern volatile l4_word l4pv_user_out;     // the process thread main is waiting for, or 0
extern volatile u32 l4pv_main_open_wait;   // main is (about to be) in an open receive
extern volatile u32 l4pv_notified;         // a notification is on its way to main
struct l4pv_halted { l4_word tid; u32 eip, esp, eflags; };
extern volatile struct l4pv_halted l4pv_halted;
void l4pv_irq_init(void);
void l4pv_kick(void);
void l4pv_irq_entry(void);                 // entry.S: where a redirected main resumes

// mmu.c
extern u32 *l4pv_cur_pgdir;
extern u32 l4pv_direct_top;                // physical memory mapped at KERNBASE at start of day
extern volatile u32 l4pv_alias_mapped;     // main's user half holds pages of the loaded directory
extern l4_word l4pv_next_thread, l4pv_last_thread;
enum { SP_NEW, SP_RUNNING, SP_EXCEPTION, SP_PAGEFAULT, SP_HALTED };
struct l4pv_space { u32 pgdir_pa; l4_word tid; u32 state; };
struct l4pv_space *l4pv_space_of(u32 *pgdir);
int l4pv_user_pte(u32 *pgdir, u32 va, u32 *pte_out);

// user.c
extern u32 l4pv_fault_addr;

// start.c
extern struct l4_bootinfo l4pv_boot;
void l4pv_fatal(const char *what, u32 v);   // from any thread: print and stop the machine

#endif
