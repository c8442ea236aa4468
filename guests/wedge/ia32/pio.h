// The port instructions, for a back-end whose hypervisor lets the wedge's own in/out reach
// the ports it passes through (both do: Xen for the assigned devices' ports, σ0's I/O
// flexpages on L4).
#ifndef WEDGE_PIO_H
#define WEDGE_PIO_H

#include "types.h"

static inline u32 pio_in(u32 port, u32 size)
{
  u32 v = 0;
  if (size == 1)
    asm volatile("inb %w1, %b0" : "=a"(v) : "Nd"(port));
  else if (size == 2)
    asm volatile("inw %w1, %w0" : "=a"(v) : "Nd"(port));
  else
    asm volatile("inl %w1, %0" : "=a"(v) : "Nd"(port));
  return size == 1 ? v & 0xFF : size == 2 ? v & 0xFFFF : v;
}

static inline void pio_out(u32 port, u32 size, u32 v)
{
  if (size == 1)
    asm volatile("outb %b0, %w1" : : "a"(v), "Nd"(port));
  else if (size == 2)
    asm volatile("outw %w0, %w1" : : "a"(v), "Nd"(port));
  else
    asm volatile("outl %0, %w1" : : "a"(v), "Nd"(port));
}

#endif
