// Walking the guest's .afterburn section and rewriting every site in the guest image.
#ifndef WEDGE_SITES_H
#define WEDGE_SITES_H

#include "rewrite.h"

struct site_report {
  u32 rewritten, inlined, skipped, refused;   // refused: only with env->keep_going
  u32 per_op[OP_COUNT];
};

// Rewrites all sites of the ELF image in place (before it is loaded). Site number skip
// (0-based, in .afterburn order; -1 for none) is left as the afterburner padded it. Returns 0,
// or -1 after printing what failed (site number, address, bytes, reason).
int rewrite_guest(u8 *img, u32 len, const struct rw_env *env, s32 skip, struct site_report *rep,
                  void (*each)(u32 n, u32 begin, u32 end, const struct rw_result *r));

#endif
