// A privileged task for the L4 model: it exercises the system calls, σ0, page faults, exceptions
// and interrupts as IPC, and prints what it observes on the UART (ports from σ0), one fact per
// line as key=0x%08x, for test/hypervisors/l4.test.ts to check. The command line picks a
// scenario: basic (default), refuse-reserved, refuse-pic, map-kernel.
#include "l4.h"

typedef unsigned int u32;
typedef unsigned char u8;

#define CHILD      L4_TID(40)
#define CHILD_DATA 0x10000000u
#define WINDOW     0x40000000u
#define RW         (L4_R | L4_W)

extern char regs_thread[];
void measure_syscall(u32 *out);
volatile u32 started_eax, started_ebx, started_esp;
extern char child_entry[], child_store1[], child_int80[], child_int30[], child_spin[], child_spin_end[];
static struct l4_bootinfo *bi;
// Counters in the wedge-statistics layout (magic, version, N, N words; names after), so the
// model's reader can be checked when this task is booted as a wedge.
u32 wedge_stats[5] = { 0x57454447, 1, 2, 7, 9 };
const char wedge_stat_names[] = "alpha\0beta";
static u8 childbuf[4096] __attribute__((aligned(4096)));

// ---- console and exit ----
static void outb(u32 port, u8 v) { asm volatile("outb %0, %w1" : : "a"(v), "Nd"(port)); }
static u8 inb(u32 port) { u8 v; asm volatile("inb %w1, %0" : "=a"(v) : "Nd"(port)); return v; }
static void outl(u32 port, u32 v) { asm volatile("outl %0, %w1" : : "a"(v), "Nd"(port)); }
static void putc_(char c) { while (!(inb(0x3fd) & 0x20)) {} outb(0x3f8, (u8)c); }
static void puts_(const char *s) { while (*s) putc_(*s++); }
static void puthex(u32 v) { puts_("0x"); for (int i = 0; i < 8; i++) putc_("0123456789abcdef"[(v >> (28 - 4 * i)) & 15]); }
static void kv(const char *k, u32 v) { puts_(k); puts_("="); puthex(v); puts_("\n"); }
static void exit_(u32 v) { outl(0xf4, v); for (;;) {} }
static int prefix(const char *s, const char *p) { while (*p) if (*s++ != *p++) return 0; return 1; }
static int has(const char *s, const char *w) { for (; *s; s++) if (prefix(s, w)) return 1; return 0; }

static u32 now_us(void) { return (u32)l4_system_clock(); }

// Receive from `from` until the absolute time `until`; returns the error code.
static u32 wait_from(l4_word from, l4_word until, l4_word *sender) {
  l4_word err, s = l4_ipc(L4_NILTHREAD, from, until, &err);
  if (sender) *sender = s;
  return err;
}

// ---- the child: started, paged and its exceptions handled by main ----
static void reply_map(l4_word send_base, l4_word fpage, l4_word timeout, l4_word *err) {
  L4_UTCB->mr[0] = L4_TAG(0, 2, 0);
  L4_UTCB->mr[1] = L4_MAP_ITEM0(send_base);
  L4_UTCB->mr[2] = fpage;
  l4_ipc(CHILD, CHILD, timeout, err);
}

