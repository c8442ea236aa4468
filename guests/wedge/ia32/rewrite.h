// The load-time rewriter: turns one afterburner site [begin, end) into a call to a wedge
// entry stub or an inline sequence on the virtual CPU, NOPs filling the rest.
#ifndef WEDGE_REWRITE_H
#define WEDGE_REWRITE_H

#include "types.h"
#include "decode.h"

struct rw_env {
  u32 mask_va;      // byte: virtual interrupts masked (1) or not (0)
  u32 pending_va;   // byte: a virtual interrupt may be waiting
  u32 (*slot)(const char *name);   // address of ws_ptr_<name> (holds the stub's address), 0 if none
  u32 (*entry)(const char *name);  // address of ws_<name> itself (jump targets), 0 if none
  int count_all;    // use counting stubs even where an inline sequence fits
  int before_hlt;   // set per site by the caller: a hlt site starts where this one ends
  int keep_going;   // survey (host rewriter only): report a refused site, leave it, go on
};

// How a site was rewritten (for the caller's report and counters).
struct rw_result {
  struct insn insn;
  int inlined;      // 1: inline sequence, 0: call/jmp to a stub
  char stub[32];    // the stub's name when not inlined
};

// Rewrites the len bytes at code, which the guest runs at virtual address va. Returns 0, or -1
// with a one-line reason in err (the site is then left as it was).
int rewrite_site(u8 *code, u32 va, u32 len, const struct rw_env *env, struct rw_result *res,
                 char *err, u32 errlen);

#endif
