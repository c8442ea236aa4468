// Guest processes on L4. Each guest page directory (virtual CR3) is one L4 address space with
// one thread whose pager and exception handler is main, at a priority below main's so that a
// wake-up from the monitor preempts it. When the guest irets to ring 3 (entry.S, be_iret),
// main resumes that thread the way it stopped and waits:
//   new               start message in the 12-word exception layout (every register)
//   exception         reply with the 12 words of the iret frame and registers
//   page fault        empty reply (the access restarts)
//   halted            ExchangeRegisters resume (its registers stayed in the thread)
// What comes back: an exception IPC (int $0x80 arrives as #GP with error 0x80 << 3 | 2 and EIP
// at the int: the guest sees vector 0x80 with EIP after it); a page fault the guest's tables
// allow (map the frame there from the wedge's window, and record it); a page fault they do not
// allow (a guest #PF, CR2); a wake-up from the monitor (halt the thread, deliver the
// interrupt). Each becomes the frame a ring 3 -> ring 0 trap pushes on the guest's TSS.esp0
// stack, and main jumps to the guest's handler with the process's registers where it has them.
// A process's space is its TLB and outlives address-space switches: the wedge records what it
// mapped there (address, frame, rights). A CR3 load bumps l4_tlb_epoch; before a process whose
// check is older runs again, each recorded page is compared with what its directory says now
// and those that differ are revoked (Unmap of the window page: that revokes the frame's
// mappings in every space, which is correct, merely pessimistic for the others). So no stale
// user translation survives a CR3 load, a reused directory page included; invlpg drops one.
#include "l4wedge.h"
#include "vcpu.h"
#include "backend.h"
#include "devices.h"
#include "stats.h"
#include "lib.h"
#include "trap.h"

#define NPROC 64
#define PROC_PRIO 50
#define USER_END 0xC0000000u
#define NREC 128                         // pages recorded per process space
#define UNMAP_MAX 64                     // flexpages per Unmap

enum { W_NEW, W_RUN, W_EXC, W_PF, W_STALE_EXC };

struct proc {
  u32 cr3;                               // the guest directory; 0: free slot
  l4_word tid;
  u8 wait, halted;
  u32 eip;                               // where it stopped (page fault, halt)
  u32 msg[L4_EXC_WORDS + 1];             // a stale exception message, to replay
  u32 epoch;                             // l4_tlb_epoch when the space was last checked
  u32 nrec;
  struct { u32 va, map; } rec[NREC];     // what the space maps: page, frame | rights
};

static struct proc procs[NPROC];
static struct uframe uf;                 // the last iret to user mode
static u32 kregs[8];                     // registers for the guest handler (pushal order)
static l4_word main_tid;

static struct proc *by_tid(l4_word tid)
{
  for (u32 i = 0; i < NPROC; i++)
    if (procs[i].cr3 && procs[i].tid == tid)
      return &procs[i];
  return NULL;
}

// Revoke window pages (frame | rights words): mappings derived from them, in every space.
static u32 revoke_n;
static void revoke_flush(void)
{
  if (!revoke_n)
    return;
  STAT(HYPERCALLS);
  l4_unmap(revoke_n, 0);
  revoke_n = 0;
}

static void revoke(u32 map)
{
  L4_UTCB->mr[revoke_n++] = L4_FPAGE(l4_window + PGROUNDDOWN(map), 12, L4_RWX);
  if (revoke_n == UNMAP_MAX)
    revoke_flush();
}

