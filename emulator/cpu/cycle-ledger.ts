// Where the CPU's cycles go: a ledger that splits the running cycle count into categories —
// guest kernel, guest user and wedge execution, hypervisor work by operation, device (port and
// MMIO) accesses, interrupt and exception entry, and idle — so that the categories always sum
// to the cycles that passed.
//
// Cheap on the hot path: execution is never charged per instruction. The CPU says which
// execution category runs (at block and interpreted-instruction starts, from CPL and whether the
// linear EIP lies in the wedge's or the guest kernel's image), and only when that category
// changes does the ledger settle: the cycles that passed since the last settle, minus what was
// charged to the other categories meanwhile (and minus idle), go to the category that was
// running. Everything that is not execution is charged where it is charged today, with its
// category. So the sum is exact by construction, whatever the granularity of the switches.
import { WIDE_COUNT } from '../clock.ts';

/** Execution categories (indices into `exec`). */
export const EXEC_KERNEL = 0;
export const EXEC_USER = 1;
export const EXEC_WEDGE = 2;

/** The idle count the machine's clock keeps (cycles skipped while halted). */
export interface IdleSource { idleCycles: number }

/** A window's (or the whole run's) cycles by category, JSON-ready. */
export interface CycleBreakdown {
  guest_kernel: number;
  guest_user: number;
  wedge: number;
  /** Hypervisor work by operation (the back-end names them: `hypercall mmu_update`, `ipc`, ...). */
  hypervisor: Record<string, number>;
  /** Port I/O and MMIO accesses, as the profile's port_io / mmio_read / mmio_write. */
  device: number;
  /** The hardware's interrupt entry (hw_interrupt_entry) per interrupt taken. */
  interrupt_entry: number;
  /** The hardware's exception entry (exception_entry) per exception raised. */
  exception_entry: number;
  /** Cycles the CPU was halted (hlt skipped to the next event). */
  idle: number;
  /** The cycles that passed (the clock's count): the categories sum to it. */
  total: number;
}

export class CycleLedger {
  /** Execution cycles: guest kernel, guest user, wedge. */
  readonly exec = [WIDE_COUNT, WIDE_COUNT, WIDE_COUNT];
  /** The execution category running now. */
  cur = EXEC_KERNEL;
  device = WIDE_COUNT;
  interruptEntry = WIDE_COUNT;
  exceptionEntry = WIDE_COUNT;
  /** Hypervisor cycles by operation. */
  readonly hypervisor = new Map<string, number>();
  /** What the hypervisor model is doing now: its charges go here unless they name another. */
  hypervisorOp = 'other';
  /** Where idle cycles are counted (the machine's clock); none for a bare CPU. */
  idle: IdleSource = { idleCycles: 0 };

  /** The wedge's image [lo, lo + size) and the guest kernel's, as linear addresses (size 0: none). */
  wedgeLo = 0;
  wedgeSize = 0;
  kernelLo = 0;
  kernelSize = 0;

  /** Sum of the non-execution, non-idle categories. */
  private charged = WIDE_COUNT;
  private mark = WIDE_COUNT;
  private chargedMark = WIDE_COUNT;
  private idleMark = WIDE_COUNT;
  private readonly start: number = WIDE_COUNT;

  /** `start`: the count now (a CPU builds its ledger before it sets its own count). The fields
   *  start as doubles (clock.ts WIDE_COUNT) and are set here. */
  constructor(private readonly time: { cycles: number }, start = time.cycles) {
    this.start = this.mark = start;
    this.exec.fill(0);
    this.device = this.interruptEntry = this.exceptionEntry = 0;
    this.charged = this.chargedMark = this.idleMark = 0;
  }

  /** Sets the images that tell wedge and guest kernel code apart (from their ELF program headers). */
  setRegions(r: { kernel?: readonly [number, number] | null; wedge?: readonly [number, number] | null }): void {
    if (r.kernel) { this.kernelLo = r.kernel[0] >>> 0; this.kernelSize = (r.kernel[1] - r.kernel[0]) >>> 0; }
    if (r.wedge) { this.wedgeLo = r.wedge[0] >>> 0; this.wedgeSize = (r.wedge[1] - r.wedge[0]) >>> 0; }
  }

  /** The execution category of code at linear address `lin` running at `cpl`. */
  categoryAt(lin: number, cpl: number): number {
    if (((lin - this.wedgeLo) >>> 0) < this.wedgeSize) return EXEC_WEDGE;
    if (((lin - this.kernelLo) >>> 0) < this.kernelSize) return EXEC_KERNEL;
    return cpl === 3 ? EXEC_USER : EXEC_KERNEL;
  }

  /** The running code changed category: settle what passed, then run `cat`. */
  enter(cat: number): void {
    this.settle();
    this.cur = cat;
  }

  /** Gives the cycles that passed since the last settle, less other charges and idle, to the running category. */
  settle(): void {
    const now = this.time.cycles, idle = this.idle.idleCycles;
    this.exec[this.cur]! += now - this.mark - (this.charged - this.chargedMark) - (idle - this.idleMark);
    this.mark = now;
    this.chargedMark = this.charged;
    this.idleMark = idle;
  }

  // Each charge records cycles the caller has added (or, negative, taken back) from the count.
  chargeDevice(n: number): void { this.device += n; this.charged += n; }
  chargeInterruptEntry(n: number): void { this.interruptEntry += n; this.charged += n; }
  chargeExceptionEntry(n: number): void { this.exceptionEntry += n; this.charged += n; }
  chargeHypervisor(n: number, op = this.hypervisorOp): void {
    this.hypervisor.set(op, (this.hypervisor.get(op) ?? 0) + n);
    this.charged += n;
  }

  /** The categories since the start of the run (settled now). */
  breakdown(): CycleBreakdown {
    this.settle();
    const hypervisor: Record<string, number> = {};
    for (const op of [...this.hypervisor.keys()].sort()) hypervisor[op] = this.hypervisor.get(op)!;
    const [k, u, w] = this.exec as [number, number, number];
    const idle = this.idle.idleCycles;
    return {
      guest_kernel: k, guest_user: u, wedge: w, hypervisor,
      device: this.device, interrupt_entry: this.interruptEntry, exception_entry: this.exceptionEntry, idle,
      total: this.time.cycles - this.start,
    };
  }
}

/** b - a, category by category (hypervisor operations absent in both left out); `total` is b's total minus a's. */
export function breakdownDelta(a: CycleBreakdown, b: CycleBreakdown): CycleBreakdown {
  const hypervisor: Record<string, number> = {};
  for (const op of [...new Set([...Object.keys(a.hypervisor), ...Object.keys(b.hypervisor)])].sort()) {
    const d = (b.hypervisor[op] ?? 0) - (a.hypervisor[op] ?? 0);
    if (d !== 0) hypervisor[op] = d;
  }
  return {
    guest_kernel: b.guest_kernel - a.guest_kernel, guest_user: b.guest_user - a.guest_user, wedge: b.wedge - a.wedge, hypervisor,
    device: b.device - a.device, interrupt_entry: b.interrupt_entry - a.interrupt_entry, exception_entry: b.exception_entry - a.exception_entry,
    idle: b.idle - a.idle, total: b.total - a.total,
  };
}

/** The sum of a breakdown's categories (what `total` must equal). */
export function breakdownSum(c: CycleBreakdown): number {
  let n = c.guest_kernel + c.guest_user + c.wedge + c.device + c.interrupt_entry + c.exception_entry + c.idle;
  for (const v of Object.values(c.hypervisor)) n += v;
  return n;
}
