// The kernel's interrupt thread: a second thread of the kernel task at a higher priority than
// main (ThreadControl + Schedule). It is the handler of the attached IRQ lines, keeps the timer
// with its receive timeout (the PIT stand-in's period), and is main's pager for user-half
// addresses (the kernel touching process memory: mapped from the direct map, see mmu.c). An
// interrupt is marked pending and then handed to main the way its state allows:
//   main in an open receive (idle, or waiting for a process): halt the process's thread if one
//     runs (its EIP, ESP and EFLAGS become the interrupt frame) and send main a notification;
//   main running kernel code with the virtual IF set: redirect it with ExchangeRegisters to
//     l4pv_irq_entry, with EIP, a kernel CS mark and EFLAGS pushed on its stack;
//   otherwise: leave it pending for the next virtual sti (virq.c) or the way back to user.
#include "../../arch.h"
#include "../../defs.h"
#include "../../memlayout.h"
#include "l4pv.h"

#define IRQ_PRIORITY 200
#define POLL_US 1

l4_word l4pv_irq_tid;
volatile l4_word l4pv_user_out;
volatile u32 l4pv_main_open_wait;
volatile u32 l4pv_notified;
volatile struct l4pv_halted l4pv_halted;
// How interrupts reached main (read by the tests from guest memory): redirected kernel code,
// halted processes, notified open receives.
u32 l4pv_stat_redirect, l4pv_stat_halt, l4pv_stat_notify;
static u32 irq_stack[1024] __attribute__((aligned(16)));
static u64 deadline_ns;          // next timer tick, in system-clock ns
static u32 timer_period;         // the period the deadline runs at (0: no timer)

static u64 now_ns(void) { return l4_system_clock() * 1000ull; }

// Halt the process thread main waits for, unless its own exception or fault message is already
// on its way to main (then main gets that first and the interrupt on the way back to user).
static void halt_process(l4_word t)
{
  struct l4_regs r;
  l4_exchange_registers(t, 0, 0, &r);
  if (r.state & (L4_XS_SENDING | L4_XS_FAULTING | L4_XS_RECEIVING | L4_XS_HALTED))
    return;
  l4_exchange_registers(t, L4_XR_HALT, 0, &r);
  l4pv_halted.eip = r.eip;
  l4pv_halted.esp = r.esp;
  l4pv_halted.eflags = r.eflags;
  l4pv_halted.tid = t;
  l4pv_stat_halt++;
}

static void redirect_main(const struct l4_regs *old)
{
  u32 *sp = (u32 *)old->esp;
  sp[-1] = old->eflags | FL_IF;
  sp[-2] = KERNEL_CS;
  sp[-3] = old->eip;
  virq_on = 0;
  struct l4_regs in = { .eip = (u32)l4pv_irq_entry, .esp = (u32)(sp - 3) };
  if (!l4_exchange_registers(L4_MAIN, L4_XR_SET_ESP | L4_XR_SET_EIP, &in, 0))
    l4pv_fatal("ExchangeRegisters on main failed: error", L4_UTCB->error_code);
  l4pv_stat_redirect++;
}

// Hand pending interrupts to main if its state allows; returns 1 if main is between announcing
// an open receive and entering it (poll again very soon).
static int try_deliver(void)
{
  if (!l4pv_deliverable() || l4pv_notified)
    return 0;
  struct l4_regs old;
  l4_exchange_registers(L4_MAIN, 0, 0, &old);
  if (l4pv_main_open_wait) {
    if (!(old.state & L4_XS_RECEIVING))
      return 1;
    l4_word t = l4pv_user_out;
    if (t)
      halt_process(t);
    l4pv_notified = 1;
    l4pv_stat_notify++;
    L4_UTCB->mr[0] = L4_TAG(LABEL_NOTIFY, 0, 0);
    l4_word err;
    l4_send(L4_MAIN, &err);
    if (err)
      l4pv_fatal("notifying main failed: error", err);
    return 0;
  }
  if (virq_on && old.state == 0)
    redirect_main(&old);
  return 0;
}

// Main touched a user-half address: map the page the loaded directory names there from the
// direct map. The kernel only touches user memory it checked (uvm_check), so anything else
// is a kernel bug.
static void main_fault(u32 addr, u32 eip)
{
  u32 pte;
  if (addr >= KERNBASE || !l4pv_user_pte(l4pv_cur_pgdir, addr, &pte) || !(pte & PTE_P))
    l4pv_fatal("kernel page fault outside the direct map at", addr);
  (void)eip;
  l4pv_alias_mapped = 1;
  L4_UTCB->mr[0] = L4_TAG(0, 2, 0);
  L4_UTCB->mr[1] = L4_MAP_ITEM0(PGROUNDDOWN(addr));
  L4_UTCB->mr[2] = L4_FPAGE(KERNBASE + PTE_ADDR(pte), 12, L4_RWX);
  l4_word err;
  l4_send(L4_MAIN, &err);
  if (err)
    l4pv_fatal("page-fault reply to main failed: error", err);
}

