// The fuzz kernel: runs random instruction streams (gen.c) in ring 0 and ring 3, with paging off
// and on, and keeps going through every exception: each IDT vector lands in one handler that
// counts the vector and resumes the stream at its next instruction (or ends it at its end, after
// too many faults, or when the PIT says it has run too long). At the end it prints the count of
// streams and exceptions by vector on the serial port and exits through the debug-exit port.
// Any exception the kernel itself takes outside a stream is printed and exits with status 3.
// The host patches `fuzz_params` in the ELF image before boot (guests/fuzz/run.ts).
// In the deterministic mode (det = 1) only ring-3 paged streams of G_DET instructions run, with
// the timer off, and every stream prints a digest of its final registers, flags, data pages and
// faults: the same ELF on QEMU must print the same lines (det = 2 also prints each fault and the
// final registers, to find where two machines part).
#include "fuzz.h"

struct fuzz_params {
  char magic[16];
  u32 seed, streams, insns, modes, det, tick_limit;
};
volatile struct fuzz_params fuzz_params = {"WORLD-FUZZ-PARM", 1, 64, 48, 0xf, 0, 2};

// Mode bits: which rings and paging states streams run in (in this order).
#define M_R0 1        // ring 0, paging off
#define M_R3 2        // ring 3, paging off (segments limit it to its own memory)
#define M_R0P 4       // ring 0, paging on
#define M_R3P 8       // ring 3, paging on

#define SEL_LCODE 0x33  // ring-3 code, base CODE_BASE, limit 4 KiB
#define SEL_LDATA 0x3b  // ring-3 data and stack, base USER_DATA, limit 160 KiB
#define MAX_FAULTS 64

struct regs { u32 eax, ecx, edx, ebx, esp, ebp, esi, edi, eip, cs, eflags, ss, ds, ring; };
void run_stream(struct regs *r);
void stream_abort(void) __attribute__((noreturn));

static u8 starts[CODE_BYTES];
static volatile u32 pd[1024] __attribute__((aligned(4096)));
static volatile u32 pt[4][1024] __attribute__((aligned(4096)));

static volatile int in_stream, stream_ring, stream_flavour;
static volatile u32 code_base, stream_len, stream_ds, stream_ss, stream_faults, stream_ticks;
static volatile u32 counts[256], timeouts, escapes, too_many, streams_run;
static volatile u32 digest;

static void fold(u32 v) {  // FNV-1a over the word's bytes
  for (int i = 0; i < 4; i++) { digest ^= (v >> (8 * i)) & 0xff; digest *= 16777619u; }
}


static int irq_in_service(u32 v) {
  int slave = v >= 0x28;
  return (pic_read_isr(slave) >> (v & 7)) & 1;
}

static void end_stream(struct frame *f) __attribute__((noreturn));
static void end_stream(struct frame *f) {
  if (fuzz_params.det) {
    fold(f->eax); fold(f->ecx); fold(f->edx); fold(f->ebx);
    fold(f->esi); fold(f->edi); fold(f->ebp); fold(f->esp);
    fold(f->eflags & 0xcc5);  // CF PF ZF SF DF OF (AF is undefined after the logical ops)
    if (fuzz_params.det > 1) {
      puts("r "); puthex(f->eax); putc(' '); puthex(f->ecx); putc(' '); puthex(f->edx); putc(' '); puthex(f->ebx);
      putc(' '); puthex(f->esi); putc(' '); puthex(f->edi); putc(' '); puthex(f->ebp); putc(' '); puthex(f->esp);
      putc(' '); puthex(f->eflags & 0xcc5); nl();
    }
    for (u32 a = USER_DATA; a < USER_DATA + 0x3000; a += 4) fold(*(volatile u32 *)a);
  }
  stream_abort();
}

