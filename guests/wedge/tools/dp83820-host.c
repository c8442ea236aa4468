// The wedge's DP83820 (device/dp83820.c) as a host program, for the differential test against
// the emulator's model (test/wedge/dp83820-diff.test.ts). Built 32-bit (the device model keeps
// guest addresses in 32 bits): a 1 MiB array is guest physical memory, the back half is this
// program (it prints each frame the device hands over and answers at once), and a script on
// standard input drives the device as a driver would, one command a line:
//   w OFF VAL        write register OFF (hex)         r OFF       read it, print "r OFF VAL"
//   poke PA VAL      store a word in guest memory     dump PA N   print N words at PA
//   rx HEX           a frame arrives from the wire    (each command ends with the guest pausing:
//                                                     the flush a hlt or iret makes)
// and prints "tx HEX" per frame sent, "irq N" after each command (rising edges so far).
#include "dp83820.h"
#include "netif.h"
#include "devices.h"
#include "backend.h"
#include "lib.h"
#include "stats.h"
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>

#define MEM (1u << 20)
static u8 *guest;
extern u32 wedge_guest_virt_off;
struct wedge_stats wedge_stats;
volatile u8 vcpu_irq_mask, vcpu_irq_pending;
static u32 edges, cfg_addr;
static u8 rings[2][PGSIZE] __attribute__((aligned(PGSIZE)));
static struct netif *front;
static u32 tx_cons, rx_cons;
static const u8 mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x20 };

void wprintf(const char *fmt, ...) { va_list a; va_start(a, fmt); vfprintf(stderr, fmt, a); va_end(a); }
void wpanic(const char *fmt, ...) { va_list a; va_start(a, fmt); vfprintf(stderr, fmt, a); va_end(a); exit(2); }
void pic_raise(u32 irq) { (void)irq; edges++; }
void pit_timer_event(void) {}
u32 be_guest_mem_end(void) { return MEM; }
u64 be_time_ns(void) { return 0; }
void be_set_timer(u64 ns) { (void)ns; }
u32 be_wedge_phys(const void *va) { return (u32)va; }
int be_device_page(u32 va) { (void)va; return 0; }
void be_port_out(u32 port, u32 size, u32 v) { (void)size; if (port == 0xcf8) cfg_addr = v; }
u32 be_port_in(u32 port, u32 size)
{
  (void)port, (void)size;
  u32 dev = (cfg_addr >> 11) & 31, reg = cfg_addr & 0xfc;
  if (dev != 3)
    return 0xffffffffu;
  return reg == 0 ? 0x0022100bu : reg == 0x14 ? 0xfeb00000u : reg == 0x3c ? 11 : 0;
}

int be_netif_connect(struct netif *n)
{
  n->tx = (struct netif_sring *)rings[0];
  n->rx = (struct netif_sring *)rings[1];
  n->tx->req_event = 1;
  n->rx->req_event = 0x80000000u;
  memcpy(n->mac, mac, 6);
  front = n;
  return 0;
}

// The back half: every transmit request answered at once, the frame printed.
void be_netif_notify(void)
{
  struct netif_sring *r = front->tx;
  static u8 frame[65536];
  static u32 len;
  while (tx_cons != r->req_prod) {
    struct netif_slot *s = &r->ring[tx_cons++ % NETIF_RING];
    const u8 *p = (const u8 *)(guest + s->addr);
    for (u32 i = 0; i < s->size; i++)
      frame[len++] = p[i];
    u32 more = s->status & NETIF_MORE;
    u16 id = s->id;
    s->status = 0;
    s->id = id;
    r->rsp_prod++;
    if (!more) {
      if (len < 60) {                        // the driver's TXCFG.ATP (padding) as the back half's NIC does
        memset(frame + len, 0, 60 - len);
        len = 60;
      }
      printf("tx ");
      for (u32 i = 0; i < len; i++)
        printf("%02x", frame[i]);
      printf("\n");
      len = 0;
    }
  }
  r->req_event = tx_cons + 1;
}

static u32 crc32(const u8 *p, u32 n)
{
  u32 c = 0xffffffffu;
  for (u32 i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++)
      c = (c >> 1) ^ (0xedb88320u & -(c & 1));
  }
  return ~c;
}

static void arrive(const u8 *f, u32 n)
{
  struct netif_sring *r = front->rx;
  if (rx_cons == r->req_prod) {
    r->dropped++;
    return;
  }
  struct netif_slot *s = &r->ring[rx_cons++ % NETIF_RING];
  u8 *buf = (u8 *)s->addr;
  memcpy(buf, f, n);
  u32 fcs = crc32(f, n);
  for (int i = 0; i < 4; i++)
    buf[n + i] = (u8)(fcs >> (8 * i));
  s->size = (u16)(n + 4);
  s->status = 0;
  s->ext = 0;
  r->rsp_prod++;
  nic_event();
}

int main(void)
{
  guest = aligned_alloc(PGSIZE, MEM);
  memset(guest, 0, MEM);
  wedge_guest_virt_off = (u32)guest;
  nic_init();
  char cmd[16];
  static char hex[8192];
  while (scanf("%15s", cmd) == 1) {
    u32 a, b;
    if (!strcmp(cmd, "w") && scanf("%x %x", &a, &b) == 2) {
      nic_write(a, b);
    } else if (!strcmp(cmd, "r") && scanf("%x", &a) == 1) {
      printf("r %x %08x\n", a, nic_read(a));
    } else if (!strcmp(cmd, "poke") && scanf("%x %x", &a, &b) == 2) {
      *(u32 *)(guest + a) = b;
    } else if (!strcmp(cmd, "dump") && scanf("%x %x", &a, &b) == 2) {
      printf("dump %x", a);
      for (u32 i = 0; i < b; i++)
        printf(" %08x", *(u32 *)(guest + a + 4 * i));
      printf("\n");
    } else if (!strcmp(cmd, "rx") && scanf("%8191s", hex) == 1) {
      static u8 f[4096];
      u32 n = 0;
      for (char *p = hex; p[0] && p[1]; p += 2) {
        unsigned v;
        sscanf(p, "%2x", &v);
        f[n++] = (u8)v;
      }
      arrive(f, n);
    } else {
      wpanic("bad command %s\n", cmd);
    }
    if (nic_flush_wanted)
      nic_flush();
    printf("irq %u\n", edges);
  }
  return 0;
}
