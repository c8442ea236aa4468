// A ring-1 test guest for the Xen model: it exercises the hypercalls of ABI.md and prints what it
// observes on the Xen console, one fact per line, for test/hypervisors/xen.test.ts to check.
// The command line picks a scenario: basic (default), maphv, writept, writablept.

// start_info and the hypercall trap are the guest kernel's own definitions (the Xen interface of
// ABI.md), so this guest and the kernel's para-virtual layer speak the same ABI.
#include "xen.h"

#define FLAT_RING1_CS 0xe019
#define FLAT_RING1_DS 0xe021
#define FLAT_RING3_CS 0xe02b
#define FLAT_RING3_DS 0xe033

struct frame { u32 edi, esi, ebp, oesp, ebx, edx, ecx, eax, vector, err, eip, cs, eflags, esp, ss; };

extern char trap0[], trap13[], trap14[], trap128[], upcall_entry[], failsafe_entry[];
extern char user_code[], user_code_end[], kstack_top[];
void xen_iret(void);

static struct start_info *si;
static volatile u8 *shared;       // the shared-info page once mapped
static volatile u32 upcalls, upcall_ports[8];
static volatile u32 traps_seen, last_trap, last_err, last_cr2, last_ring, last_eax, last_ebx;
static u32 timer_port;

// ---- console ----
static u32 slen(const char *s) { u32 n = 0; while (s[n]) n++; return n; }
static void puts_(const char *s) { hypercall(18, 0, slen(s), (u32)s, 0); }
static void puthex(u32 v) {
  char b[11]; b[0] = '0'; b[1] = 'x';
  for (int i = 0; i < 8; i++) b[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 15];
  b[10] = 0; puts_(b);
}
static void putdec(u32 v) {
  char b[12]; int i = 11; b[i] = 0;
  do { b[--i] = '0' + v % 10; v /= 10; } while (v);
  puts_(b + i);
}
static void kv(const char *k, u32 v) { puts_(k); puts_("="); puthex(v); puts_("\n"); }
static void outb(u32 port, u8 v) { asm volatile("outb %0, %w1" : : "a"(v), "Nd"(port)); }
static u8 inb(u32 port) { u8 v; asm volatile("inb %w1, %0" : "=a"(v) : "Nd"(port)); return v; }
static int streq_prefix(const char *s, const char *p) { while (*p) if (*s++ != *p++) return 0; return 1; }
static int has(const char *s, const char *w) { for (; *s; s++) if (streq_prefix(s, w)) return 1; return 0; }

// ---- time: ns = (tsc * mul) >> 32 (tsc_timestamp, system_time and shift are 0 here) ----
static u64 now_ns(void) {
  u32 lo, hi; asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  u32 mul = *(volatile u32 *)(shared + 32 + 24);
  u64 t = ((u64)hi << 32) | lo;
  return ((t >> 32) * mul) + (((t & 0xffffffffu) * (u64)mul) >> 32);
}

// ---- handlers ----
void trap(struct frame *f) {
  traps_seen++;
  last_trap = f->vector; last_err = f->err; last_ring = f->cs & 3; last_eax = f->eax; last_ebx = f->ebx;
  if (f->vector == 14) last_cr2 = *(volatile u32 *)(shared + 8);
  if (f->vector == 0) f->eip += 2;            // skip the 2-byte div
  if (f->vector == 14) f->eip += 5;           // skip the 5-byte mov moffs32, %eax
  if (f->vector == 13) f->eip += 2;           // skip the 2-byte in $imm8
  if (f->vector == 128) {                      // the user program's system call: report and stop
    puts_("syscall ring="); putdec(f->cs & 3); puts_(" eax="); putdec(f->eax); puts_(" ebx="); putdec(f->ebx); puts_("\n");
    outb(0xf4, 0);
  }
}

