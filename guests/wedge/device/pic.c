// The 8259A pair as a PC wires it: master at 0x20/0x21, slave at 0xA0/0xA1 cascaded on master
// IRQ 2. Modelled: the ICW1-ICW4 initialisation sequence (vector base, edge triggering),
// IMR reads and writes (OCW1), non-specific and specific EOI (OCW2), IRR/ISR reads (OCW3), fully
// nested priority with IRQ 0 highest. Not modelled: level triggering, auto-EOI, special mask
// and rotation modes, polling; the guest kernels here use none of them.
//
// One interrupt per device event: a guest that masks a line, EOIs it and only then runs the
// driver (Linux's i8259 order) would, if its EOI reached the hypervisor at once, reopen the
// physical level-triggered line while the device still asserts it and take the same event a
// second time. So an EOI of a line the guest holds masked is kept, and given to the back-end
// when the guest unmasks the line, after its driver has quietened the device.
#include "devices.h"
#include "backend.h"

struct i8259 {
  u8 irr, isr, imr, base;
  u8 init_step;       // 0: operational; 2..4: expecting ICW2..ICW4
  u8 icw4, read_isr;
  u8 eoi_held;        // lines EOIed while masked: the back-end's EOI waits for the unmask
};

static struct i8259 pics[2] = { { .imr = 0xFF }, { .imr = 0xFF } };

// Highest-priority bit (lowest number) of m, or 8. One bsf: every pending-interrupt check
// asks this several times.
static u32 lowest(u8 m)
{
  return m ? (u32)__builtin_ctz(m) : 8;
}

// Slave's request, as the master sees it on IRQ 2.
static u8 master_irr(void)
{
  const struct i8259 *s = &pics[1];
  u8 req = s->irr & ~s->imr;
  u32 r = lowest(req), inserv = lowest(s->isr);
  return (u8)(pics[0].irr | (r < inserv ? 1u << 2 : 0));
}

// The master's best request that outranks what is in service, or 8.
static u32 master_best(void)
{
  const struct i8259 *m = &pics[0];
  u32 r = lowest(master_irr() & ~m->imr);
  return r < lowest(m->isr) ? r : 8;
}

void pic_raise(u32 irq)
{
  pics[irq >= 8].irr |= (u8)(1u << (irq & 7));
  if (pic_pending())
    vcpu_irq_pending = 1;
}

int pic_pending(void) { return master_best() < 8; }

int pic_ack(void)
{
  struct i8259 *m = &pics[0], *s = &pics[1];
  u32 r = master_best();
  if (r >= 8)
    return -1;
  if (r == 2 && !(m->irr & (1u << 2))) {
    u32 sr = lowest(s->irr & ~s->imr);
    m->isr |= 1u << 2;
    s->irr &= (u8)~(1u << sr);
    s->isr |= (u8)(1u << sr);
    return s->base + (int)sr;
  }
  m->irr &= (u8)~(1u << r);
  m->isr |= (u8)(1u << r);
  return m->base + (int)r;
}

// An EOI ends a line's service: the back-end then acknowledges the physical line behind it
// (an assigned device's level-triggered interrupt stays masked at the real PIC until then).
static void eoi(struct i8259 *p, u8 v)
{
  u32 line = 8;
  if ((v & 0xE0) == 0x20)                // non-specific: the highest in service
    line = lowest(p->isr);
  else if ((v & 0xE0) == 0x60)           // specific
    line = v & 7;
  if (line >= 8 || !(p->isr & (1u << line)))
    return;
  p->isr &= (u8)~(1u << line);
  u32 irq = (p == &pics[1] ? 8 : 0) + line;
  if (irq == 2)
    return;
  if (p->imr & (1u << line))
    p->eoi_held |= (u8)(1u << line);
  else
    be_irq_eoi(irq);
}

// Gives the back-end the EOIs held for `lines` of p.
static void release_eois(struct i8259 *p, u8 lines)
{
  u8 due = p->eoi_held & lines;
  p->eoi_held &= (u8)~due;
  for (u32 i = 0; i < 8; i++)
    if (due & (1u << i))
      be_irq_eoi((p == &pics[1] ? 8 : 0) + i);
}

// OCW1: lines the guest unmasks may belong to assigned devices; the back-end connects them.
static void set_imr(struct i8259 *p, u8 v)
{
  u8 opened = p->imr & (u8)~v;
  p->imr = v;
  for (u32 i = 0; i < 8; i++)
    if (opened & (1u << i)) {
      u32 irq = (p == &pics[1] ? 8 : 0) + i;
      if (irq != 0 && irq != 2)
        be_irq_unmasked(irq);
    }
  release_eois(p, opened);
}

void pic_write(u32 port, u8 v)
{
  struct i8259 *p = &pics[port >= 0xA0];
  if (!(port & 1)) {
    if (v & 0x10) {                       // ICW1
      p->init_step = 2;
      p->icw4 = v & 1;
      release_eois(p, 0xFF);             // ICW1 clears the mask: no line stays held
      p->imr = 0;
      p->isr = p->irr = 0;
      p->read_isr = 0;
    } else if (v & 0x08) {                // OCW3
      if (v & 0x02)
        p->read_isr = v & 1;
    } else {                              // OCW2
      eoi(p, v);
    }
  } else {
    switch (p->init_step) {
    case 2: p->base = v & 0xF8; p->init_step = 3; break;
    case 3: p->init_step = p->icw4 ? 4 : 0; break;
    case 4: p->init_step = 0; break;
    default: set_imr(p, v); break;
    }
  }
  if (pic_pending())
    vcpu_irq_pending = 1;
}

u8 pic_read(u32 port)
{
  const struct i8259 *p = &pics[port >= 0xA0];
  if (port & 1)
    return p->imr;
  return p->read_isr ? p->isr : (port >= 0xA0 ? p->irr : master_irr());
}
