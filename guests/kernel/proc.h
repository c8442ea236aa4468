// The process: one user address space, one kernel stack, one thread of control.
#ifndef PROC_H
#define PROC_H

#include "types.h"

#define NPROC 16

enum procstate { UNUSED, EMBRYO, RUNNABLE, RUNNING, SLEEPING, WAITING, BLOCKED, ZOMBIE };

struct proc {
  enum procstate state;
  int pid;
  char name[16];
  u32 *pgdir;              // page directory (kernel half shared with every process)
  u8 *kstack;              // bottom of the kernel stack page
  struct context *context; // saved registers while switched out
  struct proc *parent;
  u32 wake_tick;           // SLEEPING: the tick to wake at
  int waiting_for;         // WAITING: child pid, or -1 for any
  const void *chan;        // BLOCKED: what it waits for (sched_block / sched_wake)
  int timed;               // BLOCKED: wake_tick also ends the wait
  int exit_status;
  int slice;               // ticks left in the current time slice
  u16 fs, gs;              // segment registers saved across switches (Linux thread.fs/gs)
  u32 nsyscalls, npreempt, nswitch, nticks; // counters printed at exit
};

extern struct proc procs[NPROC];

#endif