void upcall(struct frame *f) {
  (void)f;
  shared[0] = 0;                                          // evtchn_upcall_pending
  u32 sel = __atomic_exchange_n((volatile u32 *)(shared + 4), 0, __ATOMIC_SEQ_CST);
  for (u32 w = 0; w < 32; w++) {
    if (!(sel & (1u << w))) continue;
    volatile u32 *pend = (volatile u32 *)(shared + 2048) + w;
    volatile u32 *mask = (volatile u32 *)(shared + 2176) + w;
    u32 bits = *pend & ~*mask;
    for (u32 b = 0; b < 32; b++) {
      if (!(bits & (1u << b))) continue;
      __atomic_and_fetch(pend, ~(1u << b), __ATOMIC_SEQ_CST);
      if (upcalls < 8) upcall_ports[upcalls] = w * 32 + b;
      upcalls++;
    }
  }
}

// ---- helpers over hypercalls ----
static u32 scratch_va(u32 k) { return si->virt_base + si->boot_len - (k + 1) * 4096; }
static long map(u32 va, u32 pte) { return hypercall(14, va, pte, 2, 0); }
static long evtchn(u32 cmd, u32 *arg) { return hypercall(32, cmd, (u32)arg, 0, 0); }
static void vsti(void) { shared[1] = 0; if (shared[0]) hypercall(17, 0, 0, 0, 0); }
static void vcli(void) { shared[1] = 1; }

// pushf in ring 1 reads the real IF (always 1 in a domain), not the virtual one: a hole.
__attribute__((noinline)) u32 probe_pushf(void) { u32 f; asm volatile("pushfl; popl %0" : "=r"(f)); return f; }

static u32 tsc_lo(void) { u32 lo, hi; asm volatile("rdtsc" : "=a"(lo), "=d"(hi)); return lo; }

