// Descriptor tables a para-virtual kernel never loads: the hypervisor keeps the only GDT (Xen's
// holds the flat ring-1 and ring-3 selectors, L4's the flat user ones archdefs.h names) and
// the only TSS, so the kernel's own tables (desc.c) stay data. The IDT is each arch's own:
// Xen's trap table, nothing at all on L4.
#include "../../arch.h"

void arch_load_gdt(void *base, u16 limit) { (void)base, (void)limit; }
void arch_load_tr(u16 sel) { (void)sel; }
