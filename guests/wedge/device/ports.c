// Which I/O ports the wedge emulates itself (the interrupt controllers and the timer, which
// the hypervisor does not give the guest, and port 0x61, which gates the timer's channel 2);
// every other port goes to the back-end.
#include "devices.h"

static int is_pic(u32 port) { return port == 0x20 || port == 0x21 || port == 0xA0 || port == 0xA1; }
static int is_pit(u32 port) { return (port >= 0x40 && port <= 0x43) || port == 0x61; }

int dev_port_in(u32 port, u32 size, u32 *v)
{
  if (size != 1 || !(is_pic(port) || is_pit(port)))
    return 0;
  *v = is_pic(port) ? pic_read(port) : port == 0x61 ? pit_read_port61() : pit_read(port);
  return 1;
}

int dev_port_out(u32 port, u32 size, u32 v)
{
  if (size != 1 || !(is_pic(port) || is_pit(port)))
    return 0;
  if (is_pic(port))
    pic_write(port, (u8)v);
  else if (port == 0x61)
    pit_write_port61((u8)v);
  else
    pit_write(port, (u8)v);
  return 1;
}
