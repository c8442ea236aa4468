// The decoder for sensitive instructions. It understands the forms the afterburner pads
// (PAPER.md section 3) in the encodings GNU as emits; anything else is reported with a reason
// so the caller can fail loudly with the site's address and bytes.
#include "decode.h"

const char *const reg32_names[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
const char *const reg16_names[8] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di" };
const char *const sreg_names[6] = { "es", "cs", "ss", "ds", "fs", "gs" };

static const char *const names[OP_COUNT] = {
  "bad", "cli", "sti", "pushf", "popf", "hlt", "iret", "in", "out", "mov to cr", "mov from cr",
  "mov to sreg", "mov from sreg", "push sreg", "pop sreg", "invlpg", "lgdt", "lidt", "ltr",
  "ljmp", "cpuid", "clts", "wbinvd", "rdmsr", "wrmsr", "mov to dr", "mov from dr", "ins", "outs",
  "lss", "sgdt", "sidt", "sldt", "str", "lldt", "ud2", "unsupported",
};

const char *op_name(int op) { return op >= 0 && op < OP_COUNT ? names[op] : "?"; }

// Length of a 32-bit-addressing ModRM operand (ModRM, SIB, displacement) at p.
static int modrm_len(const u8 *p, u32 avail, int *esp_based)
{
  if (avail < 1)
    return -1;
  u32 mod = p[0] >> 6, rm = p[0] & 7, n = 1;
  *esp_based = 0;
  if (mod == 3)
    return 1;
  if (rm == 4) {
    if (avail < 2)
      return -1;
    u32 base = p[1] & 7;
    n = 2;
    if (base == 4)
      *esp_based = 1;
    if (mod == 0 && base == 5)
      n += 4;
  } else if (mod == 0 && rm == 5) {
    n += 4;
  }
  if (mod == 1)
    n += 1;
  else if (mod == 2)
    n += 4;
  return n <= avail ? (int)n : -1;
}

static int fail(struct insn *in, int op, const char *why)
{
  in->op = (u8)op;
  in->why = why;
  return -1;
}

// The 0F xx forms.
static int decode_0f(const u8 *p, u32 avail, struct insn *in, u32 i, int opsize16)
{
  if (i + 1 >= avail)
    return fail(in, OP_BAD, "truncated");
  u8 b = p[i + 1];
  u32 at = i + 2;
  int esp = 0;
  switch (b) {
  case 0x20: case 0x22: {                       // mov cr <-> reg
    if (at >= avail || (p[at] >> 6) != 3)
      return fail(in, OP_BAD, "mov cr without register operand");
    in->cr = (p[at] >> 3) & 7;
    in->reg = p[at] & 7;
    if (in->cr != 0 && in->cr != 2 && in->cr != 3 && in->cr != 4)
      return fail(in, OP_UNSUPPORTED, "control register other than cr0/2/3/4");
    in->op = b == 0x22 ? OP_MOV_TO_CR : OP_MOV_FROM_CR;
    in->len = (u8)(at + 1);
    in->size = 4;
    return 0;
  }
  case 0x21: case 0x23:                         // mov dr <-> reg (always a register operand)
    if (at >= avail)
      return fail(in, OP_BAD, "truncated");
    in->cr = (p[at] >> 3) & 7;
    if (in->cr == 4 || in->cr == 5)             // DR4/DR5 are DR6/DR7 while CR4.DE is clear
      in->cr += 2;
    in->reg = p[at] & 7;
    if (in->reg == 4)
      return fail(in, OP_UNSUPPORTED, "debug register move with esp");
    in->op = b == 0x23 ? OP_MOV_TO_DR : OP_MOV_FROM_DR;
    in->len = (u8)(at + 1);
    return 0;
  case 0xB2: {                                  // lss m16:32, r32
    int n = modrm_len(p + at, avail - at, &esp);
    if (n < 0)
      return fail(in, OP_BAD, "truncated ModRM");
    if ((p[at] >> 6) == 3 || opsize16)
      return fail(in, OP_BAD, "lss without a 32-bit memory operand");
    if (((p[at] >> 3) & 7) != 4)
      return fail(in, OP_UNSUPPORTED, "lss into a register other than esp");
    in->op = OP_LSS;
    in->len = (u8)(at + (u32)n);
    in->mem_off = (u8)at;
    in->mem_len = (u8)n;
    in->mem_esp = (u8)esp;
    in->mem = 1;
    return 0;
  }
  case 0xA0: case 0xA1: case 0xA8: case 0xA9:   // push/pop fs/gs
    if (opsize16)
      return fail(in, OP_UNSUPPORTED, "16-bit push/pop of a segment register");
    in->sreg = (b & 8) ? SR_GS : SR_FS;
    in->op = (b & 1) ? OP_POP_SREG : OP_PUSH_SREG;
    in->len = (u8)at;
    return 0;
  case 0x01: case 0x00: {
    int n = modrm_len(p + at, avail - at, &esp);
    if (n < 0)
      return fail(in, OP_BAD, "truncated ModRM");
    u32 mod = p[at] >> 6, sub = (p[at] >> 3) & 7;
    in->len = (u8)(at + (u32)n);
    in->mem_off = (u8)at;
    in->mem_len = (u8)n;
    in->mem_esp = (u8)esp;
    in->reg = p[at] & 7;
    in->mem = mod != 3;
    if (b == 0x01) {
      if (mod == 3)
        return fail(in, OP_UNSUPPORTED, "0f 01 register form (smsw/lmsw/monitor...)");
      if (sub == 7) { in->op = OP_INVLPG; return 0; }
      if (sub == 2) { in->op = OP_LGDT; return 0; }
      if (sub == 3) { in->op = OP_LIDT; return 0; }
      if (sub == 0) { in->op = OP_SGDT; return 0; }
      if (sub == 1) { in->op = OP_SIDT; return 0; }
      return fail(in, OP_UNSUPPORTED, sub == 6 ? "lmsw" : "smsw");
    }
    if (sub == 3 && mod == 3) { in->op = OP_LTR; return 0; }
    if (sub == 2 && mod == 3) { in->op = OP_LLDT; return 0; }
    if ((sub == 0 || sub == 1) && (mod != 3 || in->reg != 4)) {   // sldt/str to memory or a register
      if (mod != 3 && opsize16)
        return fail(in, OP_BAD, "sldt/str to memory with an operand-size prefix");
      in->op = sub == 0 ? OP_SLDT : OP_STR;
      if (opsize16)
        in->size = 2;
      return 0;
    }
    return fail(in, OP_UNSUPPORTED, sub == 3 ? "ltr from memory" : sub == 2 ? "lldt from memory" : sub <= 1 ? "sldt/str to esp" : "verr/verw");
  }
  case 0xA2: in->op = OP_CPUID; in->len = (u8)at; return 0;
  case 0x06: in->op = OP_CLTS; in->len = (u8)at; return 0;
  case 0x09: in->op = OP_WBINVD; in->len = (u8)at; return 0;
  case 0x08: return fail(in, OP_UNSUPPORTED, "invd");
  case 0x30: in->op = OP_WRMSR; in->len = (u8)at; return 0;
  case 0x32: in->op = OP_RDMSR; in->len = (u8)at; return 0;
  case 0x0B: in->op = OP_UD2; in->len = (u8)at; return 0;
  case 0x02: case 0x03: return fail(in, OP_UNSUPPORTED, "lar/lsl");
  case 0xAA: return fail(in, OP_UNSUPPORTED, "rsm");
  }
  return fail(in, OP_BAD, "unknown 0f opcode");
}

int decode(const u8 *p, u32 avail, struct insn *in)
{
  u32 i = 0;
  int opsize16 = 0, override = 0;
  *in = (struct insn){ 0 };
  in->size = 4;
  // Prefixes: operand size, address size, segment overrides, rep, lock.
  for (; i < avail && i < 14; i++) {
    u8 b = p[i];
    if (b == 0x66)
      opsize16 = 1;
    else if (b == 0x67)
      return fail(in, OP_UNSUPPORTED, "16-bit addressing");
    else if (b == 0xF3)
      in->rep = 1;
    else if (b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0x64 || b == 0x65)
      override = 1;
    else if (!(b == 0xF0 || b == 0xF2))
      break;
  }
  if (i >= avail)
    return fail(in, OP_BAD, "truncated");
  u8 b = p[i];
  u32 at = i + 1;
  int esp = 0;
  if (opsize16)
    in->size = 2;
  switch (b) {
  case 0xFA: in->op = OP_CLI; break;
  case 0xFB: in->op = OP_STI; break;
  case 0xF4: in->op = OP_HLT; break;
  case 0x9C: case 0x9D:
    if (opsize16)
      return fail(in, OP_UNSUPPORTED, "16-bit pushf/popf");
    in->op = b == 0x9C ? OP_PUSHF : OP_POPF;
    break;
  case 0xCF:
    if (opsize16)
      return fail(in, OP_UNSUPPORTED, "16-bit iret");
    in->op = OP_IRET;
    break;
  case 0xE4: case 0xE5: case 0xE6: case 0xE7:
    if (at >= avail)
      return fail(in, OP_BAD, "truncated");
    in->port_imm = 1;
    in->port = p[at++];
    /* fall through */
  case 0xEC: case 0xED: case 0xEE: case 0xEF:
    in->op = (b & 2) ? OP_OUT : OP_IN;
    if (!(b & 1))
      in->size = 1;
    break;
  case 0x6C: case 0x6D: case 0x6E: case 0x6F:   // ins to ES:EDI, outs from DS:ESI (flat)
    if (override)
      return fail(in, OP_UNSUPPORTED, "ins/outs with a segment override");
    in->op = (b & 2) ? OP_OUTS : OP_INS;
    if (!(b & 1))
      in->size = 1;
    break;
  case 0x8E: case 0x8C: {
    int n = modrm_len(p + at, avail - at, &esp);
    if (n < 0)
      return fail(in, OP_BAD, "truncated");
    in->sreg = (p[at] >> 3) & 7;
    in->reg = p[at] & 7;
    if ((p[at] >> 6) != 3) {                    // a 16-bit load or store through memory
      in->mem = 1;
      in->mem_off = (u8)at;
      in->mem_len = (u8)n;
      in->mem_esp = (u8)esp;
      in->size = 2;
    }
    if (in->sreg > SR_GS)
      return fail(in, OP_BAD, "no such segment register");
    if (b == 0x8E && in->sreg == SR_CS)
      return fail(in, OP_BAD, "mov to cs");
    in->op = b == 0x8E ? OP_MOV_TO_SREG : OP_MOV_FROM_SREG;
    at += (u32)n;
    break;
  }
  case 0x06: case 0x0E: case 0x16: case 0x1E:
  case 0x07: case 0x17: case 0x1F:
    if (opsize16)
      return fail(in, OP_UNSUPPORTED, "16-bit push/pop of a segment register");
    in->sreg = (b >> 3) & 3;
    in->op = (b & 1) ? OP_POP_SREG : OP_PUSH_SREG;
    break;
  case 0xEA:
    if (opsize16 || at + 6 > avail)
      return fail(in, OP_UNSUPPORTED, "16-bit or truncated ljmp");
    in->target = p[at] | p[at + 1] << 8 | p[at + 2] << 16 | (u32)p[at + 3] << 24;
    in->sel = (u16)(p[at + 4] | p[at + 5] << 8);
    in->op = OP_LJMP;
    at += 6;
    break;
  case 0x0F:
    return decode_0f(p, avail, in, i, opsize16);
  case 0xC5: case 0xC4:
    return fail(in, OP_UNSUPPORTED, "lds/les");
  case 0x9A: return fail(in, OP_UNSUPPORTED, "lcall");
  case 0xFF: {
    int n = modrm_len(p + at, avail - at, &esp);
    if (n >= 0 && (((p[at] >> 3) & 7) == 3 || ((p[at] >> 3) & 7) == 5))
      return fail(in, OP_UNSUPPORTED, "indirect far call/jmp");
    return fail(in, OP_BAD, "not sensitive");
  }
  case 0xCA: case 0xCB: return fail(in, OP_UNSUPPORTED, "lret");
  case 0xCD: return fail(in, OP_UNSUPPORTED, "int n");
  case 0x63: return fail(in, OP_UNSUPPORTED, "arpl");
  default:
    return fail(in, OP_BAD, "not a sensitive instruction");
  }
  in->len = (u8)at;
  return 0;
}

// A 32-bit store to memory, the one form a page-table write takes: `mov %reg, m` (89 /r),
// `mov $imm32, m` (C7 /0) or `mov %eax, moffs32` (A3, gcc's store to a constant address), no
// prefixes. Used for the afterburner's page-table sites and for a
// write to a page table that no site covered (the page fault the wedge takes instead).
int decode_store(const u8 *p, u32 avail, struct store *st)
{
  int esp = 0;
  st->moffs = 0;
  if (avail >= 5 && p[0] == 0xA3) {
    st->len = 5;
    st->imm_src = 0;
    st->reg = 0;
    st->mem_off = st->mem_len = st->mem_esp = 0;
    st->moffs = 1;
    st->imm = (u32)p[1] | (u32)p[2] << 8 | (u32)p[3] << 16 | (u32)p[4] << 24;   // the address
    return 0;
  }
  if (avail < 2 || (p[0] != 0x89 && p[0] != 0xC7) || (p[1] >> 6) == 3)
    return -1;
  if (p[0] == 0xC7 && ((p[1] >> 3) & 7) != 0)
    return -1;
  int n = modrm_len(p + 1, avail - 1, &esp);
  if (n < 0)
    return -1;
  st->mem_off = 1;
  st->mem_len = (u8)n;
  st->mem_esp = (u8)esp;
  st->imm_src = p[0] == 0xC7;
  st->reg = (p[1] >> 3) & 7;
  st->len = (u8)(1 + n + (st->imm_src ? 4 : 0));
  if (st->len > avail)
    return -1;
  st->imm = 0;
  if (st->imm_src)
    for (int i = 3; i >= 0; i--)
      st->imm = st->imm << 8 | p[1 + n + i];
  return 0;
}

int decode_pte_rmw(const u8 *p, u32 avail, struct store *st, int *kind)
{
  int esp = 0, op = avail >= 2 && p[0] == 0x80 ? 1 : avail >= 3 && p[0] == 0x0F && p[1] == 0xBA ? 2 : 0;
  if (!op || (p[op] >> 6) == 3 || ((p[op] >> 3) & 7) != (op == 1 ? 4 : 6))
    return -1;
  int n = modrm_len(p + op, avail - (u32)op, &esp);
  if (n < 0 || (u32)(op + n + 1) > avail)
    return -1;
  *kind = op == 1 ? RMW_ANDB : RMW_BTR;
  st->len = (u8)(op + n + 1);
  st->imm_src = 1;
  st->reg = 0;
  st->mem_off = (u8)op;
  st->mem_len = (u8)n;
  st->mem_esp = (u8)esp;
  st->moffs = 0;
  st->imm = p[op + n];
  return 0;
}

#ifdef WEDGE_DEVVIRT
// A 32-bit load from memory into a register (8B /r, or A1: EAX from an absolute address), the
// other half of a device register access (device/mmio.c): 0, or -1 for any other instruction.
int decode_load(const u8 *p, u32 avail, struct store *ld)
{
  int esp = 0;
  ld->moffs = 0;
  ld->imm_src = 0;
  ld->imm = 0;
  if (avail >= 5 && p[0] == 0xA1) {
    ld->len = 5;
    ld->reg = 0;
    ld->mem_off = ld->mem_len = ld->mem_esp = 0;
    ld->moffs = 1;
    return 0;
  }
  if (avail < 2 || p[0] != 0x8B || (p[1] >> 6) == 3)
    return -1;
  int n = modrm_len(p + 1, avail - 1, &esp);
  if (n < 0)
    return -1;
  ld->mem_off = 1;
  ld->mem_len = (u8)n;
  ld->mem_esp = (u8)esp;
  ld->reg = (p[1] >> 3) & 7;
  ld->len = (u8)(1 + n);
  return 0;
}
#endif
