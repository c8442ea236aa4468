// System instruction family at ring 0: descriptor-table registers (lgdt/sgdt/lidt/sidt/lldt/sldt/
// ltr/str), control and debug registers, clts/lmsw/smsw, cache and TLB instructions, port I/O,
// software interrupts, lar/lsl/verr/verw/arpl, segment-register moves, far pointers and far
// transfers.
#include "lib.h"

#define SEL(i, rpl) ((u16)(((i) << 3) | (rpl)))
enum {
  G_LDT = GDT_FREE,   // an LDT holding one data segment
  G_CODE2,            // a second flat ring-0 code segment
  G_CONFORM,          // conforming code, DPL 3
  G_XONLY,            // execute-only code
  G_RODATA,           // read-only data, base 0x1000, limit 0xfff bytes
  G_NP,               // not present data
  G_GATE,             // a call gate (system descriptor)
  G_DATA16,           // 16-bit data, byte granular limit 0x1234
};

static u64 ldt[4] __attribute__((aligned(8)));

static void setup(void) {
  gdt_set(G_LDT, (u32)ldt, sizeof(ldt) - 1, 0x82, 0x0);
  gdt_set(G_CODE2, 0, 0xfffff, 0x9a, 0xc);
  gdt_set(G_CONFORM, 0, 0xfffff, 0xfe, 0xc);
  gdt_set(G_XONLY, 0, 0xfffff, 0x98, 0xc);
  gdt_set(G_RODATA, 0x1000, 0xfff, 0x90, 0x4);
  gdt_set(G_NP, 0, 0xfffff, 0x12, 0xc);
  gdt[G_GATE] = 0x0000ec0000080000ull;  // 32-bit call gate, DPL 3, selector 8, offset 0
  gdt_set(G_DATA16, 0x2000, 0x1234, 0x92, 0x0);
  ldt[1] = 0;
  u64 d = (u64)0xffff | ((u64)0x93 << 40) | ((u64)0xcf << 48);  // flat data, accessed
  ldt[2] = d;
}

static void t_tables(void) {
  struct { u16 limit; u32 base; } __attribute__((packed)) g, i;
  asm volatile("sgdt %0\n\tsidt %1" : "=m"(g), "=m"(i));
  put_kv("sgdt limit", g.limit);
  put_kv("base ok", g.base == (u32)gdt);
  nl();
  put_kv("sidt limit", i.limit);
  put_kv("base ok", i.base == (u32)idt);
  nl();
  // A shorter GDT limit makes selectors beyond it fault; restore afterwards.
  struct { u16 limit; u32 base; } __attribute__((packed)) small = { 8 * 5 - 1, (u32)gdt };
  asm volatile("lgdt %0" : : "m"(small));
  asm volatile("sgdt %0" : "=m"(g));
  put_kv("short gdt limit", g.limit);
  nl();
  asm volatile(TRY_BEGIN "movl %0, %%es" TRY_END : : "r"((u32)SEL(G_CODE2, 0)) : "memory");
  trap_report("load beyond limit");
  lgdt_now();

  u16 ldtr = 0xffff, tr = 0xffff;
  asm volatile("lldt %w0" : : "r"((u32)SEL(G_LDT, 0)));
  asm volatile("sldt %w0\n\tstr %w1" : "=r"(ldtr), "=r"(tr));
  put_kv("sldt", ldtr);
  put_kv("str", tr);
  put_kv("tss type", (u32)(gdt[SEL_TSS >> 3] >> 40) & 0xff);  // busy after ltr
  nl();
  u32 v = 0, es;
  static u32 probe = 0x600dcafe;
  asm volatile("movl %%es, %1\n\tmovl %2, %%es\n\tmovl %%es:(%3), %0\n\tmovl %1, %%es"
               : "=r"(v), "=&r"(es) : "r"(0x14 | 4 | 0), "r"(&probe) : "memory");
  put_kv("ldt load", v);
  nl();
  asm volatile(TRY_BEGIN "movl %0, %%es" TRY_END : : "r"(0x1c | 4) : "memory");  // beyond LDT limit
  trap_report("ldt beyond limit");
  asm volatile(TRY_BEGIN "lldt %w0" TRY_END : : "r"(SEL(G_RODATA, 0)) : "memory");
  trap_report("lldt non-ldt");
  asm volatile(TRY_BEGIN "ltr %w0" TRY_END : : "r"(SEL_TSS) : "memory");
  trap_report("ltr busy tss");
  asm volatile("lldt %w0" : : "r"(0));
  asm volatile("sldt %w0" : "=r"(ldtr));
  put_kv("null ldt", ldtr);
  nl();
}

