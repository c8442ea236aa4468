// The Xen interface the para-virtual arch layer uses (numbers from ABI.md), and the arch
// layer's own shared state.
#ifndef XEN_H
#define XEN_H
#include "../../types.h"

#define HC_set_trap_table 0
#define HC_mmu_update     1
#define HC_stack_switch   3
#define HC_set_callbacks  4
#define HC_update_va_mapping 14
#define HC_set_timer_op   15
#define HC_xen_version    17
#define HC_console_io     18
#define HC_mmuext_op      26
#define HC_sched_op       29
#define HC_event_channel_op 32
#define HC_physdev_op     33

#define MMUEXT_PIN_L2_TABLE 1
#define MMUEXT_UNPIN_TABLE  4
#define MMUEXT_NEW_BASEPTR  5
#define MMUEXT_TLB_FLUSH_LOCAL 6
#define MMUEXT_INVLPG_LOCAL 7
#define UVMF_INVLPG 2
#define DOMID_SELF 0x7FF0

#define SHARED_VA 0xF07FF000u    // the shared-info page: last page of the kernel's mapping window

struct start_info {
  char magic[32];
  u32 nr_pages, shared_info, flags, store_mfn, store_evtchn, console_mfn, console_evtchn;
  u32 pt_base, nr_pt_frames, mfn_list, mod_start, mod_len;
  char cmd_line[1024];
  u32 virt_base, boot_phys, boot_len, domain_end;
};

static inline long hypercall(u32 nr, u32 a1, u32 a2, u32 a3, u32 a4)
{
  long r;
  asm volatile("int $0x82" : "=a"(r) : "a"(nr), "b"(a1), "c"(a2), "d"(a3), "S"(a4) : "memory");
  return r;
}

#define VCPU_PENDING (*(volatile u8 *)(SHARED_VA + 0))
#define VCPU_MASK    (*(volatile u8 *)(SHARED_VA + 1))

extern struct start_info xen_start;
void xen_crash(const char *what, long rc);
#endif