static void child_tests(const char *cmd) {
  l4_word err, r, from;
  r = l4_thread_control(CHILD, CHILD, L4_MAIN, &err);
  kv("tc_create", r);
  kv("tc_low", l4_thread_control(L4_TID(20), L4_TID(20), L4_MAIN, &err));
  kv("tc_low_err", err);
  kv("tc_badspace", l4_thread_control(L4_TID(41), L4_TID(77), L4_MAIN, &err));
  kv("tc_badspace_err", err);
  kv("schedule", l4_schedule(CHILD, 50));
  L4_UTCB->mr[0] = L4_TAG(0, 0, 2);
  L4_UTCB->mr[1] = (l4_word)child_entry;
  L4_UTCB->mr[2] = CHILD_DATA + 0x1000;
  l4_send(CHILD, &err);
  kv("start_err", err);

  // 1. the fetch of child_entry.
  err = wait_from(CHILD, L4_NEVER, &from);
  kv("pf1_from", from);
  kv("pf1_label", L4_TAG_LABEL(L4_UTCB->mr[0]));
  kv("pf1_u", L4_TAG_U(L4_UTCB->mr[0]));
  kv("pf1_addr_ok", L4_UTCB->mr[1] == (l4_word)child_entry);
  kv("pf1_eip_ok", L4_UTCB->mr[2] == (l4_word)child_entry);
  l4_word code = (l4_word)child_entry & ~0xfffu;
  if (has(cmd, "map-kernel")) reply_map(0xFC002000u, L4_FPAGE(code, 12, L4_R | L4_X), L4_NEVER, &err);
  reply_map(code, L4_FPAGE(code, 12, L4_R | L4_X), L4_NEVER, &err);

  // 2. the write to CHILD_DATA: map childbuf there.
  kv("pf2_label", L4_TAG_LABEL(L4_UTCB->mr[0]));
  kv("pf2_addr", L4_UTCB->mr[1]);
  kv("pf2_eip_ok", L4_UTCB->mr[2] == (l4_word)child_store1);
  reply_map(CHILD_DATA, L4_FPAGE((l4_word)childbuf, 12, L4_R | L4_W), L4_NEVER, &err);

  // 3. int $0x80: #GP with the int's error code, at the int.
  volatile l4_word *mr = L4_UTCB->mr;
  kv("exc_label", L4_TAG_LABEL(mr[0]));
  kv("exc_u", L4_TAG_U(mr[0]));
  kv("exc_eip_ok", mr[L4_EXC_EIP] == (l4_word)child_int80);
  kv("exc_number", mr[L4_EXC_NUMBER]);
  kv("exc_error", mr[L4_EXC_ERROR]);
  kv("exc_eax", mr[L4_EXC_EAX]);
  kv("exc_ebx", mr[L4_EXC_EBX]);
  kv("exc_ecx", mr[L4_EXC_ECX]);
  kv("exc_edx", mr[L4_EXC_EDX]);
  kv("exc_esi", mr[L4_EXC_ESI]);
  kv("exc_edi", mr[L4_EXC_EDI]);
  kv("exc_ebp", mr[L4_EXC_EBP]);
  kv("exc_if", (mr[L4_EXC_EFLAGS] >> 9) & 1);
  kv("data_first", *(volatile u32 *)childbuf);
  mr[0] = L4_TAG(0, 0, 12);
  mr[L4_EXC_EIP] += 2;
  mr[L4_EXC_EAX] = 0xaaaa;
  mr[L4_EXC_EBX] = 0xbbbb;
  l4_ipc(CHILD, CHILD, L4_NEVER, &err);

  // 4. int $0x30 from an unprivileged space: an exception, not a system call.
  kv("sys_label", L4_TAG_LABEL(mr[0]));
  kv("sys_eip_ok", mr[L4_EXC_EIP] == (l4_word)child_int30);
  kv("sys_error", mr[L4_EXC_ERROR]);
  kv("sys_eax", mr[L4_EXC_EAX]);
  kv("ret_eax", ((volatile u32 *)childbuf)[1]);
  kv("ret_ebx", ((volatile u32 *)childbuf)[2]);
  kv("ret_ebp", ((volatile u32 *)childbuf)[3]);
  mr[0] = L4_TAG(0, 0, 12);
  mr[L4_EXC_EIP] += 2;
  l4_word t0 = now_us();
  l4_ipc(CHILD, CHILD, t0 + 50, &err);     // the child now spins: this receive times out
  kv("spin_timeout_err", err);
  kv("spin_waited_ok", now_us() - t0 >= 50);

  // 5. ExchangeRegisters: halt, the counter stops; resume, it moves.
  struct l4_regs out;
  r = l4_exchange_registers(CHILD, L4_XR_HALT, 0, &out);
  kv("xr_ret", r);
  kv("xr_state", out.state);
  kv("xr_eip_ok", out.eip >= (l4_word)child_spin && out.eip < (l4_word)child_spin_end);
  r = l4_exchange_registers(CHILD, 0, 0, &out);
  kv("xr_state_halted", out.state);
  volatile u32 *counter = (volatile u32 *)(childbuf + 16);
  u32 c1 = *counter;
  t0 = now_us();
  err = wait_from(CHILD, t0 + 100, 0);
  u32 t1 = now_us();
  kv("timeout_err", err);
  kv("timeout_elapsed_ok", t1 - t0 >= 100 && t1 - t0 < 200);
  kv("halted_still", *counter == c1);
  l4_exchange_registers(CHILD, L4_XR_RESUME, 0, 0);
  wait_from(CHILD, now_us() + 100, 0);
  kv("resumed_moves", *counter != c1);

  // 6. Unmap childbuf (rights only, no flush): the child's mapping goes, ours stays.
  L4_UTCB->mr[0] = L4_FPAGE((l4_word)childbuf, 12, L4_RWX);
  l4_unmap(1, 0);
  err = wait_from(CHILD, L4_NEVER, &from);
  kv("refault_from", from);
  kv("refault_label", L4_TAG_LABEL(L4_UTCB->mr[0]));
  kv("refault_addr", L4_UTCB->mr[1]);
  kv("own_still_mapped", *(volatile u32 *)childbuf);
  r = l4_exchange_registers(CHILD, L4_XR_HALT, 0, &out);
  kv("xr_state_faulting", out.state);

  // 7. Delete it: the space goes with it.
  kv("tc_delete", l4_thread_control(CHILD, 0, 0, &err));
  kv("xr_deleted", l4_exchange_registers(CHILD, 0, 0, 0));
}

