// Segment bases: code running in a code segment based at 64 KiB (EIP, call/ret and the pushed
// return address are offsets from the base), a stack segment with a base, data accesses through
// DS/ES/FS/GS with different bases and overrides, and string instructions with a source
// override and a based ES. lea is unaffected by segment bases. Far transfers check the target
// offset against the code segment's limit (ljmp only: the limit check QEMU's TCG gets right).
#include "lib.h"

#define BASE 0x10000u
enum { G_CODE_B = GDT_FREE, G_DATA_B, G_DATA_C, G_CODE_SMALL };

static u8 area[256] __attribute__((aligned(16)));
static volatile u32 seen_eip, seen_ret, seen_cs, seen_lea;

// Runs inside the based code segment: offsets there are linear addresses minus BASE.
void based_code(void);
asm(".text\n"
    "based_code:\n\t"
    "call 1f\n"
    "1:\tpopl %eax\n\t"                 // EIP of label 1, as an offset in the based segment
    "movl %eax, seen_eip\n\t"
    "movl %cs, %eax\n\t"
    "movl %eax, seen_cs\n\t"
    "leal 0x100(%esp), %eax\n\t"
    "subl %esp, %eax\n\t"
    "movl %eax, seen_lea\n\t"
    "lret\n");

static void t_code_base(void) {
  static struct { u32 off; u16 sel; } __attribute__((packed)) target;
  target.off = (u32)based_code - BASE;
  target.sel = (G_CODE_B << 3);
  u32 cs;
  asm volatile("lcall *%1\n\tmovl %%cs, %0" : "=r"(cs) : "m"(target) : "eax", "memory");
  put_kv("based eip", seen_eip);
  put_kv("linear", seen_eip + BASE - (u32)based_code);
  put_kv("cs", seen_cs);
  put_kv("back", cs);
  put_kv("lea", seen_lea);
  nl();
}

static void t_stack_base(void) {
  u32 got = 0, esp_in = 0;
  static u32 slot;
  asm volatile("movl %%esp, %%ecx\n\t"
               "movl %%ss, %%edx\n\t"
               "movl %[sel], %%eax\n\t"
               "movl %%eax, %%ss\n\t"
               "subl %[base], %%esp\n\t"
               "movl %%esp, %[ein]\n\t"
               "pushl $0x5151a5a5\n\t"
               "popl %[got]\n\t"
               "movl -4(%%ecx), %%eax\n\tmovl %%eax, %[pa]\n\t"  // the slot, read flat through DS
               "movl %%edx, %%ss\n\t"
               "movl %%ecx, %%esp"
               : [got] "=&r"(got), [ein] "=&m"(esp_in), [pa] "=&m"(slot)
               : [sel] "i"((G_DATA_B << 3)), [base] "i"(BASE)
               : "eax", "ecx", "edx", "memory");
  put_kv("ss-based pop", got);
  put_kv("linear slot", slot);
  nl();
}

static void t_data_bases(void) {
  for (int i = 0; i < 256; i++) area[i] = (u8)i;
  u32 off = (u32)area - BASE, a, b, c, d;
  u32 saved_es, saved_fs, saved_gs;
  asm volatile("movl %%es, %0\n\tmovl %%fs, %1\n\tmovl %%gs, %2" : "=r"(saved_es), "=r"(saved_fs), "=r"(saved_gs));
  asm volatile("movl %[sb], %[a]\n\tmovl %[a], %%es\n\tmovl %[a], %%gs\n\t"
               "movl %[sc], %[a]\n\tmovl %[a], %%fs\n\t"
               "movl %%es:16(%[o]), %[a]\n\t"
               "movl %%fs:32-0x10000(%[o]), %[bb]\n\t"   // FS is based at 2 * BASE
               "movl %%gs:20(%[o]), %[cc]\n\t"
               "movl $0xfeedf00d, %%es:64(%[o])\n\t"
               "movl %[m64], %[dd]"
               : [a] "=&r"(a), [bb] "=&r"(b), [cc] "=&r"(c), [dd] "=&r"(d)
               : [sb] "i"(G_DATA_B << 3), [sc] "i"(G_DATA_C << 3), [o] "r"(off),
                 [m64] "m"(*(volatile u32 *)(area + 64))
               : "memory");
  put_kv("es", a); put_kv("fs", b); put_kv("gs", c); put_kv("es write", d); nl();
  // String copy: source through FS (based), destination through ES (based).
  u32 si = (u32)area - 2 * BASE, di = (u32)area - BASE + 128, cx = 16;
  asm volatile("rep movsb %%fs:(%%esi), %%es:(%%edi)" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
  chk_reset();
  for (int i = 128; i < 144; i++) chk_add(area[i]);
  chk_add(si - ((u32)area - 2 * BASE));
  chk_add(di - ((u32)area - BASE));
  chk_line("fs->es movsb");
  asm volatile("movl %0, %%es\n\tmovl %1, %%fs\n\tmovl %2, %%gs" : : "r"(saved_es), "r"(saved_fs), "r"(saved_gs));
}

static void t_code_limit(void) {
  // A flat-based code segment with a 2 MiB limit (4 KiB granular): the kernel lies inside.
  gdt_set(G_CODE_SMALL, 0, 0x1ff, 0x9a, 0xc);
  static struct { u32 off; u16 sel; } __attribute__((packed)) far;
  far.sel = G_CODE_SMALL << 3;
  far.off = 0x00300000;  // beyond the limit
  asm volatile(TRY_BEGIN "ljmp *%0" TRY_END : : "m"(far) : "memory");
  trap_report("ljmp beyond cs limit");
  // (Not lcall or lret: QEMU 7.2 reports lcall's limit fault with the selector as error code
  // and does not check lret's target offset at all.)
  u32 cs = 0;
  far.off = (u32)&&inside_limit;
  asm volatile goto("ljmp *%0" : : "m"(far) : "memory" : inside_limit);
inside_limit:
  asm volatile("movl %%cs, %0\n\tljmp %1, $1f\n1:" : "=r"(cs) : "i"(SEL_KCODE));
  put_kv("ljmp within limit cs", cs);
  nl();
}

void test_main(void) {
  gdt_set(G_CODE_B, BASE, 0xfffff, 0x9a, 0xc);
  gdt_set(G_DATA_B, BASE, 0xfffff, 0x92, 0xc);
  gdt_set(G_DATA_C, 2 * BASE, 0xfffff, 0x92, 0xc);
  t_code_base();
  t_stack_base();
  t_data_bases();
  t_code_limit();
}
