// Finds the DP83820 the way a driver does and exercises it once: PCI configuration space
// (vendor/device, class, BAR1 and its size, interrupt line and pin), the revision register, the
// station address through RFCR/RFDR, a software interrupt (CR SWI -> ISR SWI -> the PCI line on
// the PIC), then one ARP exchange over the ring: the request leaves through a TX descriptor and
// the peer's reply is DMA'd by the NIC straight over a code buffer the CPU has already run many
// times. Its first six bytes are the reply's destination MAC, which we chose as `mov $imm32,
// %eax; ret`, so calling the buffer again shows whether the CPU noticed the DMA write.
// Paging is on (4 MiB pages, identity), as in any kernel that drives a NIC.
// Runs on our emulator only: QEMU has no DP83820 model.
#include "lib.h"

#define CFG_ADDR 0xcf8
#define CFG_DATA 0xcfc

// DP83820 registers (BAR1 offsets) and bits.
#define CR 0x00
#define ISR 0x10
#define IMR 0x14
#define IER 0x18
#define TXDP 0x20
#define RXDP 0x30
#define RXCFG 0x38
#define RFCR 0x48
#define RFDR 0x4c
#define SRR 0x58
#define CR_TXE 0x1
#define CR_RXE 0x4
#define CR_SWI 0x80
#define ISR_RXOK 0x1
#define ISR_TXOK 0x40
#define ISR_SWI 0x1000
#define RFCR_RFEN 0x80000000u
#define RFCR_AAB 0x40000000u
#define RFCR_AAU 0x10000000u
#define RXCFG_STRIPCRC 0x20000000u
#define OWN 0x80000000u
#define OK 0x08000000u

struct desc {
  u32 link, bufptr, cmdsts, extsts;
};

static volatile u32 *regs;
static int irq_line;
static volatile u32 irq_count, irq_isr, isr_after;

static u32 cfg_read(int slot, int off) {
  outl(CFG_ADDR, 0x80000000u | (slot << 11) | (off & 0xfc));
  return inl(CFG_DATA);
}

static void cfg_write(int slot, int off, u32 v) {
  outl(CFG_ADDR, 0x80000000u | (slot << 11) | (off & 0xfc));
  outl(CFG_DATA, v);
}

static u32 pgdir[1024] __attribute__((aligned(4096)));

// Identity-maps the first 64 MiB and the 4 MiB around the BAR with 4 MiB pages, then pages on.
static void paging_on(u32 bar) {
  for (u32 i = 0; i < 16; i++) pgdir[i] = (i << 22) | 0x83;  // present, writable, 4 MiB
  pgdir[bar >> 22] = (bar & 0xffc00000u) | 0x93;           // ... and cache-disabled
  write_cr4(read_cr4() | 0x10);                            // PSE
  write_cr3((u32)pgdir);
  write_cr0(read_cr0() | 0x80000000u);
}

static u32 rd(int off) { return regs[off / 4]; }
static void wr(int off, u32 v) { regs[off / 4] = v; }

static void on_nic_irq(struct frame *f) {
  irq_count++;
  irq_isr |= rd(ISR);      // reading ISR clears it and drops the line
  isr_after = rd(ISR);
  pic_eoi(irq_line);
  (void)f;
}

static void wait_irq(u32 want) {
  for (u32 spin = 0; spin < 1000000u && irq_count < want; spin++)
    asm volatile("sti\n\thlt\n\tcli" ::: "memory");
}

static int find_nic(void) {
  for (int slot = 0; slot < 32; slot++)
    if (cfg_read(slot, 0) == 0x0022100bu) return slot;
  return -1;
}

static void probe(int slot) {
  put_kv("nic slot", slot);
  put_kv("class", cfg_read(slot, 0x08) >> 8);
  nl();
  u32 bar1 = cfg_read(slot, 0x14);
  cfg_write(slot, 0x14, 0xffffffffu);
  u32 mask = cfg_read(slot, 0x14);
  cfg_write(slot, 0x14, bar1);
  put_kv("bar1", bar1);
  put_kv("bar1 size", ~(mask & 0xfffffff0u) + 1);
  put_kv("command", cfg_read(slot, 0x04) & 0x7);
  nl();
  u32 intr = cfg_read(slot, 0x3c);
  irq_line = intr & 0xff;
  put_kv("irq", irq_line);
  put_kv("pin", (intr >> 8) & 0xff);
  nl();
  paging_on(bar1 & 0xfffffff0u);
  regs = (volatile u32 *)(bar1 & 0xfffffff0u);
  put_kv("srr", rd(SRR));
  nl();
  puts("mac ");
  for (int i = 0; i < 6; i += 2) {
    wr(RFCR, i);
    u32 w = rd(RFDR) & 0xffff;
    puthex2(w & 0xff);
    putc(':');
    puthex2(w >> 8);
    putc(i < 4 ? ':' : '\n');
  }
}

