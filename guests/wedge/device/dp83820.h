// The wedge's DP83820 (device pre-virtualization, built with DEV=virt): the guest's unmodified
// driver programs a DP83820 whose registers and descriptor lists the wedge emulates, and whose
// frames go through the hypervisor's split network device (netif.h). What the front-end and the
// back-end call.
#ifndef WEDGE_DP83820_H
#define WEDGE_DP83820_H

#include "types.h"

// Start of day, before the guest runs: find the PCI function the guest will find (its BAR1
// and interrupt line) and connect to the back half.
void nic_init(void);
// 1 if the machine frame at pa is the NIC's register page (BAR1), which the guest's page
// tables may name but never map: its accesses fault into the wedge.
int nic_owns(u32 pa);
// One 32-bit register access at offset off of BAR1.
u32 nic_read(u32 off);
void nic_write(u32 off, u32 v);
// The guest paused its device activity (hlt, iret): hand the queued work to the back half.
extern volatile u8 nic_flush_wanted;
void nic_flush(void);
// The back half answered (its event arrived), and the wedge's timer fired (holdoff).
void nic_event(void);
void nic_timer(void);
// A faulting access to BAR1 at offset off (device/mmio.c): 1 when done and stepped over.
struct tframe;
int nic_mmio_access(struct tframe *f, u32 off);

// The wedge's one hypervisor timer, shared by the 8254 (0) and the NIC's holdoff (1).
void dev_timer_set(u32 which, u64 deadline_ns);
void dev_timer_event(void);          // the back-end's timer fired

#endif