static void basic(void) {
  // Cycles of one hypercall as the domain sees them: its int $0x82 entry plus Xen's work.
  u32 t0 = tsc_lo();
  hypercall(17, 0, 0, 0, 0);
  kv("hypercall_cycles", tsc_lo() - t0);
  kv("version", hypercall(17, 0, 0, 0, 0));
  kv("bad_hypercall", hypercall(40, 0, 0, 0, 0));
  // multicall: {op, result, args[6]} x 2, results written back in place.
  static u32 mc[16] = { 17, 0xdead, 0, 0, 0, 0, 0, 0,   40, 0xdead, 0, 0, 0, 0, 0, 0 };
  kv("multicall", hypercall(13, (u32)mc, 2, 0, 0));
  kv("multicall_0", mc[1]); kv("multicall_1", mc[9]);
  // Trap table: #DE, #GP, #PF for ring 1; int $0x80 callable from ring 3.
  static u32 table[10];
  u8 *t = (u8 *)table;
  struct { u8 v, fl; u32 a; } ents[] = { {0, 1, (u32)trap0}, {13, 1, (u32)trap13}, {14, 1, (u32)trap14}, {128, 3, (u32)trap128} };
  for (int i = 0; i < 4; i++) {
    t[i * 8] = ents[i].v; t[i * 8 + 1] = ents[i].fl;
    *(unsigned short *)(t + i * 8 + 2) = FLAT_RING1_CS; *(u32 *)(t + i * 8 + 4) = ents[i].a;
  }
  kv("set_trap_table", hypercall(0, (u32)table, 0, 0, 0));
  kv("stack_switch", hypercall(3, FLAT_RING1_DS, (u32)kstack_top, 0, 0));
  kv("set_callbacks", hypercall(4, FLAT_RING1_CS, (u32)upcall_entry, FLAT_RING1_CS, (u32)failsafe_entry));

  // Divide by zero in ring 1 comes back through the trap table.
  volatile u32 zero = 0, x = 10;
  asm volatile("divl %2" : "=a"(x) : "a"(x), "r"(zero), "d"(0));
  kv("trap_vector", last_trap); kv("trap_ring", last_ring);

  // Page fault on an unmapped address: the bounce carries the error code, CR2 is in vcpu_info.
  asm volatile("movl 0xd0000000, %%eax" : : : "eax", "memory");
  kv("pf_vector", last_trap); kv("pf_err", last_err); kv("pf_cr2", last_cr2);

  // Port I/O: the UART is assigned (emulated after #GP), the PIC is not (#GP bounced to us).
  outb(0x3f8, 'i'); outb(0x3f8, 'o'); outb(0x3f8, '\n');
  u32 before = traps_seen;
  (void)inb(0x21);
  kv("pic_read_trapped", traps_seen - before); kv("pic_read_vector", last_trap);

  // Events: the timer VIRQ.
  u32 bind[3] = {0, 0, 0};
  kv("bind_virq", evtchn(1, bind)); timer_port = bind[2]; kv("timer_port", timer_port);
  u64 deadline = now_ns() + 1000000;   // 1 ms
  kv("set_timer", hypercall(15, (u32)deadline, (u32)(deadline >> 32), 0, 0));
  shared[1] = 0;                       // block clears the mask itself; do it here too
  kv("block", hypercall(29, 1, 0, 0, 0));
  u64 woke = now_ns();
  kv("upcalls_after_block", upcalls); kv("upcall_port", upcall_ports[0]);
  kv("woke_after_deadline", woke >= deadline);

  // Mask semantics: with the virtual IF off a send only marks pending; sti delivers it.
  u32 bind2[3] = {0, 0, 0};
  u32 sendarg = timer_port;
  vcli();
  u32 u0 = upcalls;
  kv("send", evtchn(4, &sendarg));
  kv("masked_upcalls", upcalls - u0); kv("masked_pending", shared[0]);
  kv("pushf_if_while_masked", (probe_pushf() >> 9) & 1);
  vsti();
  kv("unmasked_upcalls", upcalls - u0);
  // Per-port mask: pending is set, no selector bit, no upcall until EVTCHNOP_unmask.
  volatile u32 *mask0 = (volatile u32 *)(shared + 2176);
  *mask0 |= 1u << timer_port;
  u0 = upcalls;
  evtchn(4, &sendarg);
  kv("portmasked_upcalls", upcalls - u0);
  kv("portmasked_pending_bit", (*(volatile u32 *)(shared + 2048) >> timer_port) & 1);
  kv("unmask", evtchn(9, &sendarg));
  kv("after_unmask_upcalls", upcalls - u0);
  (void)bind2;

  // A physical interrupt: bind the UART's IRQ 4, enable its transmitter-empty interrupt.
  u32 pirq[3] = {4, 0, 0};
  kv("bind_pirq", evtchn(2, pirq));
  u0 = upcalls;
  outb(0x3f9, 0x02);
  for (volatile int i = 0; i < 100000 && upcalls == u0; i++) ;
  kv("pirq_upcalls", upcalls > u0); kv("pirq_port_seen", upcall_ports[u0 < 8 ? u0 : 7] == pirq[2]);
  outb(0x3f9, 0x00);
  u32 eoi = 4;
  kv("eoi", hypercall(33, 12, (u32)&eoi, 0, 0));

  // Address-space switch: a copy of the bootstrap page directory, made read-only, pinned and loaded.
  u32 pdva = scratch_va(4), pdma = si->boot_phys + (pdva - si->virt_base);
  for (u32 i = 0; i < 1024; i++) ((u32 *)pdva)[i] = ((volatile u32 *)si->pt_base)[i];
  kv("pd_readonly", map(pdva, pdma | 0x21));
  u32 ops[6] = { 1, pdma >> 12, 0, 5, pdma >> 12, 0 };   // PIN_L2_TABLE, NEW_BASEPTR
  u32 done = 0;
  kv("pin_and_switch", hypercall(26, (u32)ops, 2, (u32)&done, 0x7ff0));
  kv("mmuext_done", done);
  // mmu_update: make one scratch page read-only through its L1 entry's machine address.
  u32 va5 = scratch_va(5), ma5 = si->boot_phys + (va5 - si->virt_base);
  u32 l1ma = ((u32 *)pdva)[va5 >> 22] & ~0xfffu;
  u32 req[4] = { l1ma + ((va5 >> 12) & 0x3ff) * 4, 0, ma5 | 0x21, 0 };
  kv("mmu_update", hypercall(1, (u32)req, 1, (u32)&done, 0x7ff0));
  kv("mmu_update_done", done);
  u32 flush[3] = { 6, 0, 0 };
  kv("tlb_flush", hypercall(26, (u32)flush, 1, 0, 0x7ff0));

  // set_gdt: one guest descriptor (flat data, DPL 1) in a read-only page, then load it into FS.
  u32 gva = scratch_va(6), gma = si->boot_phys + (gva - si->virt_base);
  ((u32 *)gva)[0] = 0; ((u32 *)gva)[1] = 0;
  ((u32 *)gva)[2] = 0x0000ffff; ((u32 *)gva)[3] = 0x00cfb300;
  kv("gdt_readonly", map(gva, gma | 0x21));
  u32 gframe = gma >> 12;
  kv("set_gdt", hypercall(2, (u32)&gframe, 2, 0, 0));
  u32 fs;
  asm volatile("movl $0x9, %%eax; movl %%eax, %%fs; movl %%fs, %0" : "=r"(fs) : : "eax");
  kv("fs", fs);
  kv("update_descriptor", hypercall(10, gma + 8, 0, 0x0000ffff, 0x00cff300));   // now DPL 3
  asm volatile("movl $0xe021, %%eax; movl %%eax, %%fs" : : : "eax");

  // Ring 3: map a user page with code and one for the stack, iret there; it makes a system call.
  u32 code = scratch_va(2), stack = scratch_va(3);
  kv("map_user_code", map(code, (si->boot_phys + (code - si->virt_base)) | 0x67));
  kv("map_user_stack", map(stack, (si->boot_phys + (stack - si->virt_base)) | 0x67));
  for (u32 i = 0; i < (u32)(user_code_end - user_code); i++) ((u8 *)code)[i] = user_code[i];
  asm volatile(
    "pushl %0\n pushl %1\n pushl $0x202\n pushl %2\n pushl %3\n jmp xen_iret"
    : : "i"(FLAT_RING3_DS), "r"(stack + 4096), "i"(FLAT_RING3_CS), "r"(code), "a"(0));
}

