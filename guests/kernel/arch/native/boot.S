// Native boot entry: the Multiboot v1 header and the first instructions. The loader jumps to
// _start_phys with paging off, EAX = Multiboot magic and EBX = physical address of the info
// structure. We clear the BSS, build a boot page directory that maps the first 4 MiB both at
// 0 (so the next instruction still runs) and at KERNBASE, turn paging on, jump to the high
// addresses and call main(magic, info). vm.c replaces these tables with the real ones.
#include "archdefs.h"

#define KERNBASE 0xC0000000
#define PHYS(x) ((x) - KERNBASE)

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003      // page-align modules, provide the memory map

#define CR0_PG 0x80000000
#define CR0_WP 0x00010000
#define PTE_P_W 0x003

.section .multiboot, "a"
.balign 4
  .long MB_MAGIC
  .long MB_FLAGS
  .long -(MB_MAGIC + MB_FLAGS)

.text
.globl _start
.globl _start_phys
.set _start_phys, PHYS(_start)
_start:
  cld
  movl %eax, %esi                 // keep the magic; EBX (info pointer) is left untouched

  // Zero the BSS (the boot page table lives there).
  movl $PHYS(edata), %edi
  movl $PHYS(end), %ecx
  subl %edi, %ecx
  shrl $2, %ecx
  xorl %eax, %eax
  rep stosl

  // boot_pt maps physical 0..4 MiB, 4 KiB pages, present + writable.
  movl $PHYS(boot_pt), %edi
  movl $(PTE_P_W), %eax
1:
  movl %eax, (%edi)
  addl $4, %edi
  addl $4096, %eax
  cmpl $(4 << 20), %eax
  jb 1b

  // The same table at directory slot 0 (identity) and slot 768 (KERNBASE).
  movl $PHYS(boot_pgdir), %edi
  movl $(PHYS(boot_pt) + PTE_P_W), %eax
  movl %eax, (%edi)
  movl %eax, (768 * 4)(%edi)

  movl %edi, %cr3
  movl %cr0, %eax
  orl $(CR0_PG | CR0_WP), %eax
  movl %eax, %cr0

  movl $high, %eax
  jmp *%eax
high:
  movl $boot_stack_top, %esp
  xorl %eax, %eax
  movl %eax, %ebp                 // end of frame chain
  pushl %ebx
  pushl %esi
  call main
2:
  cli
  hlt
  jmp 2b

.bss
.balign 4096
.globl boot_pgdir
boot_pgdir:
  .space 4096
boot_pt:
  .space 4096
.globl boot_stack
boot_stack:
  .space 4096
boot_stack_top:
