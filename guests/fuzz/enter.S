// Entering a stream and leaving it from a trap handler. run_stream(r) saves the kernel's
// callee-saved registers and stack, loads the stream's registers and segments and irets into
// it (for a ring-0 stream, from the stream's own stack, so no stack switch is expected);
// stream_abort() abandons whatever frame it is called in and returns from run_stream.
#define R_EAX 0
#define R_ECX 4
#define R_EDX 8
#define R_EBX 12
#define R_ESP 16
#define R_EBP 20
#define R_ESI 24
#define R_EDI 28
#define R_EIP 32
#define R_CS 36
#define R_EFL 40
#define R_SS 44
#define R_DS 48
#define R_RING 52

  .text
  .globl run_stream
run_stream:
  pushfl
  pushl %ebp
  pushl %ebx
  pushl %esi
  pushl %edi
  movl %esp, saved_esp
  movl 24(%esp), %eax
  cmpl $0, R_RING(%eax)
  je 1f
  pushl R_SS(%eax)
  pushl R_ESP(%eax)
  pushl R_EFL(%eax)
  pushl R_CS(%eax)
  pushl R_EIP(%eax)
  jmp 2f
1:
  movl R_ESP(%eax), %ecx
  subl $12, %ecx
  movl R_EIP(%eax), %edx
  movl %edx, 0(%ecx)
  movl R_CS(%eax), %edx
  movl %edx, 4(%ecx)
  movl R_EFL(%eax), %edx
  movl %edx, 8(%ecx)
  movl %ecx, %esp
2:
  pushl R_EAX(%eax)
  pushl R_ECX(%eax)
  pushl R_EDX(%eax)
  pushl R_EBX(%eax)
  pushl $0
  pushl R_EBP(%eax)
  pushl R_ESI(%eax)
  pushl R_EDI(%eax)
  movl R_DS(%eax), %edx
  movl %edx, %ds
  movl %edx, %es
  movl %edx, %fs
  movl %edx, %gs
  popal
  iret

  .globl stream_abort
stream_abort:
  movl saved_esp, %esp
  movl $0x10, %eax
  movl %eax, %ds
  movl %eax, %es
  movl %eax, %fs
  movl %eax, %gs
  popl %edi
  popl %esi
  popl %ebx
  popl %ebp
  popfl
  ret

  .bss
  .balign 4
saved_esp:
  .long 0
  .section .note.GNU-stack, "", @progbits
