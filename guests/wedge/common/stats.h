// The wedge's counters: how often each sensitive operation was emulated and what the
// back-end did about it. Layout (STATS.md): wedge_stats = { magic, version, count, u32[count] },
// names in wedge_stat_names (NUL-separated, same order). Assembly uses the
// per-counter symbols wstat_<NAME> that stats.c defines.
#ifndef WEDGE_STATS_H
#define WEDGE_STATS_H

#define STATS_MAGIC 0x41545357   /* "WSTA" */
#define STATS_VERSION 1

#define STAT_LIST(X) \
  X(CLI, "cli") X(STI, "sti") X(PUSHF, "pushf") X(POPF, "popf") X(HLT, "hlt") X(IRET, "iret") \
  X(WRITE_ES, "write es") X(WRITE_SS, "write ss") X(WRITE_DS, "write ds") X(WRITE_FS, "write fs") \
  X(WRITE_GS, "write gs") X(READ_ES, "read es") X(READ_CS, "read cs") X(READ_SS, "read ss") \
  X(READ_DS, "read ds") X(READ_FS, "read fs") X(READ_GS, "read gs") \
  X(PORT_OUT, "port out") X(PORT_IN, "port in") X(MOV_TO_CR, "write cr") X(MOV_FROM_CR, "read cr") \
  X(INVLPG, "invlpg") X(LGDT, "lgdt") X(LIDT, "lidt") X(LTR, "ltr") X(CPUID, "cpuid") \
  X(CLTS, "clts") X(WBINVD, "wbinvd") \
  X(FORCED, "forced deliveries") \
  X(UPCALLS, "upcalls") X(IRQS, "virtual interrupts delivered") X(TRAPS, "traps reflected") \
  X(PF_SHADOW, "shadow page faults") X(PF_GUEST, "guest page faults") X(FILLS, "shadow fills") \
  X(REUSES, "shadow reuses") \
  X(FLUSHES, "shadow flushes") X(SWITCHES, "address-space switches") X(BLOCKS, "blocks") \
  X(HYPERCALLS, "hypercalls") X(TRAPPED, "trapped (unrewritten sites)") \
  X(SITES, "sites rewritten") X(SITES_INLINE, "sites inlined") X(SITES_SKIPPED, "sites skipped") \
  X(PIRQ_BOUND, "physical irqs bound") X(PIRQS, "physical interrupts") X(PIRQ_EOIS, "physical eois") \
  X(PT_SITES, "page-table sites rewritten") X(PT_WRITES, "page-table writes") \
  X(PT_UPDATES, "page-table updates") X(PT_PINS, "page directories pinned") \
  X(PT_UNPINS, "page directories unpinned") X(PT_FAULTS, "page-table write faults") \
  X(PT_EMULATED, "page-table writes emulated") STAT_LIST_DEV(X)

// The emulated DP83820 and the split network device (DEV=virt builds only, so the other
// wedges' counters stay as they were).
#ifdef WEDGE_DEVVIRT
#define STAT_LIST_DEV(X) \
  X(NIC_MMIO, "device register faults") X(NIC_READS, "device register reads") \
  X(NIC_WRITES, "device register writes") X(NIC_IRQS, "device interrupts raised") \
  X(NIC_TX_FRAMES, "device frames sent") X(NIC_RX_FRAMES, "device frames received") \
  X(NIC_RX_MISSED, "device frames missed") X(NIC_TX_REQS, "netif tx requests") \
  X(NIC_RX_REQS, "netif rx requests") X(NIC_NOTIFIES, "netif notifications") \
  X(NIC_EVENTS, "netif events") X(NIC_FLUSHES, "device flushes") \
  X(NIC_SITES, "device sites rewritten") X(NIC_SITES_LEFT, "device sites left to faults") \
  X(NIC_SITE_CALLS, "device site calls")
#else
#define STAT_LIST_DEV(X)
#endif

#ifndef __ASSEMBLER__
#define STAT_ENUM(name, str) ST_##name,
enum { STAT_LIST(STAT_ENUM) ST_COUNT };

#include "types.h"
struct wedge_stats {
  u32 magic, version, count;
  u32 v[ST_COUNT];
};
extern struct wedge_stats wedge_stats;
#define STAT(name) (wedge_stats.v[ST_##name]++)
#define STAT_ADD(name, n) (wedge_stats.v[ST_##name] += (n))
#endif

#endif