static void t_control(void) {
  u32 cr0 = read_cr0();
  put_kv("cr0 pe/pg", cr0 & 0x80000001);
  nl();
  write_cr0(0x00000001);
  put_kv("cr0 after 1", read_cr0());
  nl();
  write_cr0(0x0000002b);  // PE MP TS NE
  put_kv("cr0 after 2b", read_cr0());
  asm volatile("clts");
  put_kv("clts", read_cr0());
  nl();
  asm volatile("lmsw %w0" : : "r"(0xfffe));
  put_kv("lmsw fffe", read_cr0());
  asm volatile("lmsw %w0" : : "r"(0));
  put_kv("lmsw 0", read_cr0());
  nl();
  u32 m = 0;
  u16 m16 = 0x5555;
  asm volatile("smsw %0\n\tsmsw %1" : "=r"(m), "=m"(m16));
  put_kv("smsw", m & 0xffff);
  put_kv("smsw mem", m16);
  nl();
  // (No #GP checks for PG without PE or NW without CD: QEMU 7.2 does not raise them.)
  write_cr0(0x11);

  write_cr2(0x12345678);
  put_kv("cr2", read_cr2());
  write_cr3(0x00abc000);
  put_kv("cr3", read_cr3());
  nl();
  write_cr4(0x10);
  put_kv("cr4 pse", read_cr4());
  write_cr4(0x14);
  put_kv("cr4 pse|tsd", read_cr4());
  nl();
  // (No reserved-bit #GP check: QEMU 7.2 hangs on a CR4 write with a reserved bit set.)
  write_cr4(0);
}

static void t_debug(void) {
  u32 r0, r1, r2, r3, r6, r7;
  asm volatile("movl %0, %%dr0" : : "r"(0x11111111));
  asm volatile("movl %0, %%dr1" : : "r"(0x22222222));
  asm volatile("movl %0, %%dr2" : : "r"(0x33333333));
  asm volatile("movl %0, %%dr3" : : "r"(0x44444444));
  asm volatile("movl %%dr0, %0" : "=r"(r0));
  asm volatile("movl %%dr1, %0" : "=r"(r1));
  asm volatile("movl %%dr2, %0" : "=r"(r2));
  asm volatile("movl %%dr3, %0" : "=r"(r3));
  put_kv("dr0", r0); put_kv("dr1", r1); put_kv("dr2", r2); put_kv("dr3", r3); nl();
  asm volatile("movl %2, %%dr6\n\tmovl %2, %%dr7\n\tmovl %%dr6, %0\n\tmovl %%dr7, %1" : "=&r"(r6), "=&r"(r7) : "r"(0));
  put_kv("dr6", r6); put_kv("dr7", r7); nl();
  // DR4/DR5 alias DR6/DR7 while CR4.DE is clear and raise #UD once it is set.
  asm volatile("movl %%dr4, %0\n\tmovl %%dr5, %1" : "=r"(r6), "=r"(r7));
  put_kv("dr4", r6); put_kv("dr5", r7); nl();
  write_cr4(0x8);
  asm volatile(TRY_BEGIN "movl %%dr4, %0" TRY_END : "=r"(r6) : : "memory");
  trap_report("dr4 with de");
  write_cr4(0);
}

static void t_eflags(void) {
  u32 f, saved = read_eflags();
  // Every bit but TF and IF: reserved bits stay 0 (bit 1 stays 1), VM/VIF/VIP do not change.
  asm volatile("pushl $0xfffffcff\n\tpopf\n\tpushf\n\tpop %0" : "=r"(f) : : "memory", "cc");
  write_eflags(saved);
  put_kv("popf all ones", f);
  asm volatile("pushl $0\n\tpopf\n\tpushf\n\tpop %0" : "=r"(f) : : "memory", "cc");
  write_eflags(saved);
  put_kv("popf zero", f);
  nl();
}

