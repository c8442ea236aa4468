// The afterburner's page-table write sites (section .afterburn_pt) and their rewriting.
#ifndef WEDGE_PTSITES_H
#define WEDGE_PTSITES_H

#include "types.h"

// Number of page-table sites the image records (0 without the section).
int pt_sites_count(const u8 *img, u32 len);

#define PT_SKIP_ALL (-2)

// Rewrites every page-table site but number skip (-1: none; PT_SKIP_ALL: rewrites none) into a call through slot
// (ws_ptr_pt_store). Returns the number rewritten, or -1 after printing which failed and why.
int rewrite_pt_sites(u8 *img, u32 len, u32 slot, s32 skip);

#endif