// An announced write changed the page-table entry at guest physical pa from old to val. A
// table entry that mapped a frame and now maps another, or fewer rights, is revoked from every
// space at once (what the re-validation would find); a changed entry of a directory some space
// belongs to affects a whole 4 MiB, so those spaces are re-validated before they run again.
void l4_user_pt_changed(u32 pa, u32 old, u32 val)
{
  if (!(old & 1))
    return;                              // nothing was mapped: nothing to take back
  int same = (val & 1) && PGROUNDDOWN(val) == PGROUNDDOWN(old) && !(old & ~val & 6);
  if (same)
    return;
  for (u32 i = 0; i < NPROC; i++)
    if (procs[i].cr3 && PGROUNDDOWN(procs[i].cr3) == PGROUNDDOWN(pa)) {
      l4_tlb_epoch++;
      return;
    }
  if (PGROUNDDOWN(pa) == PGROUNDDOWN(vcpu.cr3))
    return;                              // a slot of main's directory: its own faults re-walk
  if (PGROUNDDOWN(old) < l4_guest_end) {
    STAT(PT_UPDATES);
    revoke(old);
    revoke_flush();
  }
}

// Does the guest still give user mode what rec says (the same frame, at least those rights)?
static int still_valid(u32 va, u32 map)
{
  u32 now = l4_user_entry(va);
  return now && PGROUNDDOWN(now) == PGROUNDDOWN(map) && (map & ~now & L4_RWX) == 0;
}

// Compare every page p's space holds with its directory now; revoke those that changed.
static void validate(struct proc *p)
{
  u32 n = 0;
  for (u32 i = 0; i < p->nrec; i++) {
    if (still_valid(p->rec[i].va, p->rec[i].map))
      p->rec[n++] = p->rec[i];
    else
      revoke(p->rec[i].map);
  }
  revoke_flush();
  p->nrec = n;
  p->epoch = l4_tlb_epoch;
}

static void record(struct proc *p, u32 va, u32 map)
{
  for (u32 i = 0; i < p->nrec; i++)
    if (p->rec[i].va == va) {
      p->rec[i].map = map;
      return;
    }
  if (p->nrec == NREC) {                 // full: start the space over
    for (u32 i = 0; i < p->nrec; i++)
      revoke(p->rec[i].map);
    revoke_flush();
    p->nrec = 0;
  }
  p->rec[p->nrec].va = va;
  p->rec[p->nrec++].map = map;
}

static void destroy(struct proc *p)
{
  l4_word err;
  STAT(HYPERCALLS);
  l4_thread_control(p->tid, 0, L4_NILTHREAD, &err);
  p->cr3 = 0;
}

static void create(struct proc *p, u32 cr3)
{
  l4_word err;
  p->cr3 = cr3;
  p->tid = L4_TID(l4_boot->first_free_thread + 1 + (u32)(p - procs));
  p->wait = W_NEW;
  p->halted = 0;
  p->nrec = 0;                           // a new space maps nothing
  p->epoch = l4_tlb_epoch;
  STAT(HYPERCALLS);
  if (!l4_thread_control(p->tid, p->tid, main_tid, &err))
    wpanic("ThreadControl(process 0x%x): error %u", p->tid, err);
  if (!l4_schedule(p->tid, PROC_PRIO))
    wpanic("Schedule(process 0x%x) failed", p->tid);
}

// The process of the current directory. A full table recycles a thread whose state the next
// iret rebuilds completely (one waiting for an exception reply, or never started).
static struct proc *current(void)
{
  u32 cr3 = PGROUNDDOWN(vcpu.cr3);
  struct proc *free = NULL, *spare = NULL;
  for (u32 i = 0; i < NPROC; i++) {
    struct proc *p = &procs[i];
    if (p->cr3 == cr3)
      return p;
    if (!p->cr3 && !free)
      free = p;
    if (p->cr3 && !p->halted && (p->wait == W_EXC || p->wait == W_NEW) && !spare)
      spare = p;
  }
  if (!free && spare) {
    destroy(spare);
    free = spare;
  }
  if (!free)
    wpanic("more than %u guest processes are stopped mid-instruction", NPROC);
  create(free, cr3);
  return free;
}

