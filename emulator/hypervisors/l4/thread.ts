// Thread control blocks: the register state of a thread that is not on the CPU, its UTCB, its
// pager and priority, and what it is blocked on. The kernel (l4.ts) moves state between a TCB and
// the CPU on a thread switch; everything else reads and writes registers through `Regs`.
import type { Cpu } from '../../cpu/cpu.ts';
import type { ClockEvent } from '../../clock.ts';
import type { Space } from './space.ts';

/**
 * ready: runnable (or running); sending: blocked in a send phase to `partner`; receiving: blocked
 * in a receive phase from `partner` (ANYTHREAD: any); dead: deleted.
 */
export type ThreadState = 'ready' | 'sending' | 'receiving' | 'dead';
export type FaultKind = 'pagefault' | 'exception' | 'startup' | null;

/** The full user register state: GPRs, EIP, EFLAGS and six segment caches. */
export class Regs {
  readonly r = new Int32Array(8);
  eip = 0;
  eflags = 0x202;
  readonly sel = new Int32Array(6);
  readonly base = new Int32Array(6);
  readonly limit = new Float64Array(6);
  readonly ar = new Int32Array(6);
  readonly valid = new Uint8Array(6);

  saveFrom(cpu: Cpu): void {
    this.r.set(cpu.r);
    this.eip = cpu.eip;
    this.eflags = cpu.getEflags();
    for (let s = 0; s < 6; s++) {
      this.sel[s] = cpu.sel[s]!; this.base[s] = cpu.segBase[s]!; this.limit[s] = cpu.segLimit[s]!;
      this.ar[s] = cpu.segAr[s]!; this.valid[s] = cpu.segValid[s]!;
    }
  }

  loadInto(cpu: Cpu): void {
    cpu.r.set(this.r);
    cpu.eip = this.eip;
    cpu.nextEip = this.eip;
    for (let s = 0; s < 6; s++) cpu.setSegCache(s, this.sel[s]!, this.base[s]!, this.limit[s]!, this.ar[s]!, this.valid[s] !== 0);
    cpu.flags = this.eflags;
    cpu.lazy = 0;
  }
}

export class Thread {
  state: ThreadState = 'ready';
  halted = false;
  /** The thread this one sends to or receives from (ANYTHREAD in an open receive). */
  partner = 0;
  /** After the send phase: receive from this thread (0: no receive phase); the timeout word. */
  thenFrom = 0;
  thenTimeout = 0;
  /** Set while the kernel's IPC for the thread (fault message, its reply, the start message) is pending. */
  fault: FaultKind = null;
  /** The message the kernel sends on the thread's behalf (page fault, exception). */
  kernelMsg: number[] | null = null;
  timeout: ClockEvent | null = null;
  pager = 0;
  priority: number;
  /** Order of becoming ready, for FIFO among equal priorities. */
  readySeq = 0;
  readonly regs = new Regs();

  constructor(readonly tid: number, public space: Space, readonly utcb: number, priority: number) {
    this.priority = priority;
  }

  get num(): number { return this.tid >>> 14; }
}
