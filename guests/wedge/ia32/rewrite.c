// The rewriter. Replacements (all fit the afterburner's padding, PAPER.md section 3):
//   cli    movb $1, mask                                        (inline, 7 of 8 bytes)
//   sti    movb $0, mask; pushl %ecx; movzbl pending, %ecx; jecxz 1f;
//          call *ws_ptr_force; 1: popl %ecx                     (inline, 24 of 24)
//   popf   call *ws_ptr_popf
//   sti directly followed by a hlt site (sti; hlt, the idle loop): movb $0, mask only. sti
//          holds interrupts off for one more instruction, so natively a pending interrupt is
//          taken at the hlt and wakes it; the hlt stub delivers what is pending before it
//          blocks, which keeps that (delivering at the sti would make the hlt wait a tick).
// The inline sequences change no flags (mov, push, pop, jecxz and call leave them alone) and
// contain no sensitive instruction: a pushf/popf pair around a compare would itself run
// unrewritten in ring 1. popf has no such form (restoring the arithmetic flags takes popf),
// so it is a call; its stub pops the flags image in the wedge.
//   iret   jmp ws_iret                                           (5 of 5)
//   ljmp   jmp target (a far jump to a kernel code selector only reloads CS)
//   in/out with an immediate port:  pushl %edx; movl $port, %edx; call *ws_ptr_out_b; popl %edx
//   invlpg (%reg):  call *ws_ptr_invlpg_<reg>
//   invlpg/lgdt/lidt/sgdt/sidt m, sldt/str m, mov m <-> sreg:
//          pushl %eax; leal m, %eax; call *ws_ptr_<kind>; popl %eax
//          (m relative to ESP: its displacement grows by 4, the pushl having moved ESP)
//   lss m, %esp:  pushl %eax; leal m, %eax; call *ws_ptr_lss (the stub returns on the new
//          stack with EAX restored: nothing may follow that touches the old one)
//          too long for the site, with m = disp8(%esp) or (%esp) (no index):
//          call *ws_ptr_<kind>_esp; .byte disp8   (the stub reads the byte, returns past it)
//   rdmsr, wrmsr, ins/outs [rep], mov dr <-> reg, lldt/sldt/str reg:  call *ws_ptr_<kind>_<operands>
//   everything else:  call *ws_ptr_<kind>_<operands>
// Calls are indirect through an absolute slot (6 bytes) rather than rel32 (5): some sites run
// before the guest turns paging on, at an address other than the one they were linked for,
// where a relative call would land elsewhere. iret never runs with paging off and has only 5
// bytes, so it keeps the relative jump.
#include "rewrite.h"

struct emit {
  u8 *p;
  u32 n, cap, va;
  int overflow;
};

static void byte(struct emit *e, u32 b)
{
  if (e->n < e->cap)
    e->p[e->n] = (u8)b;
  else
    e->overflow = 1;
  e->n++;
}

static void word(struct emit *e, u32 w)
{
  for (int i = 0; i < 4; i++)
    byte(e, w >> (8 * i));
}

static void call_slot(struct emit *e, u32 slot) { byte(e, 0xFF); byte(e, 0x15); word(e, slot); }
static void movb_abs(struct emit *e, u32 addr, u32 v) { byte(e, 0xC6); byte(e, 0x05); word(e, addr); byte(e, v); }

static void copy_str(char *d, u32 cap, const char *a, const char *b, const char *c)
{
  u32 n = 0;
  for (const char *parts[3] = { a, b, c }, **q = parts; q < parts + 3; q++)
    for (const char *s = *q; s && *s && n + 1 < cap; s++)
      d[n++] = *s;
  d[n] = 0;
}

// A memory operand that is just (%reg): ModRM alone, mod 0, no SIB, no displacement.
static int register_indirect(const struct insn *in)
{
  return in->mem_len == 1 && in->reg != 4 && in->reg != 5;
}

// Sites whose stub takes the address of a memory operand in EAX (computed by the site's lea).
static int memory_form(const struct insn *in)
{
  switch (in->op) {
  case OP_INVLPG: return !register_indirect(in);
  case OP_LGDT: case OP_LIDT: case OP_SGDT: case OP_SIDT: case OP_LSS: return 1;
  case OP_SLDT: case OP_STR: case OP_MOV_TO_SREG: case OP_MOV_FROM_SREG: return in->mem;
  }
  return 0;
}

