// Functions each kernel subsystem offers the others (one block per file).
#ifndef DEFS_H
#define DEFS_H

#include "types.h"

struct trapframe;
struct proc;

// console.c
void console_init(void);
void console_write(const char *s, u32 n);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

// uart.c
void uart_init(void);
void uart_putc(char c);
void uart_drain(void);

// string.c
void *memset(void *dst, int c, u32 n);
void *memcpy(void *dst, const void *src, u32 n);
int memcmp(const void *a, const void *b, u32 n);
u32 strlen(const char *s);
int strcmp(const char *a, const char *b);
void strlcpy(char *dst, const char *src, u32 size);

// pic.c
void pic_init(void);
void pic_mask_and_ack(int irq);
void pic_unmask(int irq);

// pit.c
void pit_init(void);

// trap.c
void irq_register(int irq, void (*handler)(void), int fast);
extern int irq_depth;

// syscall.c
void syscall(struct trapframe *tf);

// kalloc.c
void kalloc_add(u32 pa_start, u32 pa_end);
void *kalloc(void);
void kfree(void *page);
u32 kalloc_free_pages(void);

// vm.c
extern u32 *kpgdir;
void kvm_init(u32 memtop);
u32 *uvm_create(void);
int uvm_alloc(u32 *pgdir, u32 va, u32 size);
int uvm_copyout(u32 *pgdir, u32 va, const void *src, u32 n);
int uvm_check(u32 *pgdir, u32 va, u32 n, int write);
int uvm_copyin_str(u32 *pgdir, u32 va, char *dst, u32 max);
void uvm_unmap_user(u32 *pgdir, int live);
extern u32 tlb_flush_ceiling;
void uvm_free(u32 *pgdir);
void vm_switch(u32 *pgdir);
u32 *vm_loaded(void);
void *kvm_map_mmio(u32 pa, u32 size);
void *kvm_alloc(u32 size);

// elf.c
int elf_load(u32 *pgdir, const u8 *image, u32 size, u32 *entry);

// proc.c
void proc_init(void);
int proc_spawn(const char *name, const char *arg, struct proc *parent);
void proc_exit(int status) __attribute__((noreturn));
int proc_wait(int pid, int *status);

// sched.c
extern struct proc *current;
extern volatile int need_resched;
extern volatile u32 ticks;
extern u32 nr_switches;
extern u32 idle_ticks;
void sched_init(struct proc *idle);
int schedule(void);
void sched_sleep(u32 nticks);
void sched_wakeup(struct proc *p);
void sched_block(const void *chan);
void sched_wake(const void *chan);
void sched_block_until(const void *chan, u32 until);
u32 ms_to_ticks(u32 ms);
void timer_tick(void);
void cpu_idle(void) __attribute__((noreturn));

// main.c
void shutdown(int status) __attribute__((noreturn));

#endif
