// The monitor: a second wedge thread in the task, of higher priority than main, that is main's
// pager and exception handler and the handler of the attached IRQ lines; its receive timeout
// is the virtual timer. It never touches the virtual devices: it records events in l4_events
// and sets vcpu_irq_pending, then gets main to look. Main running guest code with virtual
// interrupts on is redirected with ExchangeRegisters to l4_irq_entry; main blocked waiting
// (be_block, a guest process running) gets a wake-up message; main running the wedge, or
// masked, sees vcpu_irq_pending on its own way out (when it is on its way out with the mask
// clear, the monitor looks again a few µs later, as the wedge's text is never redirected).
// Main's page faults: the guest's tables (or identity, paging off) say which frame; σ0 maps it
// where main faulted; a fault the tables do not allow becomes a guest #PF. Main's exceptions
// are turned back into a jump to l4_exc_entry, where main emulates or reflects them.
#include "l4wedge.h"
#include "vcpu.h"
#include "backend.h"
#include "stats.h"
#include "lib.h"
#ifdef WEDGE_DEVVIRT
#include "dp83820.h"
#endif

#define MONITOR_PRIO 200
#define RECHECK_US 2
#define USER_END 0xC0000000u

l4_word l4_monitor_tid;
volatile u32 l4_events, l4_main_waits, l4_armed_us;
volatile u32 l4_rd_eip, l4_rd_eflags, l4_rd_vec, l4_rd_err;
static l4_word main_tid, reply_to;
static int recheck;

static u32 now_us(void) { return (u32)udiv64_32(be_time_ns(), 1000); }

static void exregs(l4_word control, u32 eip, struct l4_regs *old)
{
  struct l4_regs in = { eip, 0, 0, 0 };
  STAT(HYPERCALLS);
  if (!l4_exchange_registers(main_tid, control, &in, old))
    wpanic("ExchangeRegisters(main) failed");
}

// Something is pending for main: make it look.
static void signal_main(void)
{
  recheck = 0;
  if (!vcpu_irq_pending)
    return;
  if (l4_main_waits) {
    // Main is in (or about to enter) a receive the monitor's message ends: send the wake-up
    // without asking its state first. Not receiving yet, the send fails at once (a reply-and-
    // wait's send phase never blocks) and the monitor looks again shortly.
    if (!reply_to) {
      L4_UTCB->mr[0] = L4_TAG(0, 0, 0);
      reply_to = main_tid;               // the wake-up: the send phase of the next Ipc
      STAT(UPCALLS);
    } else {
      recheck = 1;
    }
    return;
  }
  if (vcpu_irq_mask)
    return;                              // the guest's sti/popf/iret (or a stub's exit) will see it
  // Redirect first and look at the old state after: main cannot run in between (the monitor's
  // priority is higher), so where the redirect was wrong it is undone before it takes effect.
  struct l4_regs o;
  exregs(L4_XR_SET_EIP, (u32)l4_irq_entry, &o);
  if ((o.state & (L4_XS_SENDING | L4_XS_RECEIVING | L4_XS_FAULTING | L4_XS_HALTED)) ||
      o.eip >= l4_wedge_lo) {
    exregs(L4_XR_SET_EIP, o.eip, NULL);  // in a system call (its message to us comes first) or
    recheck = 1;                         // in the wedge on its way out: look again shortly
    return;
  }
  l4_rd_eip = o.eip;
  l4_rd_eflags = o.eflags;
  STAT(UPCALLS);
}

static void raise_events(u32 ev)
{
  // One instruction, so no thread switch splits it; the model has one processor (ABI.md), so
  // it needs no lock prefix (a locked cycle costs extra).
  asm volatile("orl %1, %0" : "+m"(l4_events) : "r"(ev) : "memory");
  vcpu_irq_pending = 1;
}