static void software_interrupt(void) {
  pic_init(0xff, 0xff);
  trap_set_handler(irq_line < 8 ? 0x20 + irq_line : 0x28 + irq_line - 8, on_nic_irq);
  u8 m = 0xff & ~(1 << 2), s = 0xff;
  if (irq_line < 8) m &= ~(1 << irq_line);
  else s &= ~(1 << (irq_line - 8));
  pic_set_mask(m, s);
  wr(IMR, ISR_SWI);
  wr(IER, 1);
  wr(CR, CR_SWI);
  wait_irq(1);
  put_kv("swi irqs", irq_count);
  put_kv("isr", irq_isr);
  put_kv("isr after", isr_after);
  nl();
}

// The code buffer: the RX descriptor's buffer, and a function the CPU runs.
static u8 codebuf[1536] __attribute__((aligned(4096)));
static u8 txbuf[64] __attribute__((aligned(16)));
static struct desc txd __attribute__((aligned(16)));
static struct desc rxd __attribute__((aligned(16)));
// mov $0x11223344, %eax; ret -- unicast (low bit of the first byte clear), used as our MAC.
static const u8 code_mac[6] = {0xb8, 0x44, 0x33, 0x22, 0x11, 0xc3};

static u32 call_buf(void) {
  u32 (*volatile fn)(void) = (u32 (*)(void))codebuf;
  return fn();
}

static void arp_over_code(void) {
  static const u8 before[6] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3};  // mov $1, %eax; ret
  memcpy(codebuf, before, 6);
  u32 sum = 0;
  for (int i = 0; i < 5000; i++) sum += call_buf();  // hot: decoded and compiled
  put_kv("code before", sum);
  nl();
  // ARP request: who has 10.0.0.1? tell 10.0.0.2 at code_mac.
  u8 *f = txbuf;
  memset(f, 0, sizeof txbuf);
  memset(f, 0xff, 6);
  memcpy(f + 6, code_mac, 6);
  f[12] = 0x08; f[13] = 0x06;
  f[15] = 1; f[16] = 0x08; f[18] = 6; f[19] = 4; f[21] = 1;
  memcpy(f + 22, code_mac, 6);
  f[28] = 10; f[29] = 0; f[30] = 0; f[31] = 2;
  f[38] = 10; f[39] = 0; f[40] = 0; f[41] = 1;
  rxd.link = 0;
  rxd.bufptr = (u32)codebuf;
  rxd.cmdsts = sizeof codebuf;  // OWN clear: the NIC may fill it
  rxd.extsts = 0;
  txd.link = 0;
  txd.bufptr = (u32)txbuf;
  txd.cmdsts = OWN | 60;
  txd.extsts = 0;
  wr(RFCR, RFCR_RFEN | RFCR_AAB | RFCR_AAU);
  wr(RXCFG, RXCFG_STRIPCRC);
  wr(RXDP, (u32)&rxd);
  wr(TXDP, (u32)&txd);
  irq_isr = 0;
  irq_count = 0;
  wr(IMR, ISR_RXOK | ISR_TXOK);
  wr(CR, CR_RXE | CR_TXE);
  for (u32 spin = 0; spin < 1000 && !(rxd.cmdsts & OWN); spin++) wait_irq(irq_count + 1);
  put_kv("tx cmdsts", txd.cmdsts);
  put_kv("rx cmdsts", rxd.cmdsts);
  put_kv("ring isr", irq_isr & (ISR_RXOK | ISR_TXOK));
  nl();
  put_kv("code after", call_buf());
  nl();
}

void test_main(void) {
  int slot = find_nic();
  if (slot < 0) {
    puts("no DP83820 on PCI bus 0\n");
    exit(1);
  }
  probe(slot);
  software_interrupt();
  arp_over_code();
}