// The stub name for a site that becomes a plain call, or "" when there is none.
static void stub_name(const struct insn *in, char *name, u32 cap)
{
  static const char *const sizes[5] = { "", "b", "w", "", "l" };
  char cr[8] = "cr0_";
  const char *r = in->size == 2 ? reg16_names[in->reg] : reg32_names[in->reg];
  name[0] = 0;
  switch (in->op) {
  case OP_RDMSR: copy_str(name, cap, "rdmsr", 0, 0); break;
  case OP_WRMSR: copy_str(name, cap, "wrmsr", 0, 0); break;
  case OP_MOV_TO_DR:
    cr[0] = 'd'; cr[1] = 'r'; cr[2] = (char)('0' + in->cr);
    copy_str(name, cap, "mov_to_", cr, reg32_names[in->reg]);
    break;
  case OP_MOV_FROM_DR:
    cr[0] = 'd'; cr[1] = 'r'; cr[2] = (char)('0' + in->cr);
    copy_str(name, cap, "mov_from_", cr, reg32_names[in->reg]);
    break;
  case OP_INS: copy_str(name, cap, in->rep ? "rep_" : "", "ins_", sizes[in->size]); break;
  case OP_OUTS: copy_str(name, cap, in->rep ? "rep_" : "", "outs_", sizes[in->size]); break;
  case OP_LSS: copy_str(name, cap, "lss", 0, 0); break;
  case OP_SGDT: copy_str(name, cap, "sgdt", 0, 0); break;
  case OP_SIDT: copy_str(name, cap, "sidt", 0, 0); break;
  case OP_SLDT: copy_str(name, cap, "sldt_", in->mem ? "mem" : r, 0); break;
  case OP_STR: copy_str(name, cap, "str_", in->mem ? "mem" : r, 0); break;
  case OP_LLDT: copy_str(name, cap, "lldt_", reg32_names[in->reg], 0); break;
  case OP_CLI: copy_str(name, cap, "cli", 0, 0); break;
  case OP_STI: copy_str(name, cap, "sti", 0, 0); break;
  case OP_PUSHF: copy_str(name, cap, "pushf", 0, 0); break;
  case OP_POPF: copy_str(name, cap, "popf", 0, 0); break;
  case OP_HLT: copy_str(name, cap, "hlt", 0, 0); break;
  case OP_CPUID: copy_str(name, cap, "cpuid", 0, 0); break;
  case OP_CLTS: copy_str(name, cap, "clts", 0, 0); break;
  case OP_WBINVD: copy_str(name, cap, "wbinvd", 0, 0); break;
  case OP_IN: copy_str(name, cap, "in_", sizes[in->size], 0); break;
  case OP_OUT: copy_str(name, cap, "out_", sizes[in->size], 0); break;
  case OP_INVLPG:
    if (register_indirect(in))
      copy_str(name, cap, "invlpg_", reg32_names[in->reg], 0);   // invlpg (%reg): 9 bytes only
    else
      copy_str(name, cap, "invlpg", 0, 0);
    break;
  case OP_LGDT: copy_str(name, cap, "lgdt", 0, 0); break;
  case OP_LIDT: copy_str(name, cap, "lidt", 0, 0); break;
  case OP_MOV_TO_CR:
    cr[2] = (char)('0' + in->cr);
    copy_str(name, cap, "mov_to_", cr, reg32_names[in->reg]);
    break;
  case OP_MOV_FROM_CR:
    cr[2] = (char)('0' + in->cr);
    copy_str(name, cap, "mov_from_", cr, reg32_names[in->reg]);
    break;
  case OP_MOV_TO_SREG: {
    char s[8];
    copy_str(s, sizeof s, sreg_names[in->sreg], "_", 0);
    copy_str(name, cap, "mov_to_", s, in->mem ? "mem" : reg32_names[in->reg]);
    break;
  }
  case OP_MOV_FROM_SREG: {
    char s[8];
    copy_str(s, sizeof s, sreg_names[in->sreg], "_", 0);
    copy_str(name, cap, "mov_from_", s, in->mem ? "mem" : r);
    break;
  }
  case OP_PUSH_SREG: copy_str(name, cap, "push_", sreg_names[in->sreg], 0); break;
  case OP_POP_SREG: copy_str(name, cap, "pop_", sreg_names[in->sreg], 0); break;
  case OP_LTR: copy_str(name, cap, "ltr_", reg32_names[in->reg], 0); break;
  }
}

static int inline_form(const struct insn *in, struct emit *e, const struct rw_env *env)
{
  switch (in->op) {
  case OP_CLI:
    movb_abs(e, env->mask_va, 1);
    return 1;
  case OP_STI: {
    u32 force = env->slot("force");
    if (env->before_hlt) {
      movb_abs(e, env->mask_va, 0);
      return 1;
    }
    movb_abs(e, env->mask_va, 0);
    byte(e, 0x51);                                // pushl %ecx
    byte(e, 0x0F); byte(e, 0xB6); byte(e, 0x0D); word(e, env->pending_va); // movzbl pending, %ecx
    byte(e, 0xE3); byte(e, 6);                    // jecxz over the call
    call_slot(e, force);
    byte(e, 0x59);                                // popl %ecx
    return force != 0;
  }
  }
  return 0;
}

