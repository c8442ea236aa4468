// Device-memory sites from profile feedback (`.afterburn_mmio`), rewritten into calls of the
// mmio stub when they have room (ia32/mmiosites.c); DEV=virt builds only.
#ifndef WEDGE_MMIOSITES_H
#define WEDGE_MMIOSITES_H

#include "types.h"

#define MMIO_SITES_MAX 64

struct mmio_site {
  u32 ret;              // the site's address + 6: the call's return address
  u8 store, reg, imm_src;
  u8 modrm[6];          // the move's ModRM, SIB and displacement
  u32 imm;
};

// Rewrites the sites that have room; *left counts those left to the page-fault path. Returns
// the number rewritten, or -1 after printing why.
int rewrite_mmio_sites(u8 *img, u32 len, u32 slot, u32 *left);
// The rewritten site whose call returns to ret, or 0.
const struct mmio_site *mmio_site(u32 ret);

#endif
