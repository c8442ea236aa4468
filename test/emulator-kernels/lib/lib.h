// The test kernels' shared runtime: serial output, exit, descriptor tables, traps, PIC/PIT.
// Every kernel defines test_main(); boot.S sets up a stack, the runtime installs a GDT, IDT and
// TSS with fixed selectors (below), then calls test_main() and exits with status 0.
#ifndef LIB_H
#define LIB_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;

// Fixed GDT selectors.
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1b   // index 3, RPL 3
#define SEL_UDATA 0x23   // index 4, RPL 3
#define SEL_TSS   0x28
#define GDT_FREE  6      // first index a test may fill with gdt_set()
#define GDT_SIZE  32

// EFLAGS bits.
#define FL_CF 0x0001
#define FL_PF 0x0004
#define FL_AF 0x0010
#define FL_ZF 0x0040
#define FL_SF 0x0080
#define FL_TF 0x0100
#define FL_IF 0x0200
#define FL_DF 0x0400
#define FL_OF 0x0800
#define FL_IOPL3 0x3000
#define FL_NT 0x4000
#define FL_AC 0x40000
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

// serial.c
void putc(char c);
void puts(const char *s);
void puthex(u32 v);          // 8 hex digits
void puthex2(u32 v);         // 2 hex digits
void puthex4(u32 v);         // 4 hex digits
void putdec(u32 v);
void put_kv(const char *key, u32 v);  // "key=xxxxxxxx "
void nl(void);
void exit(u32 code) __attribute__((noreturn));

// check.c: a running checksum for tests that loop over many operands.
void chk_reset(void);
void chk_add(u32 v);
u32 chk_get(void);
void chk_line(const char *name);  // prints "name chk=xxxxxxxx n=N" and resets
extern const u32 test_values32[];
extern const int n_test_values32;

// desc.c: descriptor tables.
struct tss {
  u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
  u32 eax, ecx, edx, ebx, esp, ebp, esi, edi;
  u32 es, cs, ss, ds, fs, gs, ldt;
  u32 iomap;  // bit 0: debug trap flag; bits 16-31: I/O map base
} __attribute__((packed));
extern u64 gdt[GDT_SIZE];
extern u64 idt[256];
struct tss_block {
  struct tss t;
  u8 iomap[8192 + 1];  // I/O permission bitmap right after the TSS, then the 0xff terminator
} __attribute__((packed));
extern struct tss_block tssb;
void tss_load(u32 limit);  // rewrites the TSS descriptor (not busy) with this limit and runs ltr
void desc_init(void);
void gdt_set(int index, u32 base, u32 limit, u8 access, u8 flags);  // flags: G(8) D(4) in high nibble form: 0xC = 4K, 32-bit
void idt_set(int vector, u32 handler, u16 sel, u8 type_attr);      // type_attr e.g. 0x8e
void idt_set_default(int vector, int dpl, int trap_gate);          // point at the runtime stub
void lgdt_now(void);
void lidt_now(void);
extern u32 trap_stubs[256];
extern u8 __sysdesc_start[], __sysdesc_end[];  // the pages holding gdt, idt and tssb
extern u8 kstack0_top[];  // ring-0 stack used on entry from ring 3 (tss.esp0)

// trap.c: trap frames, fault catching and reporting.
struct frame {
  u32 gs, fs, es, ds;
  u32 edi, esi, ebp, esp_dummy, ebx, edx, ecx, eax;
  u32 vector, err;
  u32 eip, cs, eflags;
  u32 esp, ss;  // present only when the trap came from a less privileged ring
};
typedef void (*trap_handler_t)(struct frame *f);
extern volatile u32 trap_recover;   // EIP to resume at after a caught fault (0: none armed)
extern volatile u32 trap_count;     // traps caught since the last report
extern volatile u32 trap_vector, trap_err, trap_cr2, trap_eip, trap_cs, trap_delta;
void trap_set_handler(int vector, trap_handler_t h);
// Prints "<what>vv err=eeeeeeee eip=eeeeeeee cs=cccc" and exits with status.
void trap_fatal(const char *what, const struct frame *f, u32 status) __attribute__((noreturn));
void trap_report(const char *label);  // prints "label: #vv err=eeee" or "label: no fault" and clears
void trap_report_cr2(const char *label);
// Arms recovery: a fault in the asm between ARM and the label resumes at the label.
#define TRY_BEGIN "movl $1f, trap_recover\n\t"
#define TRY_END "\n1:\n\tmovl $0, trap_recover\n\t"

// vectors.S, trap.c: run fn in ring 3 (or any ring: enter_ring with its code and stack
// selectors) with the given EFLAGS; returns the value fn passes back with int $0x80, EAX = 0,
// EBX = value.
u32 enter_user(void (*fn)(void), u32 eflags, u32 user_esp);
u32 enter_ring(void (*fn)(void), u32 eflags, u32 esp, u32 cs, u32 ss);
extern u8 ustack_top[];

// pic.c: 8259A pair and 8254 PIT.
void pic_init(u8 mask_master, u8 mask_slave);
void pic_eoi(int irq);
u8 pic_read_irr(int slave);
u8 pic_read_isr(int slave);
void pic_set_mask(u8 master, u8 slave);
void pit_oneshot(u16 count);
void pit_periodic(u16 count);
void pit_stop(void);

// Port I/O and control registers.
static inline void outb(u16 port, u8 v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u16 inw(u16 port) { u16 v; asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 inl(u16 port) { u32 v; asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 read_cr0(void) { u32 v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline u32 read_cr2(void) { u32 v; asm volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline u32 read_cr3(void) { u32 v; asm volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline u32 read_cr4(void) { u32 v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(u32 v) { asm volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void write_cr2(u32 v) { asm volatile("mov %0, %%cr2" : : "r"(v) : "memory"); }
static inline void write_cr3(u32 v) { asm volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline void write_cr4(u32 v) { asm volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }
static inline u32 read_eflags(void) { u32 v; asm volatile("pushf; pop %0" : "=r"(v)); return v; }
static inline void write_eflags(u32 v) { asm volatile("push %0; popf" : : "r"(v) : "memory", "cc"); }
static inline void cli(void) { asm volatile("cli" ::: "memory"); }
static inline void sti(void) { asm volatile("sti" ::: "memory"); }
static inline void invlpg(u32 va) { asm volatile("invlpg (%0)" : : "r"(va) : "memory"); }

void *memset(void *d, int c, u32 n);
void *memcpy(void *d, const void *s, u32 n);

void test_main(void);

#endif
