// Call gates (optional in the spec): ring 3 calls into ring 0 through a DPL-3 call gate with two
// parameters copied to the ring-0 stack (esp0 from the TSS), and lret $8 returns to ring 3,
// popping the parameters from both stacks; a DPL-0 gate refuses ring 3 with #GP.
#include "lib.h"

enum { G_GATE3 = GDT_FREE, G_GATE0 };

static volatile u32 out[1];

volatile u32 gate_frame[6], gate_esp;
void gate_target(void);
asm(".text\n"
    "gate_target:\n\t"
    "movl %esp, gate_esp\n\t"
    "movl 0(%esp), %eax\n\tmovl %eax, gate_frame\n\t"
    "movl 4(%esp), %eax\n\tmovl %eax, gate_frame+4\n\t"
    "movl 8(%esp), %eax\n\tmovl %eax, gate_frame+8\n\t"
    "movl 12(%esp), %eax\n\tmovl %eax, gate_frame+12\n\t"
    "movl 16(%esp), %eax\n\tmovl %eax, gate_frame+16\n\t"
    "movl 20(%esp), %eax\n\tmovl %eax, gate_frame+20\n\t"
    "movl %cs, %eax\n\t"
    "lret $8\n");

static volatile u32 user_esp_before, user_esp_after, user_cs_after, gate_eax;

static void user_gate(void) {
  asm volatile("movl %%esp, user_esp_before\n\t"
               "pushl $0x22222222\n\tpushl $0x11111111\n\t"
               "lcall %[g], $0\n\t"
               "movl %%eax, gate_eax\n\t"
               "movl %%esp, user_esp_after\n\t"
               "movl %%cs, %%eax\n\tmovl %%eax, user_cs_after"
               : : [g] "i"((G_GATE3 << 3) | 3) : "eax", "memory");
  asm volatile(TRY_BEGIN "lcall %[g], $0" TRY_END : : [g] "i"((G_GATE0 << 3) | 3) : "eax", "memory");
  out[0] = trap_count ? (trap_vector << 16) | trap_err : 0xffffffff;
  trap_count = 0;
  asm volatile("movl $0, %%eax\n\tint $0x80" : : "b"(0) : "eax", "memory");
}

static void t_call_gate(void) {
  u32 target = (u32)gate_target;
  // 32-bit call gate: offset, selector 8, two parameters, DPL 3 (and a DPL 0 twin).
  gdt[G_GATE3] = (u64)(target & 0xffff) | ((u64)SEL_KCODE << 16) | ((u64)0x2 << 32) | ((u64)0xec << 40) |
                 ((u64)(target >> 16) << 48);
  gdt[G_GATE0] = gdt[G_GATE3] & ~(3ull << 45);
  enter_user(user_gate, 0x202, (u32)ustack_top);
  puts("gate frame: eip ");
  puthex(gate_frame[0] == 0 ? 0 : 1);
  puts(" cs ");
  puthex4(gate_frame[1] & 0xffff);
  puts(" params ");
  puthex(gate_frame[2]);
  putc(' ');
  puthex(gate_frame[3]);
  puts(" esp ");
  puthex(user_esp_before - gate_frame[4]);
  puts(" ss ");
  puthex4(gate_frame[5] & 0xffff);
  nl();
  put_kv("ring0 esp below esp0", tssb.t.esp0 - gate_esp);
  put_kv("ring0 cs", gate_eax & 0xffff);
  put_kv("back cs", user_cs_after);
  put_kv("esp moved", user_esp_before - user_esp_after);
  nl();
  puts("gate dpl0 from ring 3: ");
  puthex(out[0]);
  nl();
}

void test_main(void) {
  t_call_gate();
}