static void on_trap(struct frame *f) {
  u32 v = f->vector;
  if (v >= 0x20 && v < 0x30 && irq_in_service(v)) {
    pic_eoi((int)(v - 0x20));
    if (in_stream && v == 0x20 && ++stream_ticks > fuzz_params.tick_limit) {
      timeouts++;
      end_stream(f);
    }
    return;
  }
  u32 cpl = f->cs & 3;
  u32 off = f->eip - code_base;
  int in_code = off <= CODE_BYTES;
  if (!in_stream || (cpl == 0 && !in_code)) trap_fatal("kernel fault ", f, 3);
  counts[v]++;
  if (fuzz_params.det) {
    u32 cr2 = v == 14 ? read_cr2() : 0;
    // A read-modify-write on an absent page: QEMU reports a read, this emulator a write (as
    // Bochs does); the manual does not say which access of the pair faults, so W is left out.
    u32 err = v == 14 && !(f->err & 1) ? f->err & ~2u : f->err;
    fold(v); fold(err); fold(off);
    if (v == 14) fold(cr2);
    if (fuzz_params.det > 1) {  // verbose: each fault, to find where two machines part
      puts("f "); puthex2(v); putc(' '); puthex(err); putc(' '); puthex(off); putc(' '); puthex(cr2); nl();
    }
  }
  // int3 on the padding after the stream: its end.
  if (v == 3 && off >= stream_len + 1) end_stream(f);
  if (!in_code || off >= stream_len) {
    escapes++;
    end_stream(f);
  }
  if (++stream_faults > MAX_FAULTS) {
    too_many++;
    end_stream(f);
  }
  // Faults leave EIP at the instruction, traps after it; either way go on with the next one.
  int trap = v == 1 || v == 3 || v == 4;
  if (!trap || !starts[off]) {
    do off++; while (off < stream_len && !starts[off]);
  }
  f->eip = code_base + off;
  f->ds = f->es = f->fs = f->gs = stream_ds;
  if (cpl == 3) {
    f->eflags = (f->eflags & 0x40dd5) | FL_IF;  // arithmetic, TF, DF, AC kept; IOPL 0, no NT
    f->ss = stream_ss;
    u32 lo = stream_ring == 3 && code_base == 0 ? USER_STACK - USER_DATA : USER_STACK;
    if (f->esp < lo + 256 || f->esp > lo + 0x8000) f->esp = lo + 0x4000;
    f->cs = code_base == 0 ? SEL_LCODE : SEL_UCODE;
  } else {
    f->eflags = (f->eflags & 0xcd5) | FL_IF;
  }
}

static void map_page(u32 addr, u32 flags) { pt[addr >> 22][(addr >> 12) & 1023] = addr | flags; }

static void paging_build(void) {
  for (u32 a = 0; a < 0x01000000; a += 4096) map_page(a, 0x3);  // supervisor, writable
  for (u32 i = 0; i < 4; i++) pd[i] = (u32)pt[i] | 0x7;
  // The page tables themselves read-only (a hypervisor refuses writable ones).
  map_page((u32)pd, 0x1);
  for (u32 i = 0; i < 4; i++) map_page((u32)pt[i], 0x1);
  map_page(CODE_BASE, 0x7);
  for (u32 a = USER_DATA; a < USER_DATA + 0x10000; a += 4096) map_page(a, 0x7);
  for (u32 a = USER_STACK; a < USER_STACK_HI; a += 4096) map_page(a, 0x7);
  pt[USER_DATA >> 22][((USER_DATA >> 12) & 1023) + 3] = 0;                 // absent
  pt[USER_DATA >> 22][((USER_DATA >> 12) & 1023) + 5] = (USER_DATA + 0x5000) | 0x5;  // read-only
  pt[SCRATCH >> 22][((SCRATCH >> 12) & 1023) + 5] = 0;                     // absent
  pt[SCRATCH >> 22][((SCRATCH >> 12) & 1023) + 7] = (SCRATCH + 0x7000) | 0x1;  // read-only
}

static void paging_on(void) {
  write_cr3((u32)pd);
  write_cr0(read_cr0() | 0x80010000);  // PG, WP
}

static void paging_off(void) { write_cr0(read_cr0() & ~0x80010000u); }

