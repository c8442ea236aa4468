// The wedge's rewriter as a host program, for tests: runs the same decode/rewrite/sites code
// the wedge runs at load time over an afterburnt guest ELF, taking the stub addresses and the
// virtual-CPU byte addresses from a built wedge ELF's symbol table, and writes the rewritten
// guest to a new file. One line per site on stdout:
//   <n> <begin hex> <end hex> <operation> inline|<stub>
//   rewrite-host WEDGE.elf GUEST.elf OUT.elf [--count-all] [--skip N] [--keep-going]
// --keep-going surveys a guest: every refused site is reported (stderr) and left as it was,
// and the exit status is 1 when any was.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "../common/elf.h"
#include "../common/lib.h"
#include "../ia32/sites.h"

static u8 *wedge;
static u32 wedge_len;

void wprintf(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
}

static u8 *slurp(const char *path, u32 *len)
{
  FILE *f = fopen(path, "rb");
  if (!f) { fprintf(stderr, "rewrite-host: cannot open %s\n", path); exit(2); }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  u8 *b = malloc((size_t)n);
  if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) { fprintf(stderr, "rewrite-host: cannot read %s\n", path); exit(2); }
  fclose(f);
  *len = (u32)n;
  return b;
}

// Value of a symbol in the wedge's .symtab, or 0.
static u32 symbol(const char *name)
{
  const struct elf32_shdr *symtab = elf_section(wedge, wedge_len, ".symtab");
  const struct elf32_shdr *strtab = elf_section(wedge, wedge_len, ".strtab");
  if (!symtab || !strtab)
    return 0;
  struct sym { u32 name, value, size; u8 info, other; u16 shndx; };
  const struct sym *s = (const void *)(wedge + symtab->offset);
  for (u32 i = 0; i < symtab->size / sizeof *s; i++)
    if (s[i].name < strtab->size && strcmp((const char *)wedge + strtab->offset + s[i].name, name) == 0)
      return s[i].value;
  return 0;
}

static u32 prefixed(const char *prefix, const char *name)
{
  char buf[96];
  snprintf(buf, sizeof buf, "%s%s", prefix, name);
  return symbol(buf);
}

static u32 slot(const char *name) { return prefixed("ws_ptr_", name); }
static u32 entry(const char *name) { return prefixed("ws_", name); }

static void each(u32 n, u32 begin, u32 end, const struct rw_result *r)
{
  printf("%u %08x %08x %s %s\n", n, begin, end, op_name(r->insn.op), r->inlined ? "inline" : r->stub);
}

int main(int argc, char **argv)
{
  s32 skip = -1;
  int count_all = 0, keep_going = 0;
  if (argc < 4) {
    fprintf(stderr, "usage: rewrite-host WEDGE.elf GUEST.elf OUT.elf [--count-all] [--skip N] [--keep-going]\n");
    return 2;
  }
  for (int i = 4; i < argc; i++) {
    if (strcmp(argv[i], "--count-all") == 0) count_all = 1;
    else if (strcmp(argv[i], "--keep-going") == 0) keep_going = 1;
    else if (strcmp(argv[i], "--skip") == 0 && i + 1 < argc) skip = atoi(argv[++i]);
    else { fprintf(stderr, "rewrite-host: unknown option %s\n", argv[i]); return 2; }
  }
  u32 glen;
  wedge = slurp(argv[1], &wedge_len);
  u8 *guest = slurp(argv[2], &glen);
  const char *bad = elf_check(wedge, wedge_len);
  if (!bad) bad = elf_check(guest, glen);
  if (bad) { fprintf(stderr, "rewrite-host: %s\n", bad); return 2; }
  struct rw_env env = { symbol("vcpu_irq_mask"), symbol("vcpu_irq_pending"), slot, entry, count_all };
  env.keep_going = keep_going;
  if (!env.mask_va || !env.pending_va) { fprintf(stderr, "rewrite-host: wedge lacks vcpu_irq_mask/pending\n"); return 2; }
  struct site_report rep;
  if (rewrite_guest(guest, glen, &env, skip, &rep, each) < 0)
    return 1;
  FILE *f = fopen(argv[3], "wb");
  if (!f || fwrite(guest, 1, glen, f) != glen || fclose(f) != 0) { fprintf(stderr, "rewrite-host: cannot write %s\n", argv[3]); return 2; }
  fprintf(stderr, "rewrite-host: %u sites rewritten (%u inline), %u skipped", rep.rewritten, rep.inlined, rep.skipped);
  if (keep_going)
    fprintf(stderr, ", %u refused", rep.refused);
  fprintf(stderr, "\n");
  return rep.refused ? 1 : 0;
}
