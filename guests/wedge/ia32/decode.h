// Decoding of the IA-32 instructions the afterburner marks as sensitive: just enough of the
// instruction format (prefixes, opcode, ModRM/SIB/displacement) to tell which sensitive
// operation a site holds and with which operands. Used by the rewriter at load time and by
// the trap-and-emulate fallback for a site left unrewritten.
#ifndef WEDGE_DECODE_H
#define WEDGE_DECODE_H

#include "types.h"

enum op {
  OP_BAD,                                  // not a sensitive instruction we know
  OP_CLI, OP_STI, OP_PUSHF, OP_POPF, OP_HLT, OP_IRET,
  OP_IN, OP_OUT,                           // size 1/2/4; port in DX or imm
  OP_MOV_TO_CR, OP_MOV_FROM_CR,            // cr, reg
  OP_MOV_TO_SREG, OP_MOV_FROM_SREG,        // sreg, reg (size 2 or 4 for the read)
  OP_PUSH_SREG, OP_POP_SREG,               // sreg
  OP_INVLPG, OP_LGDT, OP_LIDT,             // memory operand
  OP_LTR,                                  // reg
  OP_LJMP,                                 // sel:target
  OP_CPUID, OP_CLTS, OP_WBINVD,
  OP_RDMSR, OP_WRMSR,                      // ECX, EDX:EAX
  OP_MOV_TO_DR, OP_MOV_FROM_DR,            // cr = debug register (4/5 read as 6/7), reg
  OP_INS, OP_OUTS,                         // size 1/2/4; rep
  OP_LSS,                                  // memory operand (m16:32)
  OP_SGDT, OP_SIDT,                        // memory operand
  OP_SLDT, OP_STR,                         // register (mem 0) or memory operand
  OP_LLDT,                                 // reg
  OP_UD2,                                  // traps with #UD at any privilege: kept as it is
  OP_UNSUPPORTED,                          // sensitive, but no emulation here (why says what)
  OP_COUNT
};

enum sreg { SR_ES, SR_CS, SR_SS, SR_DS, SR_FS, SR_GS };

struct insn {
  u8 op;
  u8 len;          // bytes, prefixes included
  u8 size;         // operand size: 1, 2 or 4
  u8 reg;          // general register (0 eax .. 7 edi)
  u8 sreg;         // segment register (enum sreg)
  u8 cr;           // control register number
  u8 port_imm;     // in/out: 1 if the port is an immediate
  u8 port;         // ... its value
  u8 mem_off;      // memory operand: offset of ModRM in the instruction
  u8 mem_len;      // ... length of ModRM + SIB + displacement
  u8 mem_esp;      // ... 1 if it addresses relative to ESP
  u8 mem;          // 1: the operand is memory (segment moves, sldt, str), 0: register reg
  u8 rep;          // ins/outs: rep prefix
  u16 sel;         // ljmp selector
  u32 target;      // ljmp offset
  const char *why; // OP_UNSUPPORTED / OP_BAD: what the decoder saw
};

int decode(const u8 *p, u32 avail, struct insn *in);

// A 32-bit store to memory (decode_store in decode.c): 0, or -1 for any other instruction.
struct store {
  u8 len;          // bytes
  u8 imm_src;      // 1: the value is imm, 0: it is register reg
  u8 reg;
  u8 mem_off, mem_len, mem_esp;   // the destination's ModRM operand, as in struct insn
  u8 moffs;        // 1: A3, the destination is the absolute address in imm (source EAX)
  u32 imm;
};
int decode_store(const u8 *p, u32 avail, struct store *st);
// A bit operation on a page-table entry in memory with an immediate operand, as Linux's
// ptep_set_wrprotect (clear_bit: andb $imm8, m8) and ptep_test_and_clear_young (btrl $imm8,
// m32) write one: 0, or -1 for any other instruction. decode_store's struct: imm the operand.
enum { RMW_ANDB = 1, RMW_BTR = 2 };
int decode_pte_rmw(const u8 *p, u32 avail, struct store *st, int *kind);
#ifdef WEDGE_DEVVIRT
int decode_load(const u8 *p, u32 avail, struct store *ld);   // reg <- 32-bit memory (8B, A1)
#endif
const char *op_name(int op);
extern const char *const reg32_names[8], *const reg16_names[8], *const sreg_names[6];

#endif
