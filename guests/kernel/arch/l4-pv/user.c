// Processes on L4: the way back to user mode and the way in. arch_trapret with a user frame
// comes here (entry.S): the loaded directory's L4 thread is resumed from the frame in the form
// its last stop needs (the u = 12 start message for a new thread, the exception reply with the
// frame's registers, an empty page-fault reply, or ExchangeRegisters resume for a thread the
// interrupt thread halted) and main waits. The next message becomes the next trap in the same
// frame: an exception IPC (int $0x80 arrives as #GP with error 0x402 at the int), a page-fault
// IPC the directory does not resolve, or the notification that an interrupt halted the thread.
#include "../../arch.h"
#include "../../defs.h"
#include "../../memlayout.h"
#include "l4pv.h"

#define T_BRKPT 3
#define T_OFLOW 4
#define T_GPFLT 13
#define T_PGFLT 14
#define T_SYSCALL 128

u32 l4pv_fault_addr;

static void put_regs(const struct trapframe *tf)
{
  volatile l4_word *mr = L4_UTCB->mr;
  mr[0] = L4_TAG(0, 0, L4_EXC_WORDS);
  mr[L4_EXC_EIP] = tf->eip;
  mr[L4_EXC_EFLAGS] = tf->eflags;
  mr[L4_EXC_NUMBER] = 0;
  mr[L4_EXC_ERROR] = 0;
  mr[L4_EXC_EDI] = tf->edi;
  mr[L4_EXC_ESI] = tf->esi;
  mr[L4_EXC_EBP] = tf->ebp;
  mr[L4_EXC_ESP] = tf->esp;
  mr[L4_EXC_EBX] = tf->ebx;
  mr[L4_EXC_EDX] = tf->edx;
  mr[L4_EXC_ECX] = tf->ecx;
  mr[L4_EXC_EAX] = tf->eax;
}

static void user_segments(struct trapframe *tf)
{
  tf->cs = USER_CS;
  tf->ds = tf->es = tf->fs = tf->gs = tf->ss = USER_DS;
}

// An exception message into the frame. The kernel's IDT gates are DPL 0 except int $0x80,
// so, as on hardware, int3 and into from user mode are #GP at the instruction.
static void take_exception(struct trapframe *tf)
{
  volatile l4_word *mr = L4_UTCB->mr;
  tf->eip = mr[L4_EXC_EIP];
  tf->eflags = mr[L4_EXC_EFLAGS];
  tf->edi = mr[L4_EXC_EDI];
  tf->esi = mr[L4_EXC_ESI];
  tf->ebp = mr[L4_EXC_EBP];
  tf->esp = mr[L4_EXC_ESP];
  tf->ebx = mr[L4_EXC_EBX];
  tf->edx = mr[L4_EXC_EDX];
  tf->ecx = mr[L4_EXC_ECX];
  tf->eax = mr[L4_EXC_EAX];
  user_segments(tf);
  u32 n = mr[L4_EXC_NUMBER], err = mr[L4_EXC_ERROR];
  if (n == T_GPFLT && err == ((T_SYSCALL << 3) | 2)) {
    tf->trapno = T_SYSCALL;
    tf->err = 0;
    tf->eip += 2;
  } else if (n == T_BRKPT || n == T_OFLOW) {
    tf->trapno = T_GPFLT;
    tf->err = (n << 3) | 2;
    tf->eip -= 1;
  } else {
    tf->trapno = n;
    tf->err = err;
  }
}

// A page fault the directory resolves is answered with the page; 0 then. Else it becomes the
// frame of a #PF (the error code the processor would push) and 1 is returned.
static int take_pagefault(struct trapframe *tf, struct l4pv_space *s, u32 label)
{
  u32 addr = L4_UTCB->mr[1], eip = L4_UTCB->mr[2], pte = 0;
  int write = (label & L4_W) != 0;
  u32 need = PTE_P | PTE_U | (write ? PTE_W : 0);
  if (addr < USERTOP && l4pv_user_pte(l4pv_cur_pgdir, addr, &pte) && (pte & need) == need &&
      PTE_ADDR(pte) < l4pv_direct_top) {
    L4_UTCB->mr[0] = L4_TAG(0, 2, 0);
    L4_UTCB->mr[1] = L4_MAP_ITEM0(PGROUNDDOWN(addr));
    L4_UTCB->mr[2] = L4_FPAGE(KERNBASE + PTE_ADDR(pte), 12, (pte & PTE_W) ? L4_RWX : L4_R | L4_X);
    return 0;
  }
  if (addr >= USERTOP)
    l4pv_user_pte(l4pv_cur_pgdir, addr, &pte);
  l4pv_fault_addr = addr;
  tf->eip = eip;
  user_segments(tf);
  tf->trapno = T_PGFLT;
  tf->err = (pte & PTE_P ? 1 : 0) | (write ? 2 : 0) | 4;
  s->state = SP_PAGEFAULT;
  return 1;
}