static void ack_lines(void)
{
  u32 lines = __atomic_exchange_n(&l4pv_ack_wanted, 0, __ATOMIC_SEQ_CST);
  for (int irq = 0; irq < NIRQ; irq++) {
    if (!(lines & (1u << irq)))
      continue;
    L4_UTCB->mr[0] = 0;
    l4_send(L4_IRQ_TID(irq), 0);
  }
}

static void timer_update(void)
{
  if (l4pv_timer_period_ns && !timer_period) {
    timer_period = l4pv_timer_period_ns;
    deadline_ns = now_ns() + timer_period;
  }
}

static void timer_expired(void)
{
  u64 now = now_ns();
  if (!timer_period || now < deadline_ns)
    return;
  __atomic_or_fetch(&irq_pending, 1u, __ATOMIC_SEQ_CST);
  deadline_ns += timer_period;
  if (deadline_ns <= now)
    deadline_ns = now + timer_period;
}

static void irq_thread(void)
{
  for (;;) {
    int poll = try_deliver();
    l4_word timeout = L4_NEVER;
    if (timer_period)
      timeout = pv_div64(deadline_ns + 999, 1000) | 1;   // never reads as 0 ("poll")
    if (poll) {
      l4_word soon = (l4_word)(l4_system_clock() + POLL_US) | 1;
      if (timeout == L4_NEVER || (int)(soon - timeout) < 0)
        timeout = soon;
    }
    L4_UTCB->br[0] = L4_NIL_FPAGE;
    l4_word err;
    l4_word from = l4_wait(timeout, &err);
    if (err) {
      if (L4_ERR_CODE(err) != L4_ERR_TIMEOUT)
        l4pv_fatal("interrupt thread receive failed: error", err);
      timer_expired();
      continue;
    }
    u32 label = L4_TAG_LABEL(L4_UTCB->mr[0]);
    if (L4_TNUM(from) < NIRQ && label == L4_LABEL_INTERRUPT) {
      u32 bit = 1u << L4_TNUM(from);
      __atomic_or_fetch(&l4pv_irq_unacked, bit, __ATOMIC_SEQ_CST);
      __atomic_or_fetch(&irq_pending, bit, __ATOMIC_SEQ_CST);
    } else if (from == L4_MAIN && L4_IS_PAGEFAULT(label)) {
      main_fault(L4_UTCB->mr[1], L4_UTCB->mr[2]);
    } else if (from == L4_MAIN && label == LABEL_KICK) {
      ack_lines();
      timer_update();
    }
  }
}

// Main asks the interrupt thread to acknowledge lines and to look at the timer again. A plain
// send: the interrupt thread is always receiving when main runs (it has the higher priority).
void l4pv_kick(void)
{
  u32 flags = arch_irq_save();
  L4_UTCB->mr[0] = L4_TAG(LABEL_KICK, 0, 0);
  l4_word err;
  l4_send(l4pv_irq_tid, &err);
  arch_irq_restore(flags);
  if (err)
    panic("l4-pv: kick to the interrupt thread failed (error %u)", err);
}

void l4pv_irq_init(void)
{
  l4_word err;
  l4pv_irq_tid = L4_TID(l4pv_boot.first_free_thread);
  l4pv_next_thread = l4pv_boot.first_free_thread + 1;
  l4pv_last_thread = l4pv_boot.last_thread;
  if (!l4_thread_control(l4pv_irq_tid, L4_MAIN, L4_MAIN, &err))
    l4pv_fatal("creating the interrupt thread failed: error", err);
  if (!l4_schedule(l4pv_irq_tid, IRQ_PRIORITY))
    l4pv_fatal("Schedule for the interrupt thread failed: error", L4_UTCB->error_code);
  L4_UTCB->mr[0] = L4_TAG(0, 0, 2);
  L4_UTCB->mr[1] = (u32)irq_thread;
  L4_UTCB->mr[2] = (u32)&irq_stack[1020];
  l4_send(l4pv_irq_tid, &err);
  if (err)
    l4pv_fatal("starting the interrupt thread failed: error", err);
  if (!l4_thread_control(l4pv_irq_tid, l4pv_irq_tid, L4_SIGMA0, &err))
    l4pv_fatal("setting the interrupt thread's pager failed: error", err);
  if (!l4_thread_control(L4_MAIN, L4_MAIN, l4pv_irq_tid, &err))
    l4pv_fatal("making the interrupt thread main's pager failed: error", err);
}