// ---- threads of this task: intra-space IPC, priorities, ThreadSwitch, deletion ----
#define WORKER  L4_TID(50)
#define STRANGER L4_TID(52)
#define HIGH    L4_TID(53)
#define YIELDER L4_TID(54)
#define REGS    L4_TID(55)
static u32 stacks[4][1024];
static volatile u32 hi_runs, hi_err, yields;

static void worker(void) {
  l4_word err, from = l4_ipc(L4_NILTHREAD, L4_MAIN, L4_NEVER, &err);
  for (;;) {
    l4_word x = L4_UTCB->mr[1];
    L4_UTCB->mr[0] = L4_TAG(0x55, 0, 1);
    L4_UTCB->mr[1] = x + 1;
    from = l4_reply_wait(from, L4_NEVER, &err);
  }
}

static void high(void) {
  l4_word err;
  hi_runs = 1;
  l4_ipc(L4_NILTHREAD, L4_MAIN, L4_NEVER, &err);
  hi_runs = 2;
  l4_ipc(L4_NILTHREAD, WORKER, L4_NEVER, &err);
  hi_err = err;
  hi_runs = 3;
  for (;;) l4_ipc(L4_NILTHREAD, L4_MAIN, L4_NEVER, &err);
}

static void yielder(void) {
  for (;;) { yields++; l4_thread_switch(L4_NILTHREAD); }
}

static void start(l4_word t, void (*fn)(void), u32 *stack_top) {
  l4_word err;
  L4_UTCB->mr[0] = L4_TAG(0, 0, 2);
  L4_UTCB->mr[1] = (l4_word)fn;
  L4_UTCB->mr[2] = (l4_word)stack_top;
  l4_send(t, &err);
}