// Announce the open receive main is about to enter (from here on the interrupt thread halts s's
// thread and notifies main, polling until main receives). With check, first look at what came
// before: if an interrupt is pending, withdraw the announcement and return 1.
static int announce_wait(struct l4pv_space *s, int check)
{
  l4pv_user_out = s->tid;
  l4pv_main_open_wait = 1;
  asm volatile("" : : : "memory");
  if (!check || !l4pv_deliverable())
    return 0;
  l4pv_main_open_wait = 0;
  l4pv_user_out = 0;
  return 1;
}

// An interrupt is pending before main could wait: send what resumes s's thread (if anything:
// a thread halted before was resumed already), halt it at once and make its registers the
// interrupt frame. Its other registers stay in the halted thread.
static void halt_now(struct l4pv_space *s, struct trapframe *tf, l4_word to)
{
  struct l4_regs r;
  l4_word err;
  if (to != L4_NILTHREAD) {
    l4_send(to, &err);
    if (err)
      panic("l4-pv: resuming thread 0x%x failed (error %u)", s->tid, err);
  }
  l4_exchange_registers(s->tid, L4_XR_HALT, 0, &r);
  tf->eip = r.eip;
  tf->esp = r.esp;
  tf->eflags = r.eflags;
  user_segments(tf);
  s->state = SP_HALTED;
}

// Send what resumes s (the send phase), then receive; returns the sender, or 0 when an
// interrupt came first and s's thread is halted with tf as its interrupt frame.
static l4_word resume_and_wait(struct l4pv_space *s, struct trapframe *tf)
{
  l4_word to = s->tid, err;
  if (s->state == SP_NEW || s->state == SP_EXCEPTION) {
    put_regs(tf);
  } else if (s->state == SP_PAGEFAULT) {
    L4_UTCB->mr[0] = 0;
  } else if (s->state == SP_HALTED) {
    struct l4_regs in = { .eip = tf->eip, .esp = tf->esp, .eflags = tf->eflags };
    l4_exchange_registers(s->tid, L4_XR_RESUME | L4_XR_SET_EIP | L4_XR_SET_ESP | L4_XR_SET_EFLAGS,
                          &in, 0);
    to = L4_NILTHREAD;
  }
  s->state = SP_RUNNING;
  if (announce_wait(s, 1)) {
    halt_now(s, tf, to);
    return 0;
  }
  l4_word from = l4_ipc(to, L4_ANYTHREAD, L4_NEVER, &err);
  if (err)
    panic("l4-pv: resuming thread 0x%x failed (error %u)", s->tid, err);
  return from;
}

// Wait for s's thread again, after replying to it (reply_to) or not; 0 as resume_and_wait.
// Without a reply its own message is on the way: that comes first, the interrupt after it.
static l4_word wait_again(struct l4pv_space *s, struct trapframe *tf, l4_word reply_to)
{
  l4_word err;
  if (announce_wait(s, reply_to != L4_NILTHREAD)) {
    halt_now(s, tf, reply_to);
    return 0;
  }
  l4_word from = l4_ipc(reply_to, L4_ANYTHREAD, L4_NEVER, &err);
  if (err)
    panic("l4-pv: waiting for thread 0x%x failed (error %u)", s->tid, err);
  return from;
}

// Called with the virtual IF clear. Returns 1 with tf holding the next trap of this process
// for entry.S to run trap() on, or 0 when the interrupts that stopped it were handled already.
int l4pv_user_return(struct trapframe *tf)
{
  // Interrupts pending now are taken first, in this frame, as after an iret to user mode.
  while (l4pv_deliverable())
    l4pv_dispatch(tf);
  struct l4pv_space *s = l4pv_space_of(l4pv_cur_pgdir);
  l4_word from = resume_and_wait(s, tf);
  for (;;) {
    if (!from) {                        // halted before it ran: take the interrupts now
      l4pv_dispatch(tf);
      return 0;
    }
    l4pv_main_open_wait = 0;
    l4pv_user_out = 0;
    u32 label = L4_TAG_LABEL(L4_UTCB->mr[0]);
    if (from == l4pv_irq_tid && label == LABEL_NOTIFY) {
      l4pv_notified = 0;
      if (l4pv_halted.tid == s->tid) {
        l4pv_halted.tid = 0;
        tf->eip = l4pv_halted.eip;
        tf->esp = l4pv_halted.esp;
        tf->eflags = l4pv_halted.eflags;
        user_segments(tf);
        s->state = SP_HALTED;
        l4pv_dispatch(tf);
        return 0;                       // trap() ran: back through arch_trapret
      }
      from = wait_again(s, tf, L4_NILTHREAD);   // its own message is on the way: take it first
      continue;
    }
    if (from != s->tid) {
      from = wait_again(s, tf, L4_NILTHREAD);   // a stray message: not ours to handle
      continue;
    }
    if (label == L4_LABEL_EXCEPTION) {
      take_exception(tf);
      s->state = SP_EXCEPTION;
      if (tf->trapno == T_SYSCALL)
        arch_irq_enable();              // int $0x80 is a trap gate: the virtual IF stays set
      return 1;
    }
    if (L4_IS_PAGEFAULT(label)) {
      if (take_pagefault(tf, s, label))
        return 1;
      s->state = SP_RUNNING;
      from = wait_again(s, tf, s->tid);
      continue;
    }
    panic("l4-pv: thread 0x%x sent label 0x%x", s->tid, label);
  }
}