void main(struct start_info *start) {
  si = start;
  puts_("xentest "); puts_(si->magic); puts_("\n");
  kv("nr_pages", si->nr_pages);
  kv("flags", si->flags);
  kv("virt_base", si->virt_base);
  // Map the shared-info page at the last page of the bootstrap region.
  u32 va = scratch_va(0);
  kv("map_shared", map(va, si->shared_info | 0x23));
  shared = (volatile u8 *)va;
  kv("upcall_mask_at_start", shared[1]);
  if (has(si->cmd_line, "maphv")) {
    puts_("mapping hypervisor memory\n");
    map(scratch_va(1), (si->shared_info + 4096) | 0x23);
    puts_("still running\n");
  } else if (has(si->cmd_line, "writablept")) {
    puts_("mapping the page directory writable\n");
    u32 pd_ma = si->boot_phys + (si->pt_base - si->virt_base);
    map(scratch_va(1), pd_ma | 0x23);
    puts_("still running\n");
  } else if (has(si->cmd_line, "pinwritable")) {
    puts_("pinning a writable frame\n");
    u32 ma = si->boot_phys + (scratch_va(1) - si->virt_base);
    u32 ops[3] = { 0, ma >> 12, 0 };   // PIN_L1_TABLE
    hypercall(26, (u32)ops, 1, 0, 0x7ff0);
    puts_("still running\n");
  } else if (has(si->cmd_line, "writept")) {
    puts_("writing the page directory\n");
    *(volatile u32 *)si->pt_base = 0x1007;
    puts_("still running\n");
  } else {
    basic();
  }
  u32 reason = 0;
  hypercall(29, 2, (u32)&reason, 0, 0);
}
