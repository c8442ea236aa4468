// The .afterburn section is an array of 8-byte records (the afterburner's format,
// afterburner/records.ts): the site's begin relative to the record's own address, then the
// site's length. Position-independent, so the records link into any object without a dynamic
// relocation. Each site is found in the image through the program headers and rewritten there,
// so the loader copies already-rewritten code into guest memory.
#include "sites.h"
#include "elf.h"
#include "lib.h"

static void print_site_error(u32 n, u32 begin, u32 end, const u8 *code, const char *why)
{
  wprintf("[wedge] site %u at 0x%08x (%u bytes:", n, begin, end - begin);
  for (u32 i = 0; i < end - begin && i < 8; i++)
    wprintf(" %02x", code[i]);
  wprintf("%s): %s\n", end - begin > 8 ? " ..." : "", why);
}

// The guest virtual address range of record n of a section loaded at sec_va.
static void site_range(const u32 *rec, u32 sec_va, u32 n, u32 *begin, u32 *end)
{
  *begin = sec_va + 8 * n + rec[2 * n];
  *end = *begin + rec[2 * n + 1];
}

// Does a hlt site start exactly at va?
static int hlt_site_at(const u8 *img, const u32 *rec, u32 sec_va, u32 nsites, u32 n, u32 va)
{
  u32 begin, end;
  if (n + 1 >= nsites)
    return 0;
  site_range(rec, sec_va, n + 1, &begin, &end);
  if (begin != va)
    return 0;
  s32 off = elf_va_offset(img, va, 1);
  return off >= 0 && img[off] == 0xF4;
}

int rewrite_guest(u8 *img, u32 len, const struct rw_env *env0, s32 skip, struct site_report *rep,
                  void (*each)(u32 n, u32 begin, u32 end, const struct rw_result *r))
{
  const struct elf32_shdr *sec = elf_section(img, len, ".afterburn");
  memset(rep, 0, sizeof *rep);
  if (!sec) {
    wprintf("[wedge] guest has no .afterburn section: was it afterburnt?\n");
    return -1;
  }
  if (sec->offset > len || sec->size > len - sec->offset || sec->size % 8) {
    wprintf("[wedge] .afterburn section is malformed (size %u)\n", sec->size);
    return -1;
  }
  const u32 *rec = (const u32 *)(img + sec->offset);
  struct rw_env env = *env0;
  u32 nsites = sec->size / 8;
  for (u32 n = 0; n < nsites; n++) {
    u32 begin, end;
    site_range(rec, sec->addr, n, &begin, &end);
    s32 off = end > begin ? elf_va_offset(img, begin, end - begin) : -1;
    if (off < 0 || end - begin > 64) {
      wprintf("[wedge] site %u [0x%08x, 0x%08x) is not inside the loaded image\n", n, begin, end);
      return -1;
    }
    if ((s32)n == skip) {
      rep->skipped++;
      continue;
    }
    struct rw_result r;
    char err[96];
    env.before_hlt = hlt_site_at(img, rec, sec->addr, nsites, n, end) && (s32)n + 1 != skip;
    if (rewrite_site(img + off, begin, end - begin, &env, &r, err, sizeof err) < 0) {
      print_site_error(n, begin, end, img + off, err);
      if (!env.keep_going)
        return -1;
      rep->refused++;
      continue;
    }
    rep->rewritten++;
    rep->inlined += (u32)r.inlined;
    rep->per_op[r.insn.op]++;
    if (each)
      each(n, begin, end, &r);
  }
  return 0;
}