// The 12-word layout (ABI.md section 5) from the iret frame and the registers at the iret.
static void frame_words(volatile l4_word *mr)
{
  mr[L4_EXC_EIP] = uf.eip;
  mr[L4_EXC_EFLAGS] = uf.eflags;
  mr[L4_EXC_NUMBER] = 0;
  mr[L4_EXC_ERROR] = 0;
  mr[L4_EXC_EDI] = uf.edi;
  mr[L4_EXC_ESI] = uf.esi;
  mr[L4_EXC_EBP] = uf.ebp;
  mr[L4_EXC_ESP] = uf.esp;
  mr[L4_EXC_EBX] = uf.ebx;
  mr[L4_EXC_EDX] = uf.edx;
  mr[L4_EXC_ECX] = uf.ecx;
  mr[L4_EXC_EAX] = uf.eax;
}

// Prepare the message that resumes p; returns the thread to send it to (nilthread: none).
static l4_word resume(struct proc *p)
{
  volatile l4_word *mr = L4_UTCB->mr;
  if ((p->wait == W_PF || (p->halted && p->wait == W_RUN)) && p->eip != uf.eip) {
    destroy(p);                          // another program now has this directory: start over
    create(p, PGROUNDDOWN(vcpu.cr3));
  }
  l4_word to = p->tid;
  if (p->halted) {
    struct l4_regs in = { uf.eip, uf.esp, uf.eflags, 0 };
    l4_word ctl = L4_XR_RESUME | (p->wait == W_RUN ? L4_XR_SET_EIP | L4_XR_SET_ESP | L4_XR_SET_EFLAGS : 0);
    STAT(HYPERCALLS);
    l4_exchange_registers(p->tid, ctl, &in, NULL);
    p->halted = 0;
  }
  switch (p->wait) {
  case W_NEW:
  case W_EXC:
    mr[0] = L4_TAG(0, 0, L4_EXC_WORDS);
    frame_words(mr);
    break;
  case W_STALE_EXC:
    for (u32 i = 0; i <= L4_EXC_WORDS; i++)
      mr[i] = p->msg[i];
    mr[0] = L4_TAG(0, 0, L4_EXC_WORDS);
    break;
  case W_PF:
    mr[0] = L4_TAG(0, 0, 0);
    break;
  default:
    to = L4_NILTHREAD;
  }
  p->wait = W_RUN;
  return to;
}

static int idt_dpl(u32 vector)
{
  if (vector * 8 + 7 > vcpu.idt_limit || !vcpu.idt_base)
    return -1;
  return (*(const u32 *)(vcpu.idt_base + vector * 8 + 4) >> 13) & 3;
}

// Enter the guest's handler for `vector` as a trap from ring 3 would: the frame on the stack
// TSS.esp0 names, interrupts masked for an interrupt gate.
static __attribute__((noreturn)) void enter(u32 vector, int has_err, u32 err, u32 eip, u32 esp, u32 eflags)
{
  u32 handler;
  int intgate;
  if (!vcpu.tss_base)
    wpanic("trap %u from user mode before the guest loaded a TSS", vector);
  if (vcpu_gate(vector, &handler, &intgate) < 0)
    wpanic("trap %u at user eip 0x%08x: the guest has no gate for it", vector, eip);
  u32 *sp = (u32 *)*(volatile u32 *)(vcpu.tss_base + 4);
  *--sp = uf.ss;
  *--sp = esp;
  *--sp = eflags | FL_IF;
  *--sp = uf.cs;
  *--sp = eip;
  if (has_err)
    *--sp = err;
  vcpu_irq_mask = intgate ? 1 : 0;
  l4_enter_kernel(kregs, (u32)sp, handler);
}

static void regs_from_frame(void)
{
  const u32 *r = &uf.edi;
  for (u32 i = 0; i < 8; i++)
    kregs[i] = r[i];
}