static void t_misc_sys(void) {
  asm volatile("invd\n\twbinvd\n\tinvlpg (%0)" : : "r"(0x400000) : "memory");
  puts("invd wbinvd invlpg ok\n");
  // Port I/O: the PIC's mask register and the UART's scratch register keep what is written.
  pic_init(0xff, 0xff);
  outb(0x21, 0xa5);
  put_kv("out/in imr", inb(0x21));
  outb(0x3ff, 0x3c);
  put_kv("scr", inb(0x3ff));
  nl();
  static u8 obuf[4] = { 0x11, 0x22, 0x33, 0x44 }, ibuf[4];
  u32 si = (u32)obuf, di = (u32)ibuf, cx = 4;
  asm volatile("rep outsb" : "+S"(si), "+c"(cx) : "d"(0x3ff) : "memory");
  put_kv("outs scr", inb(0x3ff));
  cx = 3;
  asm volatile("rep insb" : "+D"(di), "+c"(cx) : "d"(0x3ff) : "memory");
  put_kv("ins", ibuf[0] | (ibuf[1] << 8) | (ibuf[2] << 16) | (ibuf[3] << 24));
  put_kv("esi", si - (u32)obuf);
  put_kv("edi", di - (u32)ibuf);
  nl();
  u16 w = 0;
  outw(0x3fe, 0);  // harmless: MSR is read-only, SCR takes the high byte
  w = inw(0x3fe);
  put_kv("inw scr", w >> 8);
  nl();
  pic_set_mask(0xff, 0xff);
}

static void t_soft_int(void) {
  asm volatile(TRY_BEGIN "int $0x40" TRY_END ::: "memory");
  trap_report("int 40");
  asm volatile(TRY_BEGIN "int3" TRY_END ::: "memory");
  trap_report("int3");
  asm volatile(TRY_BEGIN "movl $0x7fffffff, %%eax\n\taddl $1, %%eax\n\tinto" TRY_END ::: "eax", "cc", "memory");
  trap_report("into of=1");
  asm volatile(TRY_BEGIN "movl $1, %%eax\n\taddl $1, %%eax\n\tinto" TRY_END ::: "eax", "cc", "memory");
  trap_report("into of=0");
  asm volatile(TRY_BEGIN "ud2" TRY_END ::: "memory");
  trap_report("ud2");
}

static void t_access(void) {
  static const u16 sels[] = {
    0, SEL_KCODE, SEL_KDATA, SEL_UCODE, SEL_UDATA, SEL_TSS, SEL(G_LDT, 0), SEL(G_CODE2, 3),
    SEL(G_CONFORM, 3), SEL(G_XONLY, 0), SEL(G_RODATA, 0), SEL(G_NP, 0), SEL(G_GATE, 0),
    SEL(G_DATA16, 0), SEL(GDT_SIZE + 2, 0), SEL(2, 0) | 4,
  };
  for (u32 i = 0; i < sizeof(sels) / sizeof(sels[0]); i++) {
    u32 ar = 0xdddddddd, lim = 0xeeeeeeee, f1, f2, f3, f4;
    asm volatile("larl %4, %0\n\tpushf\n\tpop %1\n\tlsll %4, %2\n\tpushf\n\tpop %3"
                 : "+r"(ar), "=r"(f1), "+r"(lim), "=r"(f2) : "r"((u32)sels[i]) : "cc");
    asm volatile("verr %w2\n\tpushf\n\tpop %0\n\tverw %w2\n\tpushf\n\tpop %1"
                 : "=r"(f3), "=r"(f4) : "r"(sels[i]) : "cc");
    puts("sel ");
    puthex4(sels[i]);
    puts(" lar ");
    // The accessed bit of code descriptors is masked: QEMU does not set it when it loads CS.
    u32 amask = (ar & 0x1800) == 0x1800 ? 0x00f0fe00 : 0x00f0ff00;
    if (f1 & FL_ZF) puthex(ar & amask); else puts("--------");
    puts(" lsl ");
    if (f2 & FL_ZF) puthex(lim); else puts("--------");
    puts((f3 & FL_ZF) ? " r" : " -");
    puts((f4 & FL_ZF) ? "w\n" : "-\n");
  }
  for (u32 a = 0; a < 4; a++)
    for (u32 b = 0; b < 4; b++) {
      u32 d = 0x1230 | a, f;
      asm volatile("arpl %w2, %w0\n\tpushf\n\tpop %1" : "+r"(d), "=r"(f) : "r"(0x40 | b) : "cc");
      chk_add(d);
      chk_add(f & FL_ZF);
    }
  chk_line("arpl");
}

