// The afterburner's page-table write sites (section .afterburn_pt) and their rewriting.
#ifndef WEDGE_PTSITES_H
#define WEDGE_PTSITES_H

#include "types.h"

// Number of page-table sites the image records (0 without the section).
int pt_sites_count(const u8 *img, u32 len);

// Rewrites every page-table site into a call through slot (ws_ptr_pt_store). Returns the number
// of sites, or -1 after printing which site failed and why.
int rewrite_pt_sites(u8 *img, u32 len, u32 slot);

#endif
