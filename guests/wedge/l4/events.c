// Main's side of events on L4: the monitor (monitor.c) only records what happened (IRQ lines,
// timer expiry) in l4_events and sets vcpu_irq_pending; main feeds them to the virtual PIC and
// PIT here, so the devices are only ever touched by one thread. Also: system time (rdtsc, the
// same cycle counter SystemClock divides), the virtual timer (a receive timeout of the
// monitor), the assigned devices' lines (attached to the monitor when the guest unmasks them,
// acknowledged when the virtual PIC ends their service: device/pic.c), blocking for hlt, and the ports σ0 gives the task (the
// UART, PCI configuration, the debug exit and the CMOS RTC: plain in/out, ABI.md section 7).
#include "l4wedge.h"
#include "backend.h"
#include "pio.h"
#include "devices.h"
#include "stats.h"
#include "lib.h"
#ifdef WEDGE_DEVVIRT
#include "dp83820.h"
#endif

volatile u32 l4_timer_us, l4_irq_ack;
// The virtual interrupt flag: plain bytes of the wedge (no hypervisor reads them); the monitor
// sets the pending byte, main and the guest's inline sequences the rest.
volatile u8 vcpu_irq_mask = 1, vcpu_irq_pending;
static u32 attached;                     // lines attached to the monitor
static u32 mhz;

// The ports σ0 grants (ABI.md section 7): [first, log2 count].
static const u32 ports[][2] = { { 0x3F8, 3 }, { 0xCF8, 3 }, { 0xF4, 2 }, { 0x70, 1 } };

void l4_ports_init(void)
{
  for (u32 i = 0; i < ARRAY_SIZE(ports); i++) {
    STAT(HYPERCALLS);
    if (l4_sigma0_request(L4_IOFPAGE(ports[i][0], ports[i][1], L4_R | L4_W), L4_COMPLETE_FPAGE))
      for (;;)                           // no console to say so yet
        ;
  }
}

// Drain what the monitor recorded into the virtual devices.
void l4_take_events(void)
{
  vcpu_irq_pending = 0;
  u32 ev = 0;
  if (l4_events)                         // the xchg is a locked cycle: only when there is something
    asm volatile("xchgl %0, %1" : "=r"(ev), "+m"(l4_events) : "0"(0u) : "memory");
  for (u32 irq = 0; irq < 16; irq++)
    if (ev & (1u << irq)) {
      STAT(PIRQS);
      pic_raise(irq);
    }
#ifdef WEDGE_DEVVIRT
  if (ev & EV_TIMER)
    dev_timer_event();
  if (ev & EV_NET)
    nic_event();
#else
  if (ev & EV_TIMER)
    pit_timer_event();
#endif
  if (pic_pending() || l4_events)
    vcpu_irq_pending = 1;
}

// A message the monitor takes as "re-read the timer deadline and the lines to acknowledge".
void l4_poke_monitor(void)
{
  if (L4_UTCB->my_global_id == l4_monitor_tid)
    return;                              // the monitor itself (emulating for main): it re-reads anyway
  l4_word err;
  L4_UTCB->mr[0] = L4_TAG(0, 0, 0);
  STAT(HYPERCALLS);
  l4_send(l4_monitor_tid, &err);
}

static u64 cycles(void)
{
  u32 lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((u64)hi << 32) | lo;
}

u64 be_time_ns(void)
{
  if (!mhz)
    mhz = l4_boot->cpu_khz / 1000;
  return udiv64_32(cycles() * 1000, mhz);
}

void be_set_timer(u64 deadline_ns)
{
  u32 armed = l4_armed_us, us = deadline_ns ? (u32)udiv64_32(deadline_ns, 1000) : 0;
  if (us == 0 && deadline_ns)
    us = 1;
  l4_timer_us = us;
  if (us && (!armed || (s32)(us - armed) < 0))
    l4_poke_monitor();                   // earlier than what the monitor waits for
}

// Lines the model lets the task attach (ABI.md section 3.3).
static int attachable(u32 irq) { return irq == 3 || irq == 4 || irq == 9 || irq == 10 || irq == 11; }

void be_irq_unmasked(u32 irq)
{
  if (irq >= 16 || !attachable(irq) || (attached & (1u << irq)))
    return;
#ifdef WEDGE_DEVVIRT
  if (l4_netif_irq(irq))
    return;                              // the emulated NIC's line: raised by the wedge itself
#endif
  l4_word err;
  STAT(HYPERCALLS);
  if (!l4_thread_control(L4_IRQ_TID(irq), L4_IRQ_TID(irq), l4_monitor_tid, &err))
    wpanic("attach irq %u: error %u", irq, err);
  attached |= 1u << irq;
  STAT(PIRQ_BOUND);
}

void be_irq_eoi(u32 irq)
{
  if (irq >= 16 || !(attached & (1u << irq)))
    return;
  STAT(PIRQ_EOIS);
  asm volatile("orl %1, %0" : "+m"(l4_irq_ack) : "r"(1u << irq) : "memory");   // one CPU: no lock
  l4_poke_monitor();
}

// hlt with interrupts on and nothing deliverable: wait for the monitor's wake-up message.
void be_block(void)
{
  l4_take_events();
  if (vcpu_irq_pending)
    return;
  STAT(BLOCKS);
  l4_word err;
  l4_main_waits = 1;
  if (!l4_events) {
    STAT(HYPERCALLS);
    l4_ipc(L4_NILTHREAD, l4_monitor_tid, L4_NEVER, &err);
  }
  l4_main_waits = 0;
  l4_take_events();
}

// The ports σ0 gave the task (l4_ports_init): plain in/out. Any other port has no device behind
// it for the task: it reads all ones and ignores writes, as a port nothing decodes on the PC's
// bus (Linux probes some: further UARTs, the DMA page registers), as on Xen.
static int granted(u32 port, u32 size)
{
  for (u32 i = 0; i < ARRAY_SIZE(ports); i++)
    if (port >= ports[i][0] && port + size <= ports[i][0] + (1u << ports[i][1]))
      return 1;
  return 0;
}

u32 be_port_in(u32 port, u32 size)
{
  if (!granted(port, size))
    return size == 1 ? 0xFF : size == 2 ? 0xFFFF : 0xFFFFFFFFu;
  return pio_in(port, size);
}

void be_port_out(u32 port, u32 size, u32 v)
{
  if (granted(port, size))
    pio_out(port, size, v);
}
