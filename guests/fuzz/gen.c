// The instruction-stream generator of the fuzz kernel: random IA-32 instructions whose layout
// (prefixes, opcode, ModRM, SIB, displacement, immediate) is known, so the kernel can resume a
// stream at the next instruction after a fault and patch branches to land on instruction starts.
// Three flavours, by how much the stream may touch:
//   G_RAW   random bytes: no layout at all (ring 3 only; a fault resumes one byte on);
//   G_WILD  any instruction of the table, any register, any addressing form (ring 3 only);
//   G_SAFE  what ring 0 can run without breaking the kernel under it: register operands are
//           EAX/ECX/EDX only, memory operands are [EBX|ESI|EDI + disp8] (the kernel points those
//           at scratch memory), branches go forward to instruction starts, and nothing that
//           changes ESP, EBP, EBX, ESI, EDI, SS, CS, IF, the descriptor tables, CR0/3/4,
//           MSRs, ports or the halt state;
//   G_DET   G_SAFE minus what the manual leaves undefined or QEMU models differently (undefined
//           flags, time, CPUID, x87, segment loads, lock): the stream's effects are a function
//           of its bytes, so the same stream on QEMU must give the same digest.
#include "fuzz.h"

// Table flags.
#define M    0x0001  // a ModRM byte follows
#define IB   0x0002  // imm8
#define IZ   0x0004  // imm16/32 by operand size
#define IW   0x0008  // imm16
#define R    0x0010  // a register in the opcode's low 3 bits
#define JCC  0x0020  // relative branch: rel8 (or rel32 with IZ), patched forward
#define MEM  0x0040  // ModRM must name memory
#define REG  0x0080  // ModRM must name a register
#define UND  0x0100  // leaves a flag or a result undefined (not in G_DET)
#define NDET 0x0200  // QEMU or time dependent, or outside the integer core (not in G_DET)
#define WILD 0x0400  // only in G_WILD: ring 3 meets #GP, ring 0 would break the kernel
#define TWO  0x0800  // 0F escape
#define NO66 0x1000  // no operand-size prefix (it would truncate EIP)
#define SEG  0x2000  // reg field is a segment register: ES/DS/FS/GS only in G_SAFE
#define FAR  0x4000  // bt/bts/btr/btc by register: the bit offset moves a memory operand up to
                     // 256 MiB away, so outside G_WILD only the register form

struct op { u8 code; u8 ext; u16 flags; };  // ext: allowed /reg values as a bit mask (0: any)