static void regs_from_message(const volatile l4_word *mr)
{
  kregs[0] = mr[L4_EXC_EDI];
  kregs[1] = mr[L4_EXC_ESI];
  kregs[2] = mr[L4_EXC_EBP];
  kregs[3] = mr[L4_EXC_ESP];
  kregs[4] = mr[L4_EXC_EBX];
  kregs[5] = mr[L4_EXC_EDX];
  kregs[6] = mr[L4_EXC_ECX];
  kregs[7] = mr[L4_EXC_EAX];
}

// A #GP at a user-mode in/out that the guest's TSS I/O bitmap allows (Linux's ioperm: /init
// ends the run through the debug-exit port this way): the front-end's check and access
// (ia32/userio.c) on a frame of the message's registers; reply with EIP past it (1). 0: not such
// a fault (the process's EIP page is mapped in main's user half: the current directory's).
static int user_port_io(volatile l4_word *mr)
{
  struct tframe f = { 0 };
  f.eip = mr[L4_EXC_EIP];
  f.err = mr[L4_EXC_ERROR];
  f.eax = mr[L4_EXC_EAX];
  f.edx = mr[L4_EXC_EDX];
  if (!trap_user_io(&f))
    return 0;
  STAT(TRAPPED);
  mr[0] = L4_TAG(0, 0, L4_EXC_WORDS);
  mr[L4_EXC_EIP] = f.eip;
  mr[L4_EXC_EAX] = f.eax;
  return 1;
}

// An exception IPC from the current process: reflected into the guest (no return), or, for a
// port access the guest's I/O bitmap allows, done and answered (returns the thread to reply to).
static l4_word exception(struct proc *p)
{
  volatile l4_word *mr = L4_UTCB->mr;
  u32 vec = mr[L4_EXC_NUMBER], err = mr[L4_EXC_ERROR], eip = mr[L4_EXC_EIP];
  STAT(TRAPS);
  if (vec == T_GP && user_port_io(mr))
    return p->tid;
  p->wait = W_EXC;
  regs_from_message(mr);
  if (vec == T_GP && (err & 7) == 2 && idt_dpl(err >> 3) == 3)   // int n through a user gate
    enter(err >> 3, 0, 0, eip + 2, mr[L4_EXC_ESP], mr[L4_EXC_EFLAGS]);
  if (vec == 3 && idt_dpl(3) != 3) {     // int3 through a kernel-only gate: the CPU's #GP
    vec = T_GP;
    err = 3 << 3 | 2;
    eip -= 1;
  }
  int has_err = vec == 8 || (vec >= 10 && vec <= 14) || vec == 17;
  enter(vec, has_err, err, eip, mr[L4_EXC_ESP], mr[L4_EXC_EFLAGS]);
}

// A page fault: map it if the guest's tables allow it (returns the reply's receiver), else
// deliver the guest's #PF.
static l4_word page_fault(struct proc *p, u32 label)
{
  volatile l4_word *mr = L4_UTCB->mr;
  u32 addr = mr[1], eip = mr[2], write = label & L4_W, pa, rights;
  int r = l4_walk(addr, write, 1, &pa, &rights);
  if (r == 1 && addr >= USER_END)
    r = -1;                              // the guest's kernel half is never a process's
  if (r == 1) {
    u32 from = PGROUNDDOWN(addr);
    if (pa < l4_guest_end) {             // guest memory: from the window, recorded
      from = l4_window + pa;
      record(p, PGROUNDDOWN(addr), pa | rights);
    } else {                             // device memory: the task's page, which CR3 loads unmap
      l4_sigma0_map(pa, from, PGSIZE, rights);
      l4_task_user_mapped = 1;
    }
    mr[0] = L4_TAG(0, 2, 0);
    mr[1] = L4_MAP_ITEM0(addr);
    mr[2] = L4_FPAGE(from, 12, rights);
    STAT(PF_SHADOW);
    return p->tid;
  }
  STAT(PF_GUEST);
  p->wait = W_PF;
  p->eip = eip;
  struct l4_regs o;
  STAT(HYPERCALLS);
  l4_exchange_registers(p->tid, 0, NULL, &o);
  vcpu.cr2 = addr;
  regs_from_frame();
  enter(T_PF, 1, (r < 0 ? 1u : 0u) | (write ? 2u : 0u) | 4u, eip, o.esp, o.eflags);
  return L4_NILTHREAD;
}

