// The Xen 3.0 x86-32 para-virtual interface as the Xen model implements it
// (emulator/hypervisors/xen/ABI.md): hypercall numbers, structures, selectors, and the
// hypercall instruction itself.
#ifndef WEDGE_XEN_H
#define WEDGE_XEN_H

#include "types.h"
#include "stats.h"

#define HYPERVISOR_VIRT_START 0xFC000000u
#define FLAT_RING1_CS 0xe019
#define FLAT_RING1_DS 0xe021
#define DOMID_SELF 0x7FF0

enum {
  HC_set_trap_table = 0, HC_mmu_update = 1, HC_set_gdt = 2, HC_stack_switch = 3,
  HC_set_callbacks = 4, HC_fpu_taskswitch = 5, HC_update_descriptor = 10, HC_multicall = 13,
  HC_update_va_mapping = 14, HC_set_timer_op = 15, HC_xen_version = 17, HC_console_io = 18,
  HC_grant_table_op = 20, HC_iret = 23, HC_mmuext_op = 26, HC_sched_op = 29, HC_event_channel_op = 32, HC_physdev_op = 33,
};

#define MMUEXT_PIN_L1_TABLE 0
#define MMUEXT_PIN_L2_TABLE 1
#define MMUEXT_UNPIN_TABLE 4
#define MMUEXT_NEW_BASEPTR 5
#define MMUEXT_TLB_FLUSH_LOCAL 6
#define MMUEXT_INVLPG_LOCAL 7
#define UVMF_INVLPG 2
#define SCHEDOP_block 1
#define SCHEDOP_shutdown 2
#define SHUTDOWN_poweroff 0
#define SHUTDOWN_crash 3
#define EVTCHNOP_bind_virq 1
#define EVTCHNOP_bind_pirq 2
#define EVTCHNOP_send 4
#define GNTTABOP_netif_connect 0x100   /* model: the split network device (ABI.md section 11) */
#define PHYSDEVOP_eoi 12
#define VIRQ_TIMER 0
#define CONSOLEIO_write 0

#define PTE_P 0x001u
#define PTE_W 0x002u
#define PTE_U 0x004u
#define PTE_A 0x020u
#define PTE_D 0x040u
#define PTE_PS 0x080u

struct start_info {
  char magic[32];
  u32 nr_pages, shared_info, flags, store_mfn, store_evtchn, console_mfn, console_evtchn;
  u32 pt_base, nr_pt_frames, mfn_list, mod_start, mod_len;
  char cmd_line[1024];
  u32 virt_base, boot_phys, boot_len, domain_end;   // model extension
};

struct vcpu_info {
  u8 evtchn_upcall_pending, evtchn_upcall_mask;
  u16 pad0;
  u32 evtchn_pending_sel;
  u32 cr2;
  u32 pad1[5];
  u32 time_version, time_pad;
  u64 tsc_timestamp, system_time;
  u32 tsc_to_system_mul;
  s8 tsc_shift;
  u8 pad2[3];
};

struct shared_info {
  struct vcpu_info vcpu_info[32];
  u32 evtchn_pending[32];
  u32 evtchn_mask[32];
};

struct mmu_update { u64 ptr, val; };
struct mmuext_op { u32 cmd, arg1, arg2; };
struct trap_info { u8 vector, flags; u16 cs; u32 address; };

// The shared-info page, mapped at a page of the wedge's .bss (boot.c).
extern struct shared_info xen_shared;

static inline s32 hypercall(u32 nr, u32 a, u32 b, u32 c, u32 d, u32 e)
{
  s32 r;
  STAT(HYPERCALLS);
  asm volatile("int $0x82" : "=a"(r), "+b"(a), "+c"(b), "+d"(c), "+S"(d), "+D"(e) : "0"(nr) : "memory");
  return r;
}

#define HC0(n) hypercall(HC_##n, 0, 0, 0, 0, 0)
#define HC1(n, a) hypercall(HC_##n, (u32)(a), 0, 0, 0, 0)
#define HC2(n, a, b) hypercall(HC_##n, (u32)(a), (u32)(b), 0, 0, 0)
#define HC3(n, a, b, c) hypercall(HC_##n, (u32)(a), (u32)(b), (u32)(c), 0, 0)
#define HC4(n, a, b, c, d) hypercall(HC_##n, (u32)(a), (u32)(b), (u32)(c), (u32)(d), 0)

// Shared between the Xen files.
extern struct start_info *xen_start_info;
u32 xen_alloc_page(void);                 // a free page of the bootstrap region (its VA)
u32 xen_va_to_mfn(u32 va);                // machine frame behind a bootstrap-region VA
void xen_mmu_init(void);
int xen_mmu_fault(u32 va, u32 err);       // 1: shadow filled, retry; 0: the guest's fault
void xen_mmu_prefault(u32 va);            // shadow va's slot now if the guest maps it
void xen_shadow_retire(void);             // the guest's tables go direct: empty every shadow
// Direct page tables (ptdirect.c), for a guest whose page-table writes are annotated.
struct tframe;
extern int xen_ptd_on;                    // the guest runs on its own (pinned) tables
int xen_ptd_reload(int flush);            // be_mmu_reload's direct half: 0 if shadows stay
void xen_ptd_invlpg(u32 va);
int xen_ptd_readable(u32 va);             // the loaded directory maps va to guest memory
int xen_ptd_fault(struct tframe *f, u32 cr2);   // 1: a write to a page table, handled
void xen_events_init(void);
#ifdef WEDGE_DEVVIRT
int xen_ptd_device_fault(struct tframe *f, u32 cr2);   // 1: an access to the emulated NIC's page
int xen_netif_port(u32 port);             // 1: the split network device's event channel
int xen_netif_irq(u32 irq);               // 1: the line the emulated NIC raises
#endif
void xen_events_process(void);
void xen_traps_init(void);
void xen_check(s32 r, const char *what);

#endif