static void t_sregs(void) {
  u32 ds = 0xffffffff, sp0, sp1, slot;
  asm volatile("movl %%ds, %0" : "+r"(ds));
  put_kv("mov ds->r32", ds);
  asm volatile("movl %%esp, %0\n\tpushl %%fs\n\tmovl %%esp, %1\n\tpopl %2" : "=r"(sp0), "=r"(sp1), "=r"(slot));
  put_kv("push fs esp", sp0 - sp1);
  put_kv("slot", slot & 0xffff);
  nl();
  u16 m = 0;
  asm volatile("pushl %1\n\tpopl %%gs\n\tmovw %%gs, %0\n\tpushl %2\n\tpopl %%gs" : "=m"(m) : "r"((u32)SEL_UDATA), "r"((u32)SEL_KDATA));
  put_kv("pop gs", m);
  nl();
  // Readable code may be loaded into DS. DS is restored before TRY_END's store: a write through
  // a code segment faults on a real CPU (QEMU does not check, so nothing here relies on it).
  asm volatile(TRY_BEGIN "movl %0, %%ds\n\tmovl %1, %%ds" TRY_END
               : : "r"((u32)SEL_KCODE), "r"((u32)SEL_KDATA) : "memory");
  trap_report("ds=code readable");
  asm volatile(TRY_BEGIN "movl %0, %%fs" TRY_END : : "r"((u32)SEL(G_XONLY, 0)) : "memory");
  trap_report("fs=exec-only");
  asm volatile(TRY_BEGIN "movl %0, %%ss" TRY_END : : "r"((u32)SEL(G_RODATA, 0)) : "memory");
  trap_report("ss=read-only");
  asm volatile(TRY_BEGIN "movl %0, %%ss" TRY_END : : "r"(0u) : "memory");
  trap_report("ss=null");
  asm volatile(TRY_BEGIN "movl %0, %%gs" TRY_END : : "r"((u32)SEL(G_NP, 0)) : "memory");
  trap_report("gs=not present");
  asm volatile(TRY_BEGIN "movl %0, %%es" TRY_END : : "r"((u32)SEL_TSS) : "memory");
  trap_report("es=tss");
  asm volatile("movl %0, %%es" : : "r"((u32)SEL_KDATA));
  asm volatile("movl %0, %%fs\n\tmovl %0, %%gs" : : "r"((u32)SEL_KDATA));

  struct { u32 off; u16 sel; } __attribute__((packed)) fp = { 0x12345678, SEL(G_DATA16, 0) };
  u32 r = 0, s = 0;
  asm volatile("lesl %2, %0\n\tmovl %%es, %1\n\tmovl %3, %%es" : "=r"(r), "=r"(s) : "m"(fp), "r"((u32)SEL_KDATA));
  put_kv("les", r); put_kv("es", s); nl();
  asm volatile("lfsl %2, %0\n\tmovl %%fs, %1" : "=r"(r), "=r"(s) : "m"(fp));
  put_kv("lfs", r); put_kv("fs", s); nl();
  asm volatile("lgsl %2, %0\n\tmovl %%gs, %1" : "=r"(r), "=r"(s) : "m"(fp));
  put_kv("lgs", r); put_kv("gs", s); nl();
  asm volatile("movl %%ds, %%ecx\n\tldsl %2, %0\n\tmovl %%ds, %1\n\tmovl %%ecx, %%ds" : "=r"(r), "=r"(s) : "m"(fp) : "ecx");
  put_kv("lds", r); put_kv("ds", s); nl();
  fp.sel = SEL_KDATA;
  asm volatile("movl %%esp, %%ecx\n\tlssl %2, %0\n\tmovl %%ss, %1\n\tmovl %%ecx, %%esp" : "=r"(r), "=r"(s) : "m"(fp) : "ecx");
  put_kv("lss", r); put_kv("ss", s); nl();
  fp.sel = SEL(G_NP, 0);
  asm volatile(TRY_BEGIN "lfsl %1, %0" TRY_END : "=r"(r) : "m"(fp) : "memory");
  trap_report("lfs not present");
  asm volatile("movl %0, %%fs\n\tmovl %0, %%gs" : : "r"((u32)SEL_KDATA));
  // Segment base: ES based at 0x2000 reads what flat 0x2010 holds. (Limits are not checked here:
  // QEMU's TCG does not enforce data segment limits, so it cannot be the oracle for them.)
  u32 saved, got = 0;
  *(volatile u32 *)0x2010 = 0xba5eba11;
  asm volatile("movl %%es, %0" : "=r"(saved));
  asm volatile("movl %0, %%es" : : "r"((u32)SEL(G_DATA16, 0)));
  asm volatile("movl %%es:0x10, %0" : "=r"(got) : : "memory");
  put_kv("es:10 via base 2000", got);
  nl();
  asm volatile("movl %0, %%es" : : "r"(saved));
}

