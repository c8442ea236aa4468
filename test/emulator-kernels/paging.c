// Paging family: 4 KiB pages and a 4 MiB PSE page, accessed and dirty bits in PDEs and PTEs,
// #PF error codes and CR2 for not-present, read-only and supervisor pages from ring 0 and ring 3
// (CR0.WP off and on), a fault on the second page of a split access, and the TLB: a changed
// PTE is seen after invlpg or a CR3 write. (What a stale TLB entry returns before that is not
// architecturally defined, so it is never printed.)
#include "lib.h"

#define P 0x1
#define RW 0x2
#define US 0x4
#define A 0x20
#define D 0x40
#define PS 0x80

// Volatile: the CPU writes A/D bits behind the compiler's back.
static volatile u32 pd[1024] __attribute__((aligned(4096)));
static volatile u32 pt0[1024] __attribute__((aligned(4096)));  // 0-4 MiB identity, user accessible
static volatile u32 pt2[1024] __attribute__((aligned(4096)));  // 8 MiB: the test pages
static volatile u32 pt3[1024] __attribute__((aligned(4096)));  // 12 MiB: PTEs user, PDE supervisor
static volatile u32 pt4[1024] __attribute__((aligned(4096)));  // 16 MiB: PDE read-only

#define TEST_VA 0x00800000u
#define FRAME(n) (0x00600000u + (n) * 0x1000u)  // physical frames, reachable through the 4-8 MiB identity page
#define VA(n) (TEST_VA + (n) * 0x1000u)

#define NU 11  // user accesses probed
static volatile u32 out[2 * NU];

static void setup(void) {
  for (u32 i = 0; i < 1024; i++) pt0[i] = (i << 12) | P | RW | US;
  pd[0] = (u32)pt0 | P | RW | US;
  pd[1] = 0x00400000 | PS | P | RW;              // 4-8 MiB identity, 4 MiB page
  pd[2] = (u32)pt2 | P | RW | US;
  pd[3] = (u32)pt3 | P | RW;                     // supervisor PDE
  pd[4] = (u32)pt4 | P | US;                     // read-only PDE, writable user PTEs
  pd[5] = 0x00400000 | PS | P | US;              // read-only user 4 MiB page
  pd[0xc0000000 >> 22] = 0x00400000 | PS | P | RW | US;  // alias of 4-8 MiB
  pt2[0] = FRAME(0) | P | RW | US;                // plain page
  pt2[1] = 0;                                     // not present
  pt2[2] = FRAME(2) | P | US;                     // read-only, user
  pt2[3] = FRAME(3) | P | RW;                     // supervisor only
  pt2[4] = FRAME(4) | P | RW | US;                // TLB test page
  pt3[0] = FRAME(8) | P | RW | US;
  pt4[0] = FRAME(9) | P | RW | US;
  for (u32 n = 0; n < 10; n++) *(volatile u32 *)FRAME(n) = 0xf0000000 | n;
  write_cr3((u32)pd);
  write_cr4(read_cr4() | 0x10);  // PSE
  write_cr0(read_cr0() | 0x80000000);
}

static u32 probe_read(u32 va) {
  u32 v = 0xdeadbeef;
  asm volatile(TRY_BEGIN "movl (%1), %0" TRY_END : "+r"(v) : "r"(va) : "memory");
  return v;
}

static void probe_write(u32 va, u32 v) {
  asm volatile(TRY_BEGIN "movl %1, (%0)" TRY_END : : "r"(va), "r"(v) : "memory");
}

static void t_accessed_dirty(void) {
  put_kv("pte0 before", pt2[0] & (A | D));
  (void)*(volatile u32 *)VA(0);
  put_kv("after read", pt2[0] & (A | D));
  put_kv("pde2", pd[2] & (A | D));
  *(volatile u32 *)VA(0) = 0x1111;
  put_kv("after write", pt2[0] & (A | D));
  nl();
  u32 big = pd[0xc0000000 >> 22];
  put_kv("4M pde before", big & (A | D));
  (void)*(volatile u32 *)(0xc0000000 + 0x200000);
  put_kv("after read", pd[0xc0000000 >> 22] & (A | D));
  *(volatile u32 *)(0xc0000000 + 0x200004) = 0x2222;
  put_kv("after write", pd[0xc0000000 >> 22] & (A | D));
  nl();
  *(volatile u32 *)(0xc0000000 + 0x200008) = 0x600d;
  put_kv("4M alias reads back", *(volatile u32 *)(0x00600008));
  put_kv("4K page wrote frame", *(volatile u32 *)FRAME(0));
  nl();
}

