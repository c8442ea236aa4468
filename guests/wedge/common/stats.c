// The counters' storage and names, at the symbols the emulator reads after a run (STATS.md).
#include "stats.h"

struct wedge_stats wedge_stats = { STATS_MAGIC, STATS_VERSION, ST_COUNT, { 0 } };

#define STAT_NAME(name, str) str "\0"
const char wedge_stat_names[] = STAT_LIST(STAT_NAME);

// Offsets for stubs.S, which cannot see the enum: one absolute symbol per counter.
#define STAT_SYM(name, str) \
  asm(".globl wstat_" #name "\n.set wstat_" #name ", wedge_stats + 12 + 4 * %c0" : : "i"(ST_##name));
void stats_symbols(void);
void stats_symbols(void) { STAT_LIST(STAT_SYM) }
