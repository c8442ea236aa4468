// The physical page allocator: a free list of 4 KiB pages threaded through the pages
// themselves (reached through the direct map at KERNBASE). Interrupt-safe by irqsave.
#include "defs.h"
#include "arch.h"
#include "memlayout.h"

struct run { struct run *next; };

static struct run *freelist;
static u32 nfree;

void kfree(void *page)
{
  struct run *r = page;
  if ((u32)page % PGSIZE || (u32)page < KERNBASE)
    panic("kfree 0x%08x", (u32)page);
  u32 flags = arch_irq_save();
  r->next = freelist;
  freelist = r;
  nfree++;
  arch_irq_restore(flags);
}

// Hand every whole page of [pa_start, pa_end) to the allocator.
void kalloc_add(u32 pa_start, u32 pa_end)
{
  for (u32 pa = PGROUNDUP(pa_start); pa + PGSIZE <= pa_end; pa += PGSIZE)
    kfree(P2V(pa));
}

void *kalloc(void)
{
  u32 flags = arch_irq_save();
  struct run *r = freelist;
  if (r) {
    freelist = r->next;
    nfree--;
  }
  arch_irq_restore(flags);
  return r;
}

u32 kalloc_free_pages(void)
{
  return nfree;
}