static void thread_tests(void) {
  l4_word err, from;
  l4_thread_control(WORKER, L4_MAIN, L4_MAIN, &err);
  start(WORKER, worker, stacks[0] + 1024);
  u32 sum = 0;
  for (int i = 0; i < 3; i++) {
    L4_UTCB->mr[0] = L4_TAG(1, 0, 1);
    L4_UTCB->mr[1] = 41 + i;
    from = l4_call(WORKER, &err);
    sum += (from == WORKER) + (err == 0) + (L4_TAG_LABEL(L4_UTCB->mr[0]) == 0x55) + (L4_UTCB->mr[1] == 42u + i);
  }
  kv("intra_calls_ok", sum);

  // A typed item that is not a map item fails the send phase (message overflow).
  L4_UTCB->mr[0] = L4_TAG(0, 2, 0);
  L4_UTCB->mr[1] = 0x0A;
  L4_UTCB->mr[2] = L4_FPAGE(0x200000, 12, L4_R);
  l4_call(WORKER, &err);
  kv("grant_err", err);

  // Reply-and-wait to a thread that is not receiving from us: no wait, timeout in phase 0.
  l4_thread_control(STRANGER, L4_MAIN, WORKER, &err);
  L4_UTCB->mr[0] = L4_TAG(0, 0, 0);
  from = l4_reply_wait(STRANGER, L4_NEVER, &err);
  kv("replywait_err", err);
  kv("replywait_from", from);
  l4_thread_control(STRANGER, 0, 0, &err);

  // A higher-priority thread preempts at once when it becomes ready.
  l4_thread_control(HIGH, L4_MAIN, L4_MAIN, &err);
  l4_schedule(HIGH, 200);
  start(HIGH, high, stacks[1] + 1024);
  kv("hi_after_start", hi_runs);
  L4_UTCB->mr[0] = L4_TAG(0, 0, 0);
  l4_send(HIGH, &err);
  kv("hi_after_send", hi_runs);

  // ThreadSwitch: equal priorities run until they give the processor away.
  l4_thread_control(YIELDER, L4_MAIN, L4_MAIN, &err);
  start(YIELDER, yielder, stacks[2] + 1024);
  kv("yields_0", yields);
  l4_thread_switch(YIELDER);
  kv("yields_1", yields);
  l4_thread_switch(L4_NILTHREAD);
  kv("yields_2", yields);
  l4_thread_control(YIELDER, 0, 0, &err);

  // Deleting the worker: HIGH, receiving from it, gets "no partner" in its receive phase.
  kv("tc_delete_worker", l4_thread_control(WORKER, 0, 0, &err));
  kv("hi_after_delete", hi_runs);
  kv("hi_err", hi_err);
  l4_thread_control(HIGH, 0, 0, &err);

  // A start message with 12 words sets every register.
  l4_thread_control(REGS, L4_MAIN, L4_MAIN, &err);
  volatile l4_word *mr = L4_UTCB->mr;
  for (int i = 1; i <= 12; i++) mr[i] = 0;
  mr[0] = L4_TAG(0, 0, 12);
  mr[L4_EXC_EIP] = (l4_word)regs_thread;
  mr[L4_EXC_EFLAGS] = 0x202;
  mr[L4_EXC_ESP] = (l4_word)(stacks[3] + 1024);
  mr[L4_EXC_EBX] = 0xb0b;
  mr[L4_EXC_EAX] = 0xa0a;
  l4_send(REGS, &err);
  kv("regs_wait_err", wait_from(REGS, now_us() + 20, 0));   // block, so it runs
  kv("started_eax", started_eax);
  kv("started_ebx", started_ebx);
  kv("started_esp_ok", started_esp == (l4_word)(stacks[3] + 1024));
  l4_thread_control(REGS, 0, 0, &err);

  // Unmap with flush takes the caller's own page too: the next touch faults to σ0 again.
  L4_UTCB->mr[0] = L4_FPAGE(0x200000, 12, L4_RWX);
  l4_unmap(1, 1);
  kv("after_flush", *(volatile u32 *)0x200000);
}

