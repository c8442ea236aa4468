// Builds tiny multiboot kernels from assembly for machine tests, with the host's GNU as and ld.
// Each kernel gets a multiboot header, a flat GDT (code 0x08, data 0x10), an IDT whose vectors
// 0x20-0x2f point at `irq_entry` (which the test's code defines or leaves to a default that only
// sends EOI), and helpers: `putc` (polled COM1) and `exit` (debug-exit port 0xf4, value in %al).
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

const prelude = `
  .section .text
  .align 4
  .long 0x1badb002, 0x3, -(0x1badb002 + 0x3)
  .globl _start
_start:
  cli
  lgdt gdt_ptr
  ljmp $0x08, $1f
1:
  movw $0x10, %ax
  movw %ax, %ds; movw %ax, %es; movw %ax, %ss; movw %ax, %fs; movw %ax, %gs
  movl $stack_top, %esp
  /* IDT: every vector to default_trap, 0x20-0x2f to irq_entry. */
  xorl %ecx, %ecx
2:
  movl $default_trap, %eax
  cmpl $0x20, %ecx; jb 3f
  cmpl $0x30, %ecx; jae 3f
  movl $irq_entry, %eax
3:
  movw %ax, idt(,%ecx,8)
  movw $0x08, idt+2(,%ecx,8)
  movw $0x8e00, idt+4(,%ecx,8)
  shrl $16, %eax
  movw %ax, idt+6(,%ecx,8)
  incl %ecx
  cmpl $256, %ecx; jb 2b
  lidt idt_ptr
  jmp main

/* putc: %al to COM1, polling LSR for THR empty. */
putc:
  pushl %edx; pushl %eax
  movw $0x3fd, %dx
4: inb %dx, %al; testb $0x20, %al; jz 4b
  popl %eax; movw $0x3f8, %dx; outb %al, %dx
  popl %edx
  ret
/* puts: NUL-terminated string at %esi. */
puts:
  lodsb; testb %al, %al; jz 5f; call putc; jmp puts
5: ret
/* hex8: %al as two hex digits. hex32: %eax as eight. */
hex8:
  pushl %eax; pushl %ecx
  movb %al, %cl
  shrb $4, %al; call hexdigit
  movb %cl, %al; andb $0xf, %al; call hexdigit
  popl %ecx; popl %eax
  ret
hexdigit:
  addb $0x30, %al; cmpb $0x39, %al; jbe 7f; addb $0x27, %al
7: jmp putc
hex32:
  roll $8, %eax; call hex8
  roll $8, %eax; call hex8
  roll $8, %eax; call hex8
  roll $8, %eax; call hex8
  ret
/* exit: debug-exit with %al. */
exit:
  outb %al, $0xf4
6: hlt; jmp 6b
default_trap:
  movb $0xee, %al
  jmp exit
`;

const data = `
  .section .data
  .align 8
gdt:
  .quad 0
  .quad 0x00cf9a000000ffff
  .quad 0x00cf92000000ffff
gdt_ptr: .word 23; .long gdt
idt_ptr: .word 256*8-1; .long idt
  .section .bss
  .align 8
idt: .skip 256*8
  .skip 4096
stack_top:
`;

/** Assembles `body` (which must define `main` and may define `irq_entry`) into a multiboot ELF. */
export function tinyKernel(body: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'world-tiny-'));
  try {
    const hasIrq = /^\s*irq_entry:/m.test(body);
    const defaultIrq = hasIrq ? '' : `
irq_entry:
  pushl %eax; movb $0x20, %al; outb %al, $0x20; popl %eax; iret
`;
    writeFileSync(join(dir, 'k.S'), prelude + body + defaultIrq + data);
    execFileSync('as', ['--32', '-o', join(dir, 'k.o'), join(dir, 'k.S')]);
    execFileSync('ld', ['-m', 'elf_i386', '-N', '-z', 'noexecstack', '-Ttext', '0x100000', '-e', '_start', '-o', join(dir, 'k.elf'), join(dir, 'k.o')]);
    return readFileSync(join(dir, 'k.elf'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The PIC initialisation a PC kernel does (master 0x20, slave 0x28), leaving only IRQs in `mask` clear. */
export const picInit = (masterMask: number) => `
  movb $0x11, %al; outb %al, $0x20; movb $0x20, %al; outb %al, $0x21
  movb $0x04, %al; outb %al, $0x21; movb $0x01, %al; outb %al, $0x21
  movb $0x11, %al; outb %al, $0xa0; movb $0x28, %al; outb %al, $0xa1
  movb $0x02, %al; outb %al, $0xa1; movb $0x01, %al; outb %al, $0xa1
  movb $${masterMask}, %al; outb %al, $0x21; movb $0xff, %al; outb %al, $0xa1
`;
