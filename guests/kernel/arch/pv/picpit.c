// The stand-in for the PIC and PIT that para-virtual kernels do not own: the port protocol the
// kernel's pic.c and pit.c drivers speak (ICW1..4, mask bytes on the data ports, PIT channel
// 0's divisor in two bytes), turned into a 16-line mask and a timer period. What an unmasked
// line means to the hypervisor (bind it, acknowledge it) is the arch's pv_pic_unmasked; what
// the period drives (a one-shot timer, a receive timeout) is the arch's too.
#include "../../arch.h"
#include "pv.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define PIT_CH0 0x40
#define PIT_MODE 0x43
#define PIT_HZ 1193182ull

volatile u16 pv_pic_mask = 0xFFFF;
u32 pv_pit_period_ns;
static int icw_left[2];           // initialization words still expected on each PIC
static u32 pit_divisor, pit_bytes;

int pv_virtual_port(u16 port)
{
  return port == PIC1_CMD || port == PIC1_DATA || port == PIC2_CMD || port == PIC2_DATA ||
         (port >= PIT_CH0 && port <= PIT_MODE);
}

u8 pv_virtual_in(u16 port)
{
  if (port == PIC1_DATA)
    return pv_pic_mask & 0xFF;
  if (port == PIC2_DATA)
    return pv_pic_mask >> 8;
  return 0;
}

static void set_mask(u16 mask)
{
  u16 unmasked = pv_pic_mask & ~mask;
  pv_pic_mask = mask;
  pv_pic_unmasked(unmasked);
}

void pv_virtual_out(u16 port, u8 v)
{
  int pic = port == PIC2_CMD || port == PIC2_DATA;
  if (port == PIC1_CMD || port == PIC2_CMD) {
    if (v & 0x10)
      icw_left[pic] = 3;           // ICW1: ICW2..4 follow on the data port
  } else if (port == PIC1_DATA || port == PIC2_DATA) {
    if (icw_left[pic] > 0)
      icw_left[pic]--;
    else
      set_mask(pic ? (pv_pic_mask & 0x00FF) | (v << 8) : (pv_pic_mask & 0xFF00) | v);
  } else if (port == PIT_MODE) {
    pit_bytes = 0;
  } else if (port == PIT_CH0) {
    pit_divisor = pit_bytes++ == 0 ? v : pit_divisor | (v << 8);
    if (pit_bytes == 2)
      pv_pit_period_ns = pv_div64((pit_divisor ? pit_divisor : 65536) * 1000000000ull, PIT_HZ);
  }
}
