// The 8254 timer. Channel 0 drives IRQ 0: the guest programs a divisor of the 1.193182 MHz
// input clock, the wedge asks the back-end for a one-shot timer at each due tick and raises
// IRQ 0 when it fires. Deadlines advance by whole periods from the programming time, so the
// guest gets exactly one interrupt per period on average however late the events come; a
// guest that falls more than a period behind loses the missed ticks, as it would with a real
// PIC whose IRR bit is already set. Reads of the counters give the count computed from time.
// Port 0x61 (the PC's system control port B) gates channel 2 (bit 0) and shows its output
// (bit 5): Linux calibrates the TSC against it. Channel 2's count starts when it is loaded and,
// as QEMU has it, does not pause while the gate is low; in mode 0 its output rises at terminal
// count and stays high until the channel is programmed again.
#include "devices.h"
#include "backend.h"
#include "lib.h"

// With the emulated NIC (DEV=virt) the back-end's one timer is shared with its holdoff.
#ifdef WEDGE_DEVVIRT
#include "dp83820.h"
#define PIT_TIMER(ns) dev_timer_set(0, ns)
#else
#define PIT_TIMER(ns) be_set_timer(ns)
#endif

#define PIT_HZ 1193182u

struct channel {
  u16 reload;
  u8 mode, access, write_hi, read_hi, latched;
  u16 latch;
  u64 start_ns, period_ns, next_ns;
};

static struct channel ch[3];
static u8 port61;                        // bits 0-1 as written (gate 2, speaker data)

static u64 ticks_to_ns(u32 ticks)
{
  return udiv64_32((u64)ticks * 1000000000ull, PIT_HZ);
}

static u16 current_count(const struct channel *c)
{
  if (!c->period_ns)
    return c->reload;
  u64 elapsed = be_time_ns() - c->start_ns;
  u64 in_period = elapsed - udiv64_32(elapsed, (u32)c->period_ns) * c->period_ns;
  u32 done = (u32)udiv64_32(in_period * PIT_HZ, 1000000000u);
  u32 r = c->reload ? c->reload : 65536;
  return (u16)(r - done % r);
}

static void start(struct channel *c, int n)
{
  u32 r = c->reload ? c->reload : 65536;
  c->period_ns = ticks_to_ns(r);
  c->start_ns = be_time_ns();
  c->next_ns = c->start_ns + c->period_ns;
  if (n == 0)
    PIT_TIMER(c->next_ns);
}

// Channel 2's output: mode 0 high once the count has run out since loading; the square
// wave (mode 3) high in the first half of each period; the other modes high but for the tick
// the count reaches 1 (not modelled: high).
static int out2(void)
{
  const struct channel *c = &ch[2];
  if (!c->period_ns)
    return c->mode != 0;
  u64 elapsed = be_time_ns() - c->start_ns;
  if (c->mode == 0)
    return elapsed >= c->period_ns;
  if (c->mode == 3)
    return current_count(c) > ((c->reload ? c->reload : 65536u) >> 1);
  return 1;
}

void pit_write_port61(u8 v) { port61 = v & 3; }
u8 pit_read_port61(void) { return (u8)(port61 | (out2() ? 0x20 : 0)); }

void pit_write(u32 port, u8 v)
{
  if (port == 0x43) {
    struct channel *c = &ch[(v >> 6) & 3];
    if ((v >> 6) == 3)
      return;                            // read-back: not modelled
    if (((v >> 4) & 3) == 0) {           // counter latch
      c->latch = current_count(c);
      c->latched = 1;
      c->read_hi = 0;
      return;
    }
    c->access = (v >> 4) & 3;
    c->mode = (v >> 1) & 7;
    c->write_hi = c->read_hi = 0;
    return;
  }
  struct channel *c = &ch[port - 0x40];
  int n = (int)(port - 0x40);
  if (c->access == 1 || (c->access == 3 && !c->write_hi)) {
    c->reload = (u16)((c->reload & 0xFF00) | v);
    if (c->access == 3) {
      c->write_hi = 1;
      return;
    }
  } else {
    c->reload = (u16)((c->reload & 0x00FF) | v << 8);
    c->write_hi = 0;
  }
  start(c, n);
}

u8 pit_read(u32 port)
{
  if (port == 0x43)
    return 0xFF;
  struct channel *c = &ch[port - 0x40];
  u16 v = c->latched ? c->latch : current_count(c);
  int hi = c->access == 2 || (c->access == 3 && c->read_hi);
  if (c->access == 3)
    c->read_hi ^= 1;
  if (c->access != 3 || !c->read_hi)
    c->latched = 0;
  return hi ? (u8)(v >> 8) : (u8)v;
}

void pit_timer_event(void)
{
  struct channel *c = &ch[0];
  if (!c->period_ns)
    return;
  u64 now = be_time_ns();
  if (now < c->next_ns) {
    PIT_TIMER(c->next_ns);            // early (or stale) event
    return;
  }
  pic_raise(0);
  c->next_ns += c->period_ns;
  if (c->next_ns <= now)                 // more than a period behind: drop the missed ticks
    c->next_ns = now + c->period_ns;
  if (c->mode == 0)
    c->period_ns = 0;                    // one-shot: interrupt on terminal count, once
  else
    PIT_TIMER(c->next_ns);
}