static void t_kernel_faults(void) {
  put_kv("read np", probe_read(VA(1)));
  nl();
  trap_report_cr2("read not present");
  probe_write(VA(1) + 0x10, 1);
  trap_report_cr2("write not present");
  probe_read(0x01000000 + 0x123);
  trap_report_cr2("read pde not present");
  probe_write(VA(2), 0x3333);  // WP=0: the supervisor may write a read-only page
  trap_report_cr2("write ro wp=0");
  put_kv("frame2", *(volatile u32 *)FRAME(2));
  nl();
  write_cr0(read_cr0() | 0x10000);
  probe_write(VA(2), 0x4444);
  trap_report_cr2("write ro wp=1");
  put_kv("frame2", *(volatile u32 *)FRAME(2));
  nl();
  probe_write(0x01000010, 1);  // read-only PDE, WP=1
  trap_report_cr2("write ro pde wp=1");
  write_cr0(read_cr0() & ~0x10000u);
  probe_write(0x01000010, 2);
  trap_report_cr2("write ro pde wp=0");
  probe_read(VA(3));
  trap_report_cr2("read supervisor page");
  // A dword that starts on a present page and ends on a missing one.
  probe_read(VA(1) - 2);
  trap_report_cr2("split read");
  put_kv("pte2 ad", pt2[2] & (A | D));
  put_kv("pte1", pt2[1]);
  nl();
}

#define UTRY(n, code) asm volatile(TRY_BEGIN code TRY_END : : : "eax", "memory"); \
  out[n] = trap_count ? (trap_vector << 16) | trap_err : 0xffffffff; out[n + NU] = trap_cr2; trap_count = 0;

static void user_accesses(void) {
  UTRY(0, "movl 0x00800000, %%eax")        // user page
  UTRY(1, "movl 0x00802000, %%eax")        // read-only user page
  UTRY(2, "movl %%eax, 0x00802000")        // write it
  UTRY(3, "movl 0x00803000, %%eax")        // supervisor page
  UTRY(4, "movl %%eax, 0x00803004")
  UTRY(5, "movl 0x00c00000, %%eax")        // user PTE under a supervisor PDE
  UTRY(6, "movl $0x00803000, %%eax\n\tjmp *%%eax")  // fetch from a supervisor page
  UTRY(7, "movl 0x00801000, %%eax")        // not present
  UTRY(8, "movl 0x01000000, %%eax")        // read-only PDE over a writable PTE: read
  UTRY(9, "movl %%eax, 0x01000004")        // and write
  UTRY(10, "movl %%eax, 0x01400008")       // read-only 4 MiB user page
  asm volatile("movl $0, %%eax\n\tint $0x80" : : "b"(0) : "eax", "memory");
}

static void t_user_faults(void) {
  enter_user(user_accesses, 0x202, (u32)ustack_top);
  for (int i = 0; i < NU; i++) {
    puts("user ");
    putdec(i);
    puts(": ");
    if (out[i] == 0xffffffff) {
      puts("ok\n");
      continue;
    }
    puthex(out[i]);
    puts(" cr2=");
    puthex(out[i + NU]);
    nl();
  }
  write_cr0(read_cr0() | 0x10000);
  enter_user(user_accesses, 0x202, (u32)ustack_top);
  write_cr0(read_cr0() & ~0x10000u);
  chk_reset();
  for (int i = 0; i < 2 * NU; i++) chk_add(out[i]);
  chk_line("user faults wp=1");
}

static void t_tlb(void) {
  volatile u32 *p = (volatile u32 *)VA(4);
  put_kv("tlb first", *p);
  pt2[4] = FRAME(5) | P | RW | US;  // remap; the old translation may still be cached
  invlpg(VA(4));
  put_kv("after invlpg", *p);
  nl();
  pt2[4] = FRAME(6) | P | RW | US;
  write_cr3(read_cr3());
  put_kv("after cr3 write", *p);
  pt2[4] = 0;
  invlpg(VA(4));
  put_kv("unmapped", probe_read(VA(4)));
  nl();
  trap_report_cr2("after unmap");
  pt2[4] = FRAME(7) | P | RW | US;
  invlpg(VA(4));
  *p = 0x7777;
  put_kv("remapped frame7", *(volatile u32 *)FRAME(7));
  put_kv("pte ad", pt2[4] & (A | D));
  nl();
  // Clearing A/D in the PTE and flushing makes the CPU set them again.
  pt2[4] &= ~(u32)(A | D);
  invlpg(VA(4));
  (void)*p;
  put_kv("reread ad", pt2[4] & (A | D));
  *p = 1;
  put_kv("rewrite ad", pt2[4] & (A | D));
  nl();
}

