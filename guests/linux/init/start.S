// The process entry and the system-call stub. The kernel starts /init with argc, argv[] and envp[]
// on the stack; main gets them as written. sys6 passes up to six arguments in the registers Linux's
// int $0x80 takes (EBP included, which the C calling convention asks us to keep).
	.text
	.globl _start
_start:
	xorl %ebp, %ebp
	movl %esp, %eax
	leal 4(%eax), %ecx          // argv
	movl (%eax), %edx           // argc
	leal 8(%eax,%edx,4), %eax   // envp: after argv's NULL
	andl $-16, %esp
	subl $4, %esp
	pushl %eax
	pushl %ecx
	pushl %edx
	call main
	pushl %eax
	call finish

	.globl sys6
sys6:
	pushl %ebp
	pushl %edi
	pushl %esi
	pushl %ebx
	movl 20(%esp), %eax
	movl 24(%esp), %ebx
	movl 28(%esp), %ecx
	movl 32(%esp), %edx
	movl 36(%esp), %esi
	movl 40(%esp), %edi
	movl 44(%esp), %ebp
	int $0x80
	popl %ebx
	popl %esi
	popl %edi
	popl %ebp
	ret

	.section .note.GNU-stack,"",@progbits