// leal m, %eax after a pushl %eax: the operand's ModRM with reg = 0. An operand based on ESP
// is 4 bytes further from it now, so its displacement grows by 4 (disp8 when that still fits).
static void lea_operand(struct emit *e, const u8 *code, const struct insn *in)
{
  const u8 *m = code + in->mem_off;
  byte(e, 0x8D);
  if (!in->mem_esp) {
    byte(e, m[0] & 0xC7);
    for (u32 i = 1; i < in->mem_len; i++)
      byte(e, m[i]);
    return;
  }
  u32 mod = m[0] >> 6;
  s32 disp = 0;
  if (mod == 1)
    disp = (s8)m[2];
  else if (mod == 2)
    disp = (s32)(m[2] | m[3] << 8 | m[4] << 16 | (u32)m[5] << 24);
  disp += 4;
  if (disp >= -128 && disp <= 127) {
    byte(e, 0x44); byte(e, m[1]); byte(e, (u32)disp);
  } else {
    byte(e, 0x84); byte(e, m[1]); word(e, (u32)disp);
  }
}

static void fmt_err(char *err, u32 cap, const char *what, const char *detail)
{
  copy_str(err, cap, what, detail ? ": " : 0, detail);
}

int rewrite_site(u8 *code, u32 va, u32 len, const struct rw_env *env, struct rw_result *res,
                 char *err, u32 errlen)
{
  u8 out[64];
  struct emit e = { out, 0, len < sizeof out ? len : sizeof out, va, 0 };
  struct insn *in = &res->insn;
  res->inlined = 0;
  res->stub[0] = 0;
  if (decode(code, len, in) < 0) {
    fmt_err(err, errlen, in->op == OP_UNSUPPORTED ? "sensitive instruction not emulated" : "cannot decode", in->why);
    return -1;
  }
  for (u32 i = in->len; i < len; i++) {
    if (code[i] != 0x90) {
      fmt_err(err, errlen, "site padding is not NOPs", op_name(in->op));
      return -1;
    }
  }
  if (in->op == OP_UD2) {
    // ud2 raises #UD the same way in every ring, and the hypervisor reflects it to the guest's
    // handler: nothing to emulate, so the site keeps the instruction and its NOPs (gcc emits
    // ud2 for __builtin_trap and unreachable paths).
    copy_str(res->stub, sizeof res->stub, "kept", 0, 0);
    return 0;
  }
  if (in->op == OP_STI && env->before_hlt && env->count_all) {
    copy_str(res->stub, sizeof res->stub, "sti_hlt", 0, 0);  // counts the sti, leaves delivery to the hlt
    call_slot(&e, env->slot("sti_hlt"));
  } else if (!env->count_all && inline_form(in, &e, env) && !e.overflow) {
    res->inlined = 1;
  } else {
    e.n = 0;
    e.overflow = 0;
    if (in->op == OP_IRET) {
      u32 t = env->entry("iret");
      if (!t) { fmt_err(err, errlen, "no stub", "iret"); return -1; }
      byte(&e, 0xE9); word(&e, t - (va + 5));
      copy_str(res->stub, sizeof res->stub, "iret", 0, 0);
    } else if (in->op == OP_LJMP) {
      if (in->sel & 3) { fmt_err(err, errlen, "ljmp to a selector with RPL != 0", 0); return -1; }
      byte(&e, 0xE9); word(&e, in->target - (va + 5));
      copy_str(res->stub, sizeof res->stub, "ljmp", 0, 0);
    } else {
      stub_name(in, res->stub, sizeof res->stub);
      u32 slot = res->stub[0] ? env->slot(res->stub) : 0;
      if (!slot) {
        fmt_err(err, errlen, "no wedge stub for", res->stub[0] ? res->stub : op_name(in->op));
        return -1;
      }
      if ((in->op == OP_IN || in->op == OP_OUT) && in->port_imm) {
        byte(&e, 0x52);                          // pushl %edx
        byte(&e, 0xBA); word(&e, in->port);      // movl $port, %edx
        call_slot(&e, slot);
        byte(&e, 0x5A);                          // popl %edx
      } else if (memory_form(in)) {
        byte(&e, 0x50);                          // pushl %eax
        lea_operand(&e, code, in);
        call_slot(&e, slot);
        if (in->op != OP_LSS)
          byte(&e, 0x58);                        // popl %eax
        const u8 *m = code + in->mem_off;
        if (e.overflow && in->op != OP_LSS && in->mem_esp && (m[0] >> 6) <= 1 && ((m[1] >> 3) & 7) == 4) {
          char esp_stub[40];
          copy_str(esp_stub, sizeof esp_stub, res->stub, "_esp", 0);
          u32 short_slot = env->slot(esp_stub);
          if (short_slot) {
            e.n = 0;
            e.overflow = 0;
            call_slot(&e, short_slot);
            byte(&e, (m[0] >> 6) == 1 ? m[2] : 0);
            copy_str(res->stub, sizeof res->stub, esp_stub, 0, 0);
          }
        }
      } else {
        call_slot(&e, slot);
      }
    }
  }
  if (e.overflow) {
    fmt_err(err, errlen, "replacement does not fit the site", res->stub[0] ? res->stub : op_name(in->op));
    return -1;
  }
  for (u32 i = 0; i < e.n; i++)
    code[i] = out[i];
  for (u32 i = e.n; i < len; i++)
    code[i] = 0x90;
  return 0;
}