// ---- the DP83820 under L4: PCI configuration through σ0's ports, its registers through σ0's
// mapping of the PCI window, its interrupt (a software interrupt, CR.SWI) as interrupt IPC ----
#define NIC_VA 0x50000000u
static u32 inl(u32 port) { u32 v; asm volatile("inl %w1, %0" : "=a"(v) : "Nd"(port)); return v; }
static u32 pci_read(u32 dev, u32 off) { outl(0xcf8, 0x80000000u | dev << 11 | off); return inl(0xcfc); }
static void pci_write(u32 dev, u32 off, u32 v) { outl(0xcf8, 0x80000000u | dev << 11 | off); outl(0xcfc, v); }

static void nic_tests(void) {
  l4_sigma0_request(L4_IOFPAGE(0xcf8, 3, RW), 0);
  u32 dev = 0;
  while (dev < 32 && pci_read(dev, 0) != 0x0022100bu) dev++;
  kv("nic_found", dev < 32);
  if (dev == 32) return;
  u32 bar1 = pci_read(dev, 0x14) & ~0xfu;
  u32 line = pci_read(dev, 0x3c) & 0xff;
  kv("nic_bar1", bar1);
  kv("nic_line", line);
  pci_write(dev, 0x04, 0x6);                               // memory space, bus master
  kv("nic_map_err", l4_sigma0_request(L4_FPAGE(bar1 & ~0xfffu, 12, RW), L4_FPAGE(NIC_VA, 12, 0)));
  volatile u32 *regs = (volatile u32 *)(NIC_VA + (bar1 & 0xfffu));
  kv("nic_srr", regs[0x58 / 4]);
  l4_word err, from;
  kv("nic_attach", l4_thread_control(L4_IRQ_TID(line), L4_IRQ_TID(line), L4_MAIN, &err));
  regs[0x14 / 4] = 0x1000;                                  // IMR: SWI
  regs[0x18 / 4] = 1;                                       // IER
  regs[0x00 / 4] = 0x80;                                    // CR: SWI
  err = wait_from(L4_ANYTHREAD, now_us() + 1000, &from);
  kv("nic_irq_err", err);
  kv("nic_irq_from", from);
  kv("nic_irq_label", L4_TAG_LABEL(L4_UTCB->mr[0]));
  kv("nic_isr", regs[0x10 / 4] & 0x1000);                  // reading ISR clears it
  L4_UTCB->mr[0] = 0;
  l4_send(L4_IRQ_TID(line), &err);
  kv("nic_quiet_err", wait_from(L4_ANYTHREAD, now_us() + 200, 0));
}

// Round trips to a thread of this space, for a figure (not a test): cycles per call.
static void pingpong(u32 n) {
  l4_word err;
  l4_thread_control(WORKER, L4_MAIN, L4_MAIN, &err);
  start(WORKER, worker, stacks[0] + 1024);
  u32 t0 = now_us();
  for (u32 i = 0; i < n; i++) {
    L4_UTCB->mr[0] = L4_TAG(1, 0, 1);
    L4_UTCB->mr[1] = i;
    l4_call(WORKER, &err);
  }
  kv("pingpong_calls", n);
  kv("pingpong_us", now_us() - t0);
}

static void irq_tests(void) {
  l4_word err, from;
  kv("tc_irq0", l4_thread_control(L4_IRQ_TID(0), L4_IRQ_TID(0), L4_MAIN, &err));
  kv("tc_irq0_err", err);
  kv("tc_irq4", l4_thread_control(L4_IRQ_TID(4), L4_IRQ_TID(4), L4_MAIN, &err));
  for (int round = 0; round < 2; round++) {
    while (!(inb(0x3fd) & 0x40)) {}        // transmitter idle, so THR-empty fires at once
    outb(0x3f9, 0x02);                      // IER: THR empty
    err = wait_from(L4_ANYTHREAD, now_us() + 1000, &from);
    kv("irq_err", err);
    kv("irq_from", from);
    kv("irq_label", L4_TAG_LABEL(L4_UTCB->mr[0]));
    outb(0x3f9, 0x00);
    (void)inb(0x3fa);                       // IIR read clears THR empty
    L4_UTCB->mr[0] = 0;
    l4_send(L4_IRQ_TID(4), &err);           // the acknowledgement unmasks the line
    kv("irq_ack_err", err);
  }
  err = wait_from(L4_ANYTHREAD, now_us() + 200, &from);
  kv("irq_quiet_err", err);
}

