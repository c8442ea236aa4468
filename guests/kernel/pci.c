// PCI configuration space through mechanism #1 (address at port 0xcf8, data at 0xcfc), bus 0
// only: enough to find a device by vendor and device ID, read its BARs and interrupt line and
// turn on memory decoding and bus mastering. The firmware (or the emulator standing in for
// it) has already assigned the BARs and routed the interrupt.
#include "defs.h"
#include "arch.h"
#include "pci.h"

#define PCI_ADDR 0xCF8
#define PCI_DATA 0xCFC

static u32 config_address(int slot, u32 reg)
{
  return 0x80000000u | ((u32)slot << 11) | (reg & 0xFC);
}

u32 pci_read(int slot, u32 reg)
{
  u32 flags = arch_irq_save();
  arch_outl(PCI_ADDR, config_address(slot, reg));
  u32 v = arch_inl(PCI_DATA);
  arch_irq_restore(flags);
  return v;
}

void pci_write(int slot, u32 reg, u32 v)
{
  u32 flags = arch_irq_save();
  arch_outl(PCI_ADDR, config_address(slot, reg));
  arch_outl(PCI_DATA, v);
  arch_irq_restore(flags);
}

// The slot holding vendor:device on bus 0, or -1.
int pci_find(u16 vendor, u16 device)
{
  for (int slot = 0; slot < 32; slot++) {
    u32 id = pci_read(slot, PCI_ID);
    if ((id & 0xFFFF) == vendor && (id >> 16) == device)
      return slot;
  }
  return -1;
}

// Let the function answer memory accesses and master the bus (DMA).
void pci_enable(int slot)
{
  u32 cmd = pci_read(slot, PCI_COMMAND);
  pci_write(slot, PCI_COMMAND, (cmd & 0xFFFF) | PCI_CMD_MEMORY | PCI_CMD_MASTER);
}
