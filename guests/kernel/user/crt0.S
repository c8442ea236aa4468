// User program entry: the kernel leaves a pointer to the argument string at the stack
// pointer, so calling main passes it as main's only argument; main's result is the exit status.
.text
.globl _start
_start:
  call main
  pushl %eax
  call exit
1:
  jmp 1b