static void run_one(u32 index, int mode) {
  struct regs r;
  gen_seed(fuzz_params.seed * 0x9e3779b1u ^ (index + 1) * 0x85ebca6bu);
  int ring3 = mode == M_R3 || mode == M_R3P;
  int flavour = fuzz_params.det ? G_DET : ring3 ? (rnd() & 1 ? G_WILD : G_RAW) : G_SAFE;
  stream_len = gen_stream((u8 *)CODE_BASE, starts, fuzz_params.insns, flavour);
  for (u32 i = 0; i < 8; i++) ((u32 *)&r)[i] = rnd();
  r.eflags = (rnd() & 0x8d5) | FL_IF | 0x2;
  r.ring = ring3 ? 3 : 0;
  if (!ring3) {
    r.ebx = SCRATCH + 0x1000 + (rnd() & 0xdfff);
    r.esi = SCRATCH + 0x4000 + (rnd() & 0x3fff);
    r.edi = SCRATCH + 0x6000 + (rnd() & 0x3fff);
    r.esp = STACK0_LO + 0x8000;
    r.cs = SEL_KCODE; r.ss = SEL_KDATA; r.ds = SEL_KDATA;
    code_base = CODE_BASE;
  } else {
    u32 base = mode == M_R3 ? USER_DATA : 0;
    u32 data = USER_DATA - base;
    if (flavour != G_RAW) {
      r.ebx = data + 0x2f80 + (rnd() & 0x7f);   // reaches into the absent page
      r.esi = data + 0x1000 + (rnd() & 0xfff);
      r.edi = data + 0x5000 + (rnd() & 0xff);   // the read-only page, the absent one below
    }
    r.esp = USER_STACK - base + 0x4000;
    if (mode == M_R3) { r.cs = SEL_LCODE; r.ss = r.ds = SEL_LDATA; code_base = 0; }
    else { r.cs = SEL_UCODE; r.ss = r.ds = SEL_UDATA; code_base = CODE_BASE; }
  }
  r.eip = code_base;
  if (fuzz_params.det) {
    gen_seed(fuzz_params.seed ^ index);
    for (u32 a = USER_DATA; a < USER_DATA + 0x3000; a += 4) *(volatile u32 *)a = rnd();
    digest = 2166136261u;
  }
  stream_ring = r.ring;
  stream_ds = r.ds;
  stream_ss = r.ss;
  stream_faults = 0;
  stream_ticks = 0;
  in_stream = 1;
  run_stream(&r);
  in_stream = 0;
  streams_run++;
  if (fuzz_params.det) {
    puts("d ");
    putdec(index);
    putc(' ');
    puthex(digest);
    nl();
  }
}

void test_main(void) {
  for (int v = 0; v < 256; v++) trap_set_handler(v, on_trap);
  gdt_set(6, CODE_BASE, CODE_BYTES - 1, 0xfa, 0x4);
  gdt_set(7, USER_DATA, USER_STACK_HI - USER_DATA - 1, 0xf2, 0x4);
  lgdt_now();
  paging_build();
  // A pattern in the ring-3 data pages, written while every page is still writable.
  gen_seed(fuzz_params.seed);
  for (u32 a = USER_DATA; a < USER_DATA + 0x10000; a += 4) *(volatile u32 *)a = rnd();
  u32 modes = fuzz_params.det ? M_R3P : fuzz_params.modes;
  u32 list[4], n = 0;
  for (u32 b = 1; b <= 8; b <<= 1) if (modes & b) list[n++] = b;
  if (!fuzz_params.det) {
    pit_periodic(50);  // about 24 kHz: a looping stream ends within tick_limit periods
    pic_init(0xfe, 0xff);
  }
  int paged = 0;
  for (u32 k = 0; k < n; k++) {
    int mode = (int)list[k];
    int want = mode == M_R0P || mode == M_R3P;
    if (want && !paged) paging_on();
    if (!want && paged) paging_off();
    paged = want;
    // While ring-3 streams run unpaged, the flat ring-3 descriptors would reach all memory.
    u64 ucode = gdt[3], udata = gdt[4];
    if (mode == M_R3) { gdt[3] = 0; gdt[4] = 0; lgdt_now(); }
    u32 from = fuzz_params.streams * k / n, to = fuzz_params.streams * (k + 1) / n;
    for (u32 i = from; i < to; i++) run_one(i, mode);
    gdt[3] = ucode;
    gdt[4] = udata;
    lgdt_now();
  }
  cli();
  if (paged) paging_off();
  puts("streams=");
  putdec(streams_run);
  puts(" timeouts=");
  putdec(timeouts);
  puts(" escapes=");
  putdec(escapes);
  puts(" fault-limit=");
  putdec(too_many);
  nl();
  for (int v = 0; v < 256; v++) {
    if (!counts[v]) continue;
    puts("vector ");
    puthex2((u32)v);
    putc(' ');
    putdec(counts[v]);
    nl();
  }
  puts("done\n");
}