// Main touched an address the task does not map yet.
static void main_fault(u32 label)
{
  u32 addr = L4_UTCB->mr[1], eip = L4_UTCB->mr[2], write = label & L4_W, pa, rights;
  if (addr >= l4_wedge_lo)
    wpanic("main: page fault at 0x%08x (eip 0x%08x) in the wedge's area", addr, eip);
  int r = l4_walk(addr, write, 0, &pa, &rights);
#ifdef WEDGE_DEVVIRT
  if (r == 1 && nic_owns(pa & ~(PGSIZE - 1)) && eip < l4_wedge_lo) {
    // The emulated NIC's page is never mapped: main does the access in the wedge (ktrap.c).
    struct l4_regs o;
    l4_rd_vec = V_DEV;
    l4_rd_err = addr;
    exregs(L4_XR_CANCEL_RECV | L4_XR_SET_EIP, (u32)l4_exc_entry, &o);
    l4_rd_eip = o.eip;
    l4_rd_eflags = o.eflags;
    return;
  }
#endif
  if (r == 1) {
    u32 s = l4_extent(addr, pa, rights), mask = (1u << s) - 1, t = 0;
    if (addr < USER_END && pa < l4_guest_end && (vcpu.cr0 & CR0_PG)) {
      t = l4_main_user_fill(addr, pa, rights, s);   // from the window, with the directory's hint
    } else {
      if (addr < USER_END)
        l4_task_user_mapped = 1;
      l4_sigma0_map(pa - (addr & mask & ~(PGSIZE - 1)), addr & ~mask, 1u << s, rights);
    }
    STAT(PF_SHADOW);
    L4_UTCB->mr[0] = L4_TAG(0, t, 0);
    reply_to = main_tid;
    return;
  }
  if (eip >= l4_wedge_lo)
    wpanic("page fault in the wedge at eip 0x%08x, address 0x%08x (%s)", eip, addr,
           r ? "not allowed" : "not mapped by the guest");
  STAT(PF_GUEST);
  vcpu.cr2 = addr;
  struct l4_regs o;
  l4_rd_vec = T_PF;
  l4_rd_err = (r < 0 ? 1u : 0u) | (write ? 2u : 0u);
  exregs(L4_XR_CANCEL_RECV | L4_XR_SET_EIP, (u32)l4_exc_entry, &o);
  l4_rd_eip = o.eip;
  l4_rd_eflags = o.eflags;
}

// Main raised an exception: resume it at l4_exc_entry with every register as it was.
static void main_exception(void)
{
  volatile l4_word *mr = L4_UTCB->mr;
  if (mr[L4_EXC_EIP] >= l4_wedge_lo)
    wpanic("exception %u in the wedge at eip 0x%08x, error %x", mr[L4_EXC_NUMBER], mr[L4_EXC_EIP],
           mr[L4_EXC_ERROR]);
  l4_rd_eip = mr[L4_EXC_EIP];
  l4_rd_eflags = mr[L4_EXC_EFLAGS];
  l4_rd_vec = mr[L4_EXC_NUMBER];
  l4_rd_err = mr[L4_EXC_ERROR];
  mr[0] = L4_TAG(0, 0, L4_EXC_WORDS);
  mr[L4_EXC_EIP] = (u32)l4_exc_entry;
  reply_to = main_tid;
}

// Acknowledge the lines main asked for. The last one is returned instead, to be the send
// phase of the monitor's next wait (one system call less per interrupt), if nothing else is.
static l4_word acknowledge(void)
{
  u32 ack = 0;
  if (l4_irq_ack)                        // the xchg is a locked cycle: only when there is something
    asm volatile("xchgl %0, %1" : "=r"(ack), "+m"(l4_irq_ack) : "0"(0u) : "memory");
  l4_word last = L4_NILTHREAD;
  for (u32 irq = 0; irq < 16; irq++) {
    if (!(ack & (1u << irq)))
      continue;
    if (last) {
      l4_word err;
      L4_UTCB->mr[0] = L4_TAG(0, 0, 0);
      STAT(HYPERCALLS);
      l4_ipc(last, L4_NILTHREAD, L4_ZERO, &err);
    }
    last = L4_IRQ_TID(irq);
  }
  return last;
}

static u64 rdtsc(void)
{
  u32 lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((u64)hi << 32) | lo;
}

// Has the deadline (µs) passed? now_us() >= t exactly when the cycle counter has reached
// t * MHz; that product is kept per deadline, so the check each time round is one rdtsc
// rather than two 64-bit divisions.
static int passed(u32 t)
{
  static u32 last_t;
  static u64 last_cycles;
  if (t != last_t) {
    last_t = t;
    last_cycles = (u64)t * (l4_boot->cpu_khz / 1000);
  }
  return rdtsc() >= last_cycles;
}

