// Virtual and physical memory layout: where the kernel lives, where user space ends.
#ifndef MEMLAYOUT_H
#define MEMLAYOUT_H

#define KERNBASE    0xC0000000u        // kernel virtual base (like Linux's PAGE_OFFSET)
#define KERNLINK    (KERNBASE + 0x100000u) // kernel linked here, loaded at 1 MiB
#define DIRECTMAP_MAX (256u << 20)     // physical memory mapped at KERNBASE (at most)

#define KMAP_BASE   0xF0000000u        // kernel mapping window: device registers, big buffers
#define KMAP_TOP    0xF0800000u        // (8 MiB, page tables made at boot)

#define PGSIZE      4096u
#define PGROUNDUP(a)   (((u32)(a) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) ((u32)(a) & ~(PGSIZE - 1))

#define USERBASE    0x08048000u        // user programs are linked here
#define USERTOP     KERNBASE           // first address user space may not touch
#define USTACK_PAGES 4                 // user stack: the pages just below USERTOP

#define KSTACKSIZE  PGSIZE             // one page of kernel stack per process

#define V2P(a) ((u32)(a) - KERNBASE)
#define P2V(a) ((void *)((u32)(a) + KERNBASE))

// Page directory / table entry bits.
#define PTE_P  0x001
#define PTE_W  0x002
#define PTE_U  0x004
#define PTE_PWT 0x008                  // write-through
#define PTE_PCD 0x010                  // cache disabled (device registers)
#define PTE_G  0x100                   // global: survives CR3 loads while CR4.PGE is set
#define PTE_ADDR(e) ((u32)(e) & ~0xFFFu)
#define PDX(va) (((u32)(va) >> 22) & 0x3FF)
#define PTX(va) (((u32)(va) >> 12) & 0x3FF)
#define KERN_PDX PDX(KERNBASE)         // first page-directory slot of the kernel

#endif
