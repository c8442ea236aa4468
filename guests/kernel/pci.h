// PCI configuration registers the kernel uses.
#ifndef PCI_H
#define PCI_H

#include "types.h"

#define PCI_ID        0x00     // vendor (low 16 bits), device (high 16 bits)
#define PCI_COMMAND   0x04
#define PCI_BAR(n)    (0x10 + 4 * (n))
#define PCI_INTLINE   0x3C     // low byte: the PIC line firmware routed INTx to
#define PCI_CMD_MEMORY 0x2
#define PCI_CMD_MASTER 0x4
#define PCI_BAR_MEM_MASK 0xFFFFFFF0u

u32 pci_read(int slot, u32 reg);
void pci_write(int slot, u32 reg, u32 v);
int pci_find(u16 vendor, u16 device);
void pci_enable(int slot);

#endif