static void timer_check(void)
{
  u32 t = l4_timer_us;
  if (t && passed(t)) {
    l4_timer_us = 0;
    raise_events(EV_TIMER);
  }
}

void l4_monitor(void)
{
  for (;;) {
    l4_word ack = acknowledge();
    u32 timeout = l4_timer_us;
    if (recheck) {
      u32 soon = now_us() + RECHECK_US;
      if (!timeout || (s32)(soon - timeout) < 0)
        timeout = soon;
    }
    l4_armed_us = timeout;
    l4_word err, to = reply_to;
    reply_to = L4_NILTHREAD;
    if (ack && to) {                     // the send phase is the reply: acknowledge now, with
      l4_word e;                         // the reply's MRs (any message acknowledges, ABI.md
      STAT(HYPERCALLS);                  // section 6, and reads none of them)
      l4_ipc(ack, L4_NILTHREAD, L4_ZERO, &e);
    } else if (ack) {
      L4_UTCB->mr[0] = L4_TAG(0, 0, 0);
      to = ack;
    }
    STAT(HYPERCALLS);
    l4_word from = l4_ipc(to, L4_ANYTHREAD, timeout ? timeout : L4_NEVER, &err);
    l4_armed_us = 0;
    if (err && L4_ERR_PHASE(err) == 0) {
      if (to != main_tid || !vcpu_irq_pending)
        wpanic("monitor: send to 0x%x failed: error 0x%x", to, err);
      recheck = 1;                       // a wake-up main no longer waited for
      continue;
    }
    if (!err) {
      u32 label = L4_TAG_LABEL(L4_UTCB->mr[0]);
      if (L4_TNUM(from) < 16 && label == L4_LABEL_INTERRUPT) {
        raise_events(1u << L4_TNUM(from));
#ifdef WEDGE_DEVVIRT
      } else if (from == L4_NETSERVER && label == L4_LABEL_NET_EVENT) {
        raise_events(EV_NET);
#endif
      } else if (from == main_tid && L4_IS_PAGEFAULT(label)) {
        main_fault(label);
      } else if (from == main_tid && label == L4_LABEL_EXCEPTION) {
        main_exception();
      } else if (from != main_tid) {
        wpanic("monitor: unexpected message 0x%x from 0x%x", L4_UTCB->mr[0], from);
      }                                  // else main's poke: timer and acks are re-read above
    }
    timer_check();
    if (reply_to != main_tid)
      signal_main();
    else if (vcpu_irq_pending)
      recheck = 1;                       // main resumes after the reply: look again then
  }
}

// Create the monitor in our task, above main's priority, start it, and make it main's pager.
void l4_monitor_start(void)
{
  l4_word err;
  main_tid = l4_boot->my_tid;
  l4_monitor_tid = L4_TID(l4_boot->first_free_thread);
  STAT(HYPERCALLS);
  if (!l4_thread_control(l4_monitor_tid, main_tid, main_tid, &err))
    wpanic("ThreadControl(monitor): error %u", err);
  if (!l4_schedule(l4_monitor_tid, MONITOR_PRIO))
    wpanic("Schedule(monitor) failed");
  L4_UTCB->mr[0] = L4_TAG(0, 0, 2);
  L4_UTCB->mr[1] = (u32)l4_monitor_entry;
  L4_UTCB->mr[2] = (u32)l4_monitor_stack_top;
  if (l4_send(l4_monitor_tid, &err), err)
    wpanic("start of the monitor: error 0x%x", err);
  // The start message comes from the pager (main); afterwards σ0 pages the monitor, whose
  // memory (the wedge, the window) is all mapped already.
  if (!l4_thread_control(l4_monitor_tid, l4_monitor_tid, l4_boot->sigma0_tid, &err))
    wpanic("ThreadControl(monitor, pager = sigma0): error %u", err);
  if (!l4_thread_control(main_tid, main_tid, l4_monitor_tid, &err))
    wpanic("ThreadControl(main, pager = monitor): error %u", err);
}