static const struct op ops[] = {
  // ALU r/m,r and r,r/m; accumulator forms
  {0x00, 0, M}, {0x01, 0, M}, {0x02, 0, M}, {0x03, 0, M}, {0x04, 0, IB}, {0x05, 0, IZ},
  {0x08, 0, M}, {0x09, 0, M}, {0x0a, 0, M}, {0x0b, 0, M}, {0x0c, 0, IB}, {0x0d, 0, IZ},
  {0x10, 0, M}, {0x11, 0, M}, {0x12, 0, M}, {0x13, 0, M}, {0x14, 0, IB}, {0x15, 0, IZ},
  {0x18, 0, M}, {0x19, 0, M}, {0x1a, 0, M}, {0x1b, 0, M}, {0x1c, 0, IB}, {0x1d, 0, IZ},
  {0x20, 0, M}, {0x21, 0, M}, {0x22, 0, M}, {0x23, 0, M}, {0x24, 0, IB}, {0x25, 0, IZ},
  {0x28, 0, M}, {0x29, 0, M}, {0x2a, 0, M}, {0x2b, 0, M}, {0x2c, 0, IB}, {0x2d, 0, IZ},
  {0x30, 0, M}, {0x31, 0, M}, {0x32, 0, M}, {0x33, 0, M}, {0x34, 0, IB}, {0x35, 0, IZ},
  {0x38, 0, M}, {0x39, 0, M}, {0x3a, 0, M}, {0x3b, 0, M}, {0x3c, 0, IB}, {0x3d, 0, IZ},
  {0x27, 0, UND}, {0x2f, 0, UND}, {0x37, 0, UND}, {0x3f, 0, UND},
  {0x40, 0, R}, {0x48, 0, R}, {0x50, 0, R}, {0x58, 0, R},
  {0x06, 0, NDET}, {0x0e, 0, NDET}, {0x16, 0, NDET}, {0x1e, 0, NDET},
  {0x07, 0, WILD}, {0x17, 0, WILD}, {0x1f, 0, WILD},
  {0x60, 0, 0}, {0x61, 0, WILD}, {0x62, 0, M | MEM}, {0x63, 0, M | NDET},
  {0x68, 0, IZ}, {0x69, 0, M | IZ | UND}, {0x6a, 0, IB}, {0x6b, 0, M | IB | UND},
  {0x6c, 0, WILD}, {0x6d, 0, WILD}, {0x6e, 0, WILD}, {0x6f, 0, WILD},
  {0x70, 0, JCC | NO66}, {0x71, 0, JCC | NO66}, {0x72, 0, JCC | NO66}, {0x73, 0, JCC | NO66},
  {0x74, 0, JCC | NO66}, {0x75, 0, JCC | NO66}, {0x76, 0, JCC | NO66}, {0x77, 0, JCC | NO66},
  {0x78, 0, JCC | NO66}, {0x79, 0, JCC | NO66}, {0x7a, 0, JCC | NO66}, {0x7b, 0, JCC | NO66},
  {0x7c, 0, JCC | NO66}, {0x7d, 0, JCC | NO66}, {0x7e, 0, JCC | NO66}, {0x7f, 0, JCC | NO66},
  {0x80, 0, M | IB}, {0x81, 0, M | IZ}, {0x83, 0, M | IB},
  {0x84, 0, M}, {0x85, 0, M}, {0x86, 0, M}, {0x87, 0, M},
  {0x88, 0, M}, {0x89, 0, M}, {0x8a, 0, M}, {0x8b, 0, M},
  {0x8c, 0x3f, M | NDET}, {0x8d, 0, M | MEM}, {0x8e, 0x39, M | SEG | NDET}, {0x8f, 0x01, M | MEM},
  {0x90, 0, R}, {0x98, 0, 0}, {0x99, 0, 0}, {0x9a, 0, WILD}, {0x9b, 0, NDET},
  {0x9c, 0, NDET}, {0x9d, 0, WILD}, {0x9e, 0, 0}, {0x9f, 0, NDET},
  {0xa0, 0, WILD}, {0xa1, 0, WILD}, {0xa2, 0, WILD}, {0xa3, 0, WILD},
  {0xa4, 0, 0}, {0xa5, 0, 0}, {0xa6, 0, 0}, {0xa7, 0, 0}, {0xa8, 0, IB}, {0xa9, 0, IZ},
  {0xaa, 0, 0}, {0xab, 0, 0}, {0xac, 0, 0}, {0xad, 0, 0}, {0xae, 0, 0}, {0xaf, 0, 0},
  {0xb0, 0, R | IB}, {0xb8, 0, R | IZ},
  {0xc0, 0, M | IB | UND}, {0xc1, 0, M | IB | UND}, {0xc2, 0, IW | WILD}, {0xc3, 0, WILD},
  {0xc4, 0, M | MEM | WILD}, {0xc5, 0, M | MEM | WILD}, {0xc6, 0x01, M | IB}, {0xc7, 0x01, M | IZ},
  {0xc8, 0, IW | IB | WILD}, {0xc9, 0, WILD}, {0xca, 0, IW | WILD}, {0xcb, 0, WILD},
  {0xcc, 0, 0}, {0xcd, 0, IB}, {0xce, 0, 0}, {0xcf, 0, WILD},
  {0xd0, 0, M | UND}, {0xd1, 0, M | UND}, {0xd2, 0, M | UND}, {0xd3, 0, M | UND},
  {0xd4, 0, IB | UND}, {0xd5, 0, IB | UND}, {0xd6, 0, NDET}, {0xd7, 0, 0},
  {0xd8, 0, M | NDET}, {0xd9, 0, M | NDET}, {0xda, 0, M | NDET}, {0xdb, 0, M | NDET},
  {0xdc, 0, M | NDET}, {0xdd, 0, M | NDET}, {0xde, 0, M | NDET}, {0xdf, 0, M | NDET},
  {0xe0, 0, JCC | NO66 | NDET}, {0xe1, 0, JCC | NO66 | NDET}, {0xe2, 0, JCC | NO66 | NDET}, {0xe3, 0, JCC | NO66},
  {0xe4, 0, IB | WILD}, {0xe5, 0, IB | WILD}, {0xe6, 0, IB | WILD}, {0xe7, 0, IB | WILD},
  {0xe8, 0, IZ | WILD}, {0xe9, 0, IZ | WILD}, {0xea, 0, WILD}, {0xeb, 0, JCC | NO66},
  {0xec, 0, WILD}, {0xed, 0, WILD}, {0xee, 0, WILD}, {0xef, 0, WILD},
  {0xf1, 0, NDET}, {0xf4, 0, WILD}, {0xf5, 0, 0},
  {0xf6, 0x01, M | IB}, {0xf6, 0x0c, M}, {0xf6, 0xf0, M | UND},
  {0xf7, 0x01, M | IZ}, {0xf7, 0x0c, M}, {0xf7, 0xf0, M | UND},
  {0xf8, 0, 0}, {0xf9, 0, 0}, {0xfa, 0, WILD}, {0xfb, 0, NDET}, {0xfc, 0, 0}, {0xfd, 0, 0},
  {0xfe, 0x03, M}, {0xff, 0x43, M}, {0xff, 0x3c, M | WILD},
  // 0F map
  {0x00, 0x33, TWO | M | NDET}, {0x00, 0x0c, TWO | M | WILD}, {0x01, 0x13, TWO | M | MEM | NDET},
  {0x01, 0x80, TWO | M | MEM | NDET}, {0x01, 0x6c, TWO | M | WILD},
  {0x02, 0, TWO | M | NDET}, {0x03, 0, TWO | M | NDET}, {0x06, 0, TWO | NDET},
  {0x08, 0, TWO | NDET}, {0x09, 0, TWO | NDET}, {0x0b, 0, TWO},
  {0x18, 0, TWO | M | MEM | NDET}, {0x1f, 0, TWO | M | NDET},
  {0x20, 0x1d, TWO | M | REG | NDET}, {0x21, 0, TWO | M | REG | NDET},
  {0x22, 0, TWO | M | REG | WILD}, {0x23, 0, TWO | M | REG | WILD},
  {0x30, 0, TWO | WILD}, {0x31, 0, TWO | NDET}, {0x32, 0, TWO | NDET}, {0x33, 0, TWO | NDET},
  {0x34, 0, TWO | NDET}, {0x35, 0, TWO | WILD}, {0x0d, 0, TWO | M | NDET},
  {0x40, 0, TWO | M}, {0x44, 0, TWO | M}, {0x47, 0, TWO | M}, {0x4c, 0, TWO | M}, {0x4f, 0, TWO | M},
  {0x10, 0, TWO | M | NDET}, {0x6f, 0, TWO | M | NDET}, {0x77, 0, TWO | NDET},
  {0x80, 0, TWO | JCC | IZ | NO66}, {0x84, 0, TWO | JCC | IZ | NO66}, {0x8f, 0, TWO | JCC | IZ | NO66},
  {0x90, 0, TWO | M}, {0x94, 0, TWO | M}, {0x9c, 0, TWO | M}, {0x9f, 0, TWO | M},
  {0xa0, 0, TWO | NDET}, {0xa1, 0, TWO | WILD}, {0xa2, 0, TWO | WILD}, {0xa3, 0, TWO | M | UND | FAR},
  {0xa4, 0, TWO | M | IB | UND}, {0xa5, 0, TWO | M | UND}, {0xa8, 0, TWO | NDET}, {0xa9, 0, TWO | WILD},
  {0xaa, 0, TWO | WILD}, {0xab, 0, TWO | M | UND | FAR}, {0xac, 0, TWO | M | IB | UND}, {0xad, 0, TWO | M | UND},
  {0xaf, 0, TWO | M | UND}, {0xb0, 0, TWO | M}, {0xb1, 0, TWO | M}, {0xb2, 0, TWO | M | MEM | WILD},
  {0xb3, 0, TWO | M | UND | FAR}, {0xb4, 0, TWO | M | MEM | WILD}, {0xb5, 0, TWO | M | MEM | WILD},
  {0xb6, 0, TWO | M}, {0xb7, 0, TWO | M}, {0xba, 0xf0, TWO | M | IB | UND}, {0xbb, 0, TWO | M | UND | FAR},
  {0xbc, 0, TWO | M | UND}, {0xbd, 0, TWO | M | UND}, {0xbe, 0, TWO | M}, {0xbf, 0, TWO | M},
  {0xc0, 0, TWO | M}, {0xc1, 0, TWO | M}, {0xc7, 0x02, TWO | M | MEM}, {0xc8, 0, TWO | R | NO66},  // bswap of a 16-bit register is undefined
  {0xff, 0, TWO | NDET},
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

static u32 rng;
void gen_seed(u32 s) { rng = s ? s : 0x9e3779b9; }
u32 rnd(void) {  // xorshift32
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}
static u32 pick(u32 n) { return rnd() % n; }

static int allowed(const struct op *o, int flavour) {
  if (flavour == G_WILD) return 1;
  if (o->flags & WILD) return 0;
  if (flavour == G_DET && (o->flags & (UND | NDET))) return 0;
  return 1;
}

// A register field for the safe flavours: EAX, ECX or EDX.
static u32 safe_reg(void) { return pick(3); }

static u32 pick_ext(const struct op *o) {
  if (!o->ext) return pick(8);
  u32 n;
  do n = pick(8); while (!(o->ext & (1u << n)));
  return n;
}

// Emits one instruction at p; returns its length. Branch displacements (zero here; *is_branch
// says how many bytes) are left for gen_stream.
static u32 gen_one(u8 *p, int flavour, u8 *is_branch) {
  const struct op *o;
  do o = &ops[pick(NOPS)]; while (!allowed(o, flavour));
  u32 n = 0;
  int opsize16 = 0;
  *is_branch = !(o->flags & JCC) ? 0 : (o->flags & IZ) ? 4 : 1;  // displacement bytes
  // Prefixes: operand size; in the wild flavour also segment overrides, lock and rep.
  if (!(o->flags & NO66) && pick(8) == 0) { p[n++] = 0x66; opsize16 = 1; }
  if (flavour == G_WILD && pick(6) == 0) {
    static const u8 pre[] = {0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0xf0, 0xf2, 0xf3, 0x67};
    p[n++] = pre[pick(sizeof(pre))];
  } else if (flavour == G_SAFE && pick(12) == 0) {
    static const u8 pre[] = {0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0xf0};
    p[n++] = pre[pick(sizeof(pre))];
  }
  if (o->flags & TWO) p[n++] = 0x0f;
  u8 code = o->code;
  if (o->flags & R) {
    u32 r = flavour == G_WILD ? pick(8) : safe_reg();
    if (code == 0x50) r = pick(8);  // push: any register is only read
    code |= (u8)r;
  }
  p[n++] = code;
  if (o->flags & M) {
    u32 ext = (o->flags & SEG) && flavour != G_WILD ? (u32)(pick(2) ? 3 : 0) : 0;
    u32 reg = o->ext ? pick_ext(o) : ((o->flags & SEG) ? ext : (flavour == G_WILD ? pick(8) : safe_reg()));
    if (o->flags & SEG && flavour == G_WILD) reg = pick(8);
    u32 mod, rm;
    if (flavour == G_WILD) {
      mod = (o->flags & MEM) ? pick(3) : (o->flags & REG) ? 3 : pick(4);
      rm = pick(8);
    } else {
      int mem = (o->flags & MEM) ? 1 : (o->flags & (REG | FAR)) ? 0 : (int)pick(2);
      if (mem) {
        static const u8 bases[] = {3, 6, 7};
        mod = 1;
        rm = bases[pick(3)];
      } else {
        mod = 3;
        rm = safe_reg();
      }
    }
    p[n++] = (u8)(mod << 6 | reg << 3 | rm);
    if (mod != 3 && rm == 4) {  // SIB (wild only)
      u8 sib = (u8)rnd();
      p[n++] = sib;
      if (mod == 0 && (sib & 7) == 5) { for (int i = 0; i < 4; i++) p[n++] = (u8)rnd(); }
    }
    if (mod == 1) p[n++] = (u8)rnd();
    else if (mod == 2 || (mod == 0 && rm == 5)) { for (int i = 0; i < 4; i++) p[n++] = (u8)rnd(); }
  }
  if (o->flags & IW) { p[n++] = (u8)rnd(); p[n++] = (u8)rnd(); }
  if (o->flags & IB) {
    u8 b = (u8)rnd();
    // int n to a vector whose stub expects a CPU-pushed error code would misread the frame;
    // ring 3 meets #GP there (DPL 0 gates), ring 0 must not go there at all.
    while (code == 0xcd && flavour != G_WILD && (b == 8 || (b >= 10 && b <= 14) || b == 17)) b = (u8)rnd();
    p[n++] = b;
  }
  if ((o->flags & IZ) && !(o->flags & JCC)) {
    u32 k = opsize16 ? 2 : 4;
    for (u32 i = 0; i < k; i++) p[n++] = (u8)rnd();
  }
  if (o->flags & JCC) {
    u32 k = (o->flags & IZ) ? 4 : 1;
    for (u32 i = 0; i < k; i++) p[n++] = 0;  // patched by gen_stream
  }
  if (code == 0x9a || code == 0xea) { for (int i = 0; i < 6; i++) p[n++] = (u8)rnd(); }
  if (code >= 0xa0 && code <= 0xa3 && !(o->flags & TWO)) { for (int i = 0; i < 4; i++) p[n++] = (u8)rnd(); }
  return n;
}

// Fills code[0, len) with a stream of `count` instructions (or random bytes) and marks every
// instruction start in `starts` (a byte per offset). The rest of the buffer up to CODE_BYTES is
// int3, which ends the stream. Returns the stream's length in bytes.
u32 gen_stream(u8 *code, u8 *starts, u32 count, int flavour) {
  for (u32 i = 0; i < CODE_BYTES; i++) { code[i] = 0xcc; starts[i] = 0; }
  u32 len = 0;
  if (flavour == G_RAW) {
    len = count * 3;
    if (len > CODE_BYTES - 256) len = CODE_BYTES - 256;
    for (u32 i = 0; i < len; i++) { code[i] = (u8)rnd(); starts[i] = 1; }
    return len;
  }
  static u32 at[MAX_INSNS + 1];
  static u8 branch[MAX_INSNS];
  static u8 blen[MAX_INSNS];
  u32 k = 0;
  while (k < count && k < MAX_INSNS && len + 24 < CODE_BYTES - 256) {
    at[k] = len;
    starts[len] = 1;
    u32 n = gen_one(code + len, flavour, &branch[k]);
    blen[k] = (u8)n;
    len += n;
    k++;
  }
  at[k] = len;
  starts[len] = 1;  // the first int3 after the stream
  // Branches: forward to a later instruction start (or the end), within rel8 reach for rel8.
  for (u32 i = 0; i < k; i++) {
    if (!branch[i]) continue;
    u32 end = at[i] + blen[i];
    u32 j = i + 1 + pick(8);
    if (j > k) j = k;
    u32 target = at[j];
    u32 disp = target - end;
    u8 *last = code + end;
    if (branch[i] == 4) {
      last[-4] = (u8)disp; last[-3] = (u8)(disp >> 8); last[-2] = (u8)(disp >> 16); last[-1] = (u8)(disp >> 24);
    } else {
      while (disp > 127) { j--; disp = at[j] - end; }
      last[-1] = (u8)disp;
    }
  }
  return len;
}
