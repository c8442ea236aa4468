// Self-modifying code: code rewritten after it has run (and after it has run hot, in a loop),
// an instruction patched just ahead of execution (with the jump the manual asks for), NOP padding
// overwritten with a call the way the afterburner's wedge patches a site, a function body
// replaced with rep movsb, and code written through a paging alias of its physical page. Each
// run must execute the new bytes.
#include "lib.h"

static u8 buf[256] __attribute__((aligned(16)));

static u32 call_buf(u32 off) {
  u32 r;
  asm volatile("call *%1" : "=a"(r) : "r"((u32)buf + off) : "ecx", "edx", "memory");
  return r;
}

static void emit_mov_ret(u8 *p, u32 imm) {
  p[0] = 0xb8;  // mov $imm32, %eax
  p[1] = (u8)imm;
  p[2] = (u8)(imm >> 8);
  p[3] = (u8)(imm >> 16);
  p[4] = (u8)(imm >> 24);
  p[5] = 0xc3;  // ret
}

static void t_rewrite(void) {
  for (u32 i = 0; i < 5; i++) {
    emit_mov_ret(buf, 0x1000 + i);
    chk_add(call_buf(0));
  }
  // Hot: run it many times, then change it.
  emit_mov_ret(buf, 7);
  u32 sum = 0;
  for (u32 i = 0; i < 3000; i++) sum += call_buf(0);
  chk_add(sum);
  buf[1] = 9;
  chk_add(call_buf(0));
  // Patch mid-loop: from iteration 1000 on, the function returns 11.
  sum = 0;
  emit_mov_ret(buf, 1);
  for (u32 i = 0; i < 2000; i++) {
    if (i == 1000) buf[1] = 11;
    sum += call_buf(0);
  }
  chk_add(sum);
  chk_line("rewrite");
}

static void t_patch_ahead(void) {
  u32 r = 0;
  for (u32 k = 0; k < 3; k++) {
    // The store rewrites the immediate of the mov two instructions on; jmp makes it compliant.
    asm volatile("movl %1, 2f+1\n\t"
                 "jmp 2f\n"
                 "2:\tmovl $0x0c, %0"
                 : "=a"(r) : "r"(0x100 + k) : "memory");
    chk_add(r);
  }
  chk_line("patch_ahead");
}

// A site padded with NOPs (as the afterburner leaves it) becomes "call wedge_fn" at run time.
u32 wedge_hits;
void wedge_fn(void) { wedge_hits++; }
extern u8 site_begin[], site_end[];
static void __attribute__((noinline)) site(void) {
  asm volatile(".globl site_begin, site_end\n"
               "site_begin:\n\t"
               ".byte 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90\n"
               "site_end:"
               ::: "eax", "ecx", "edx", "memory");
}

static void t_wedge_patch(void) {
  for (int i = 0; i < 100; i++) site();
  put_kv("before patch hits", wedge_hits);
  u32 rel = (u32)wedge_fn - ((u32)site_begin + 5);
  site_begin[0] = 0xe8;
  site_begin[1] = (u8)rel;
  site_begin[2] = (u8)(rel >> 8);
  site_begin[3] = (u8)(rel >> 16);
  site_begin[4] = (u8)(rel >> 24);
  for (int i = 0; i < 100; i++) site();
  put_kv("after patch", wedge_hits);
  // And back to NOPs.
  for (u8 *p = site_begin; p < site_end; p++) *p = 0x90;
  for (int i = 0; i < 100; i++) site();
  put_kv("after unpatch", wedge_hits);
  nl();
}

static void t_movs_body(void) {
  static u8 body_a[6], body_b[6];
  emit_mov_ret(body_a, 0xaaaa);
  emit_mov_ret(body_b, 0xbbbb);
  u32 si = (u32)body_a, di = (u32)buf + 64, cx = 6;
  asm volatile("rep movsb" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
  put_kv("movs body a", call_buf(64));
  si = (u32)body_b; di = (u32)buf + 64; cx = 6;
  asm volatile("rep movsb" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
  put_kv("b", call_buf(64));
  nl();
}

// Paging: 0-4 MiB identity (4 KiB pages) and an alias of the same frames at 0x40000000.
static u32 pd[1024] __attribute__((aligned(4096)));
static u32 pt[1024] __attribute__((aligned(4096)));

static void t_alias(void) {
  for (u32 i = 0; i < 1024; i++) pt[i] = (i << 12) | 3;
  pd[0] = (u32)pt | 3;
  pd[0x40000000 >> 22] = (u32)pt | 3;
  write_cr3((u32)pd);
  write_cr0(read_cr0() | 0x80000000);
  u8 *alias = (u8 *)(0x40000000 + (u32)buf + 128);
  emit_mov_ret(alias, 0x1111);
  u32 a = call_buf(128);
  for (int i = 0; i < 500; i++) a += call_buf(128) & 1;
  alias[1] = 0x22;  // written through the alias, run through the identity mapping
  u32 b = call_buf(128);
  // And run through the alias after writing through the identity mapping.
  buf[129] = 0x33;
  u32 c;
  asm volatile("call *%1" : "=a"(c) : "r"(0x40000000 + (u32)buf + 128) : "ecx", "edx", "memory");
  write_cr0(read_cr0() & ~0x80000000u);
  put_kv("alias first", a);
  put_kv("patched via alias", b);
  put_kv("run via alias", c);
  nl();
}

void test_main(void) {
  t_rewrite();
  t_patch_ahead();
  t_wedge_patch();
  t_movs_body();
  t_alias();
}