// A rep movsb that runs into a missing page stops with ESI/EDI/ECX at the faulting element,
// so it can be restarted; the bytes before the fault are copied.
static void t_rep_fault(void) {
  static u8 src[64];
  for (int i = 0; i < 64; i++) src[i] = (u8)(0x40 + i);
  u32 si = (u32)src, di = VA(1) - 20, cx = 64;
  asm volatile(TRY_BEGIN "rep movsb" TRY_END : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
  trap_report_cr2("rep movsb into missing page");
  put_kv("ecx left", cx);
  put_kv("esi done", si - (u32)src);
  put_kv("edi", di);
  put_kv("last copied", *(volatile u8 *)(FRAME(0) + 0xfff));
  nl();
}

// An instruction whose last bytes lie on a missing page faults with CR2 at that page and EIP at
// the instruction.
static void t_fetch_fault(void) {
  volatile u8 *code = (volatile u8 *)(VA(0) + 0xffd);
  code[0] = 0xb8;  // mov $imm32, %eax: 5 bytes, 2 of them on VA(1)
  code[1] = 0x11;
  code[2] = 0x22;
  asm volatile(TRY_BEGIN "jmp *%0" TRY_END : : "r"(code) : "memory");
  trap_report_cr2("fetch across into missing page");
  put_kv("eip", trap_eip);
  nl();
  // The whole instruction on a present page runs.
  code = (volatile u8 *)(VA(0) + 0x800);
  code[0] = 0xb8; code[1] = 0x44; code[2] = 0x33; code[3] = 0x22; code[4] = 0x11; code[5] = 0xc3;
  u32 r;
  asm volatile("call *%1" : "=a"(r) : "r"(code) : "ecx", "edx", "memory");
  put_kv("code on 4K page", r);
  nl();
}

// The CPU reads the GDT, IDT and TSS, and sets descriptor accessed bits, as supervisor accesses
// even at CPL 3: with those pages supervisor-only, ring 3 still loads segments and takes int3.
static void user_implicit(void) {
  u32 ar = 0, f;
  asm volatile(TRY_BEGIN "movl %2, %%eax\n\tmovl %%eax, %%es\n\tmovl %%eax, %%ds" TRY_END
               "larl %2, %0\n\tpushf\n\tpop %1"
               : "=r"(ar), "=r"(f) : "r"((u32)((GDT_FREE << 3) | 3)) : "eax", "memory");
  out[0] = trap_count ? (trap_vector << 16) | trap_err : 0xffffffff;
  trap_count = 0;
  out[1] = (f & FL_ZF) ? ar & 0x00f0ff00 : 0xffffffff;
  asm volatile(TRY_BEGIN "int3" TRY_END ::: "memory");
  out[2] = trap_count ? (trap_vector << 16) | trap_err : 0xffffffff;
  trap_count = 0;
  asm volatile("movl $0, %%eax\n\tint $0x80" : : "b"(0) : "eax", "memory");
}

static void t_implicit_supervisor(void) {
  gdt_set(GDT_FREE, 0, 0xfffff, 0xf2, 0xc);  // DPL-3 data, accessed bit clear
  for (u32 a = (u32)__sysdesc_start; a < (u32)__sysdesc_end; a += 0x1000) {
    pt0[a >> 12] &= ~(u32)US;
    invlpg(a);
  }
  enter_user(user_implicit, 0x202, (u32)ustack_top);
  for (u32 a = (u32)__sysdesc_start; a < (u32)__sysdesc_end; a += 0x1000) {
    pt0[a >> 12] |= US;
    invlpg(a);
  }
  put_kv("implicit: load", out[0]);
  put_kv("lar", out[1]);
  put_kv("int3", out[2]);
  put_kv("gdt a bit", (u32)(gdt[GDT_FREE] >> 40) & 1);
  nl();
}

// Demand paging: a #PF handler maps the missing page and returns; the faulting instruction
// (here a rep movsb half-way through, then a ring-3 store) restarts and completes.
static volatile u32 demand_faults, demand_cr2;

static void on_demand_fault(struct frame *f) {
  demand_faults++;
  demand_cr2 = read_cr2();
  pt2[1] = FRAME(1) | P | RW | US;
  invlpg(demand_cr2);
  (void)f;
}

static void user_demand(void) {
  *(volatile u32 *)(VA(1) + 0x100) = 0xd00d;
  asm volatile("movl $0, %%eax\n\tint $0x80" : : "b"(*(volatile u32 *)(VA(1) + 0x100)) : "eax", "memory");
}

static void t_demand(void) {
  static u8 src[64];
  for (int i = 0; i < 64; i++) src[i] = (u8)(0x80 + i);
  pt2[1] = 0;
  invlpg(VA(1));
  demand_faults = 0;
  trap_set_handler(14, on_demand_fault);
  u32 si = (u32)src, di = VA(1) - 20, cx = 64;
  asm volatile("rep movsb" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
  put_kv("demand faults", demand_faults);
  put_kv("cr2", demand_cr2);
  put_kv("ecx", cx);
  chk_reset();
  for (int i = 0; i < 64; i++) chk_add(*(volatile u8 *)(VA(1) - 20 + i));
  put_kv("copy", chk_get());
  nl();
  pt2[1] = 0;
  invlpg(VA(1));
  u32 r = enter_user(user_demand, 0x202, (u32)ustack_top);
  put_kv("user demand faults", demand_faults);
  put_kv("read back", r);
  nl();
  trap_set_handler(14, 0);
  pt2[1] = 0;
  invlpg(VA(1));
}

void test_main(void) {
  setup();
  puts("paging on\n");
  t_accessed_dirty();
  t_kernel_faults();
  t_user_faults();
  t_tlb();
  t_rep_fault();
  t_fetch_fault();
  t_implicit_supervisor();
  t_demand();
}
