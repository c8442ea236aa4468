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

  // System calls with errors.
  l4_word err;
  kv("send_nothread", l4_ipc(L4_TID(99), L4_NILTHREAD, L4_NEVER, &err));
  kv("send_nothread_err", err);
  kv("recv_poll_err", wait_from(L4_ANYTHREAD, L4_ZERO, 0));

  child_tests(cmd);
  irq_tests();
  puts_("l4test done\n");
  exit_(0);
}