static void t_far(void) {
  u32 cs = 0, back = 0, sp0, sp1;
  asm volatile("ljmp %2, $1f\n1:\n\tmovl %%cs, %0\n\tljmp %3, $2f\n2:\n\tmovl %%cs, %1"
               : "=r"(cs), "=r"(back) : "i"(SEL(G_CODE2, 0)), "i"(SEL_KCODE));
  put_kv("ljmp cs", cs); put_kv("back", back); nl();
  static struct { u32 off; u16 sel; } __attribute__((packed)) target;
  target.sel = SEL(G_CODE2, 0);
  asm volatile("movl $3f, %[t]\n\t"
               "movl %%esp, %[s0]\n\t"
               "lcall *%[tp]\n\t"
               "jmp 4f\n"
               "3:\n\t"
               "movl %%esp, %[s1]\n\t"
               "movl %%cs, %%eax\n\tmovl %%eax, %[c]\n\t"
               "movzwl 4(%%esp), %[b]\n\t"
               "lret\n"
               "4:"
               : [t] "=m"(target.off), [s0] "=&r"(sp0), [s1] "=&m"(sp1), [c] "=&m"(cs), [b] "=&r"(back)
               : [tp] "m"(target)
               : "eax", "memory");
  put_kv("lcall cs", cs); put_kv("pushed cs", back); put_kv("depth", sp0 - sp1); nl();
  asm volatile("movl %%cs, %0" : "=r"(cs));
  put_kv("after lret cs", cs); nl();
  asm volatile("movl %%esp, %[s0]\n\t"
               "pushl $0x77\n\tpushl $0x88\n\t"
               "pushl %[sel]\n\tpushl $5f\n\t"
               "lret $8\n"
               "5:\n\tmovl %%cs, %%eax\n\tmovl %%eax, %[c]\n\tmovl %%esp, %[s1]\n\tmovl %[s0], %%esp\n\tljmp %[k], $6f\n6:"
               : [s0] "=&r"(sp0), [s1] "=&m"(sp1), [c] "=&m"(cs)
               : [sel] "i"(SEL(G_CODE2, 0)), [k] "i"(SEL_KCODE)
               : "eax", "memory");
  put_kv("lret 8 cs", cs); put_kv("depth", sp0 - sp1); nl();
  asm volatile(TRY_BEGIN "ljmp %0, $7f\n7:" TRY_END : : "i"(SEL(G_RODATA, 0)) : "memory");
  trap_report("ljmp to data");
  asm volatile(TRY_BEGIN "ljmp %0, $7f\n7:" TRY_END : : "i"(SEL(G_CONFORM, 0)) : "memory");
  trap_report("ljmp conforming dpl3");
}

void test_main(void) {
  setup();
  t_tables();
  t_control();
  t_debug();
  t_eflags();
  t_misc_sys();
  t_soft_int();
  t_access();
  t_sregs();
  t_far();
}
