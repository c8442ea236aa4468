// The scheduler: preemptive round robin over the process table. The timer tick charges the
// running process and asks for a reschedule when its slice is used up; schedule() picks the
// next runnable process after the current one and switches page directory, kernel stack,
// FS/GS and registers (Linux 2.6's switch_to). Process 0 is the idle loop (sti; hlt).
#include "defs.h"
#include "arch.h"
#include "proc.h"
#include "config.h"
#include "memlayout.h"
#include "net/socket.h"

#define SLICE_TICKS ((HZ + 999) / 1000)  // about one millisecond, at least one tick

struct proc *current;
volatile int need_resched;
volatile u32 ticks;
u32 nr_switches;
u32 idle_ticks;          // ticks that found the CPU in the idle loop, not in a handler
static struct proc *idle;

void sched_init(struct proc *idle_proc)
{
  idle = idle_proc;
  current = idle;
}

// Called from the timer interrupt, interrupts disabled.
void timer_tick(void)
{
  ticks++;
  current->nticks++;
  if (current == idle && irq_depth == 1)   // only the timer's own handler is running
    idle_ticks++;
  for (int i = 1; i < NPROC; i++) {
    struct proc *p = &procs[i];
    if ((p->state == SLEEPING || (p->state == BLOCKED && p->timed)) &&
        (int)(ticks - p->wake_tick) >= 0)
      sched_wakeup(p);
  }
  net_tick();
  if (current != idle && --current->slice <= 0)
    need_resched = 1;
}

// Make p runnable; the idle loop notices through need_resched. Interrupts disabled.
void sched_wakeup(struct proc *p)
{
  p->state = RUNNABLE;
  if (current == idle)
    need_resched = 1;
}

// The next runnable process after prev in table order, or prev if it may keep running,
// or the idle process.
static struct proc *pick_next(struct proc *prev)
{
  int start = prev - procs;
  for (int k = 1; k <= NPROC; k++) {
    struct proc *p = &procs[(start + k) % NPROC];
    if (p != idle && p->state == RUNNABLE)
      return p;
  }
  return idle;
}

static void switch_to(struct proc *prev, struct proc *next)
{
  prev->fs = arch_read_fs();
  prev->gs = arch_read_gs();
  arch_set_kernel_stack((u32)next->kstack + KSTACKSIZE);
  // Lazy TLB, as Linux: the idle loop runs on whatever page directory is loaded (every one maps
  // the kernel), so going idle and back to the same process loads no CR3 at all.
  u32 *want = next == idle ? vm_loaded() : next->pgdir;
  if (want != vm_loaded())
    vm_switch(want);
  if (prev->fs | next->fs)
    arch_write_fs(next->fs);
  if (prev->gs | next->gs)
    arch_write_gs(next->gs);
  current = next;
  next->nswitch++;
  nr_switches++;
  arch_switch_context(&prev->context, next->context);
}

// Give up the CPU; returns 1 if another process ran meanwhile. Interrupts are on when it
// returns (Linux: spin_lock_irq ... spin_unlock_irq around the run queue).
int schedule(void)
{
  arch_irq_disable();
  struct proc *prev = current;
  if (prev->state == RUNNING)
    prev->state = RUNNABLE;
  struct proc *next = pick_next(prev);
  need_resched = 0;
  next->state = RUNNING;
  next->slice = SLICE_TICKS;
  if (next != prev)
    switch_to(prev, next);
  arch_irq_enable();
  return next != prev;
}

void sched_sleep(u32 nticks)
{
  arch_irq_disable();
  current->wake_tick = ticks + nticks;
  current->state = SLEEPING;
  schedule();
}

// Wait for sched_wake(chan). Called with interrupts disabled, after the caller found its
// condition false; returns with interrupts disabled, and the caller checks again (Linux:
// prepare_to_wait; schedule; finish_wait, with the irq lock held around the check).
void sched_block(const void *chan)
{
  current->chan = chan;
  current->timed = 0;
  current->state = BLOCKED;
  schedule();
  arch_irq_disable();
}

// The same, but the timer also wakes it at tick `until`.
void sched_block_until(const void *chan, u32 until)
{
  current->chan = chan;
  current->timed = 1;
  current->wake_tick = until;
  current->state = BLOCKED;
  schedule();
  arch_irq_disable();
}

// Milliseconds to timer ticks, rounded up.
u32 ms_to_ticks(u32 ms)
{
  return (ms * HZ + 999) / 1000;
}

// Make every process blocked on chan runnable. Interrupts disabled.
void sched_wake(const void *chan)
{
  for (int i = 1; i < NPROC; i++) {
    struct proc *p = &procs[i];
    if (p->state == BLOCKED && p->chan == chan) {
      p->chan = NULL;
      sched_wakeup(p);
    }
  }
}

// The idle loop (Linux cpu_idle/default_idle): check for work with interrupts off, then
// enable and halt in one step so a wakeup between the check and the hlt is not lost.
void cpu_idle(void)
{
  for (;;) {
    while (!need_resched) {
      arch_irq_disable();
      if (!need_resched)
        arch_idle();
      else
        arch_irq_enable();
    }
    schedule();
  }
}