void main(struct l4_bootinfo *b) {
  bi = b;
  l4_sigma0_request(L4_IOFPAGE(0x3f8, 3, RW), 0);
  l4_sigma0_request(L4_IOFPAGE(0xf4, 2, RW), 0);
  puts_("l4test ");
  puts_(b->magic);
  puts_("\n");
  const char *cmd = b->cmd_line;
  kv("version", b->version);
  kv("phys_end", b->phys_end);
  kv("virt_base", b->virt_base);
  kv("my_tid", b->my_tid);
  kv("sigma0_tid", b->sigma0_tid);
  kv("cpu_khz", b->cpu_khz);
  kv("utcb_id", L4_UTCB->my_global_id);
  kv("kip_magic", *(volatile u32 *)L4_KIP_ADDR);
  kv("kip_version", ((volatile u32 *)L4_KIP_ADDR)[1]);
  kv("kip_phys_end", ((volatile u32 *)L4_KIP_ADDR)[0x104 / 4]);
  kv("mod_len", b->mod_len);
  kv("mod_start_ok", b->mod_len == 0 ? b->mod_start == 0 : b->mod_start > b->virt_base);
  kv("boot_phys_ok", b->boot_phys + b->boot_len == b->phys_end);
  u32 fl;
  asm volatile(".globl hole_pushf\nhole_pushf: pushfl; popl %0" : "=r"(fl));   // a hole: reads the real IF
  kv("pushf_if", (fl >> 9) & 1);

  if (has(cmd, "pingpong")) { pingpong(20000); exit_(0); }
  if (has(cmd, "nic")) { nic_tests(); puts_("l4test done\n"); exit_(0); }
  if (has(cmd, "refuse-reserved")) l4_sigma0_request(L4_FPAGE(b->phys_end, 12, RW), L4_COMPLETE_FPAGE);
  if (has(cmd, "refuse-pic")) l4_sigma0_request(L4_IOFPAGE(0x20, 1, RW), 0);

  // σ0: one physical page twice, at two places of a window; a page fault below phys_end.
  kv("s0_err", l4_sigma0_request(L4_FPAGE(0x100000, 12, RW), L4_FPAGE(WINDOW, 12, 0)));
  kv("s0_tag", L4_UTCB->mr[0]);
  kv("s0_item", L4_UTCB->mr[1]);
  kv("s0_fpage", L4_UTCB->mr[2]);
  l4_sigma0_request(L4_FPAGE(0x100000, 12, RW), L4_FPAGE(WINDOW + 0x1000, 12, 0));
  *(volatile u32 *)WINDOW = 0x5a5a1234;
  kv("s0_alias", *(volatile u32 *)(WINDOW + 0x1000));
  *(volatile u32 *)0x200000 = 0xfeedf00d;     // σ0 maps physical 0x200000 here on the fault
  l4_sigma0_request(L4_FPAGE(0x200000, 12, RW), L4_FPAGE(WINDOW + 0x2000, 12, 0));
  kv("s0_idempotent", *(volatile u32 *)(WINDOW + 0x2000));

  // What the kernel charges for a system call (ABI.md §9), measured with rdtsc.
  u32 m[2];
  measure_syscall(m);
  measure_syscall(m);                         // warm: code decoded, TLB filled
  kv("syscall_cycles", m[0] - m[1]);

  // System calls with errors.
  l4_word err;
  kv("send_nothread", l4_ipc(L4_TID(99), L4_NILTHREAD, L4_NEVER, &err));
  kv("send_nothread_err", err);
  kv("recv_poll_err", wait_from(L4_ANYTHREAD, L4_ZERO, 0));

  child_tests(cmd);
  thread_tests();
  irq_tests();
  puts_("l4test done\n");
  exit_(0);
}
