// Events on Xen: the upcall's event-channel scan, the timer (set_timer_op + VIRQ_TIMER feeding
// the emulated 8254), system time from the shared-info page, blocking for hlt, forced
// delivery, and the ports the wedge passes through (Xen emulates port I/O for assigned
// devices: the UART, PCI configuration and the debug-exit port, ABI.md section 7), and the
// physical interrupt lines of assigned devices (the NIC): bound as pirq event channels when the
// guest unmasks the line at the virtual PIC, raised there on each event, and acknowledged at Xen
// with PHYSDEVOP_eoi when the virtual PIC ends the line's service (the guest's EOI, or the
// unmask that follows an EOI given while the line was masked: device/pic.c).
#include "xen.h"
#include "backend.h"
#include "pio.h"
#include "devices.h"
#include "lib.h"
#ifdef WEDGE_DEVVIRT
#include "dp83820.h"
#endif

static u32 timer_port;
static u32 pirq_port[16];                // event channel of each bound line, 0 if none
static u16 pirq_tried;                   // lines whose bind was attempted (Xen may refuse: EPERM)

void be_irq_unmasked(u32 irq)
{
  if (irq >= 16 || (pirq_tried & (1u << irq)))
    return;
#ifdef WEDGE_DEVVIRT
  if (xen_netif_irq(irq))
    return;                              // the emulated NIC's line: raised by the wedge itself
#endif
  pirq_tried |= (u16)(1u << irq);
  struct { u32 pirq, flags, port; } bind = { irq, 0, 0 };
  if (HC2(event_channel_op, EVTCHNOP_bind_pirq, &bind) == 0) {
    pirq_port[irq] = bind.port;
    STAT(PIRQ_BOUND);
  }
}

void be_irq_eoi(u32 irq)
{
  if (irq >= 16 || !pirq_port[irq])
    return;
  u32 arg = irq;
  STAT(PIRQ_EOIS);
  xen_check(HC2(physdev_op, PHYSDEVOP_eoi, &arg), "physdev_op(eoi)");
}

// A pending port that belongs to a bound line: raise the line at the virtual PIC.
static void pirq_event(u32 port)
{
  for (u32 irq = 0; irq < 16; irq++)
    if (pirq_port[irq] == port) {
      STAT(PIRQS);
      pic_raise(irq);
    }
}

void xen_events_init(void)
{
  struct { u32 virq, vcpu, port; } bind = { VIRQ_TIMER, 0, 0 };
  xen_check(HC2(event_channel_op, EVTCHNOP_bind_virq, &bind), "bind_virq(TIMER)");
  timer_port = bind.port;
}

// Clear and return the pending, unmasked ports of one word (ABI.md section 6).
static u32 take_word(u32 w)
{
  u32 pend = xen_shared.evtchn_pending[w] & ~xen_shared.evtchn_mask[w];
  asm volatile("lock andl %1, %0" : "+m"(xen_shared.evtchn_pending[w]) : "r"(~pend) : "memory");
  return pend;
}

void xen_events_process(void)
{
  struct vcpu_info *vi = &xen_shared.vcpu_info[0];
  vi->evtchn_upcall_pending = 0;
  u32 sel;
  asm volatile("xchgl %0, %1" : "=r"(sel), "+m"(vi->evtchn_pending_sel) : "0"(0u) : "memory");
  for (u32 w = 0; w < 32; w++) {
    if (!(sel & (1u << w)))
      continue;
    u32 pend = take_word(w);
    for (u32 b = 0; b < 32; b++) {
      if (!(pend & (1u << b)))
        continue;
#ifdef WEDGE_DEVVIRT
      if (w * 32 + b == timer_port)
        dev_timer_event();
      else if (xen_netif_port(w * 32 + b))
        nic_event();
      else
#else
      if (w * 32 + b == timer_port)
        pit_timer_event();
      else
#endif
        pirq_event(w * 32 + b);
    }
  }
  if (pic_pending())
    vcpu_irq_pending = 1;
}

u64 be_time_ns(void)
{
  const struct vcpu_info *vi = &xen_shared.vcpu_info[0];
  u32 lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  u64 d = (((u64)hi << 32) | lo) - vi->tsc_timestamp;
  if (vi->tsc_shift >= 0)
    d <<= vi->tsc_shift;
  else
    d >>= -vi->tsc_shift;
  u64 ns = (d >> 32) * vi->tsc_to_system_mul + (((d & 0xFFFFFFFFu) * vi->tsc_to_system_mul) >> 32);
  return ns + vi->system_time;
}

void be_set_timer(u64 deadline)
{
  xen_check(HC2(set_timer_op, (u32)deadline, (u32)(deadline >> 32)), "set_timer_op");
}

void be_block(void)
{
  STAT(BLOCKS);
  HC2(sched_op, SCHEDOP_block, 0);
  vcpu_irq_mask = 1;                     // block unmasked; the wedge's C code runs masked
}

// Xen lets ring 1 reach the assigned devices' ports with plain in/out (the ports of ABI.md
// section 7). Any other port has no device behind it for this domain: it reads all ones and
// ignores writes, as a port no device decodes does on the PC's bus (Linux probes some, e.g.
// the DMA page registers).
static int assigned(u32 port, u32 size)
{
  static const u16 ranges[][2] = { { 0x3F8, 8 }, { 0xCF8, 8 }, { 0xF4, 4 }, { 0x70, 2 } };
  for (u32 i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
    if (port >= ranges[i][0] && port + size <= (u32)ranges[i][0] + ranges[i][1])
      return 1;
  return 0;
}

u32 be_port_in(u32 port, u32 size)
{
  if (!assigned(port, size))
    return size == 1 ? 0xFF : size == 2 ? 0xFFFF : 0xFFFFFFFFu;
  return pio_in(port, size);
}

void be_port_out(u32 port, u32 size, u32 v)
{
  if (assigned(port, size))
    pio_out(port, size, v);
}