// The monitor has something for the guest: stop the process where it is and deliver it.
static void interrupt(struct proc *p)
{
  l4_take_events();
  if (vcpu_irq_mask || !pic_pending())
    return;
  int v = pic_ack();
  if (v < 0)
    return;
  struct l4_regs o;
  STAT(HYPERCALLS);
  l4_exchange_registers(p->tid, L4_XR_HALT, NULL, &o);
  p->halted = 1;
  p->eip = o.eip;
  if (pic_pending())
    vcpu_irq_pending = 1;
  STAT(IRQS);
  vcpu_delivered++;
  regs_from_frame();
  enter((u32)v, 0, 0, o.eip, o.esp, o.eflags);
}

// A message from a process that is not the current one (it sent before it was halted): keep
// it, and replay it when the process runs again.
static void stale(struct proc *q, u32 label)
{
  if (label == L4_LABEL_EXCEPTION) {
    for (u32 i = 0; i <= L4_EXC_WORDS; i++)
      q->msg[i] = L4_UTCB->mr[i];
    q->wait = W_STALE_EXC;
  } else {
    q->wait = W_PF;
    q->eip = L4_UTCB->mr[2];
  }
}

void l4_user_return(struct uframe *f)
{
  main_tid = l4_boot->my_tid;
  uf = *f;
  vcpu_irq_mask = !(uf.eflags & FL_IF);
  struct proc *p = current();
  if (p->epoch != l4_tlb_epoch)
    validate(p);
  l4_word to = resume(p);
  for (;;) {
    if (!vcpu_irq_mask && (l4_events || pic_pending())) {
      if (to) {                          // let the reply go first; the thread stays ready
        l4_word err;
        STAT(HYPERCALLS);
        l4_send(to, &err);
        to = L4_NILTHREAD;
      }
      interrupt(p);
    }
    l4_word err;
    l4_main_waits = 1;
    STAT(HYPERCALLS);
    l4_word from = l4_ipc(to, L4_ANYTHREAD, L4_NEVER, &err);
    l4_main_waits = 0;
    if (err && L4_ERR_PHASE(err) == 0)
      wpanic("resume of process 0x%x failed: error 0x%x", to, err);
    to = L4_NILTHREAD;
    if (err || from == l4_monitor_tid)
      continue;
    u32 label = L4_TAG_LABEL(L4_UTCB->mr[0]);
    struct proc *q = by_tid(from);
    if (!q)
      wpanic("message 0x%x from an unknown thread 0x%x", L4_UTCB->mr[0], from);
    if (q != p) {
      stale(q, label);
      continue;
    }
    if (L4_IS_PAGEFAULT(label))
      to = page_fault(p, label);
    else if (label == L4_LABEL_EXCEPTION)
      to = exception(p);
    else
      wpanic("process 0x%x sent 0x%x", from, L4_UTCB->mr[0]);
  }
}

// invlpg: the current directory's space drops va if what it maps there is no longer the guest's.
void l4_user_invlpg(u32 va)
{
  u32 cr3 = PGROUNDDOWN(vcpu.cr3);
  for (u32 i = 0; i < NPROC; i++) {
    struct proc *p = &procs[i];
    if (p->cr3 != cr3)
      continue;
    for (u32 j = 0; j < p->nrec; j++)
      if (p->rec[j].va == va) {
        if (!still_valid(va, p->rec[j].map)) {
          revoke(p->rec[j].map);
          revoke_flush();
          p->rec[j] = p->rec[--p->nrec];
        }
        return;
      }
    return;
  }
}
