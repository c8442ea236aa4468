// The virtual CPU both trap-and-emulate monitors keep for an unmodified guest kernel (Xen's,
// xen/trap-emulate.ts, and the L4 monitor, l4/trap-emulate.ts): virtual IF, CR0/2/3/4, GDTR,
// IDTR, TR, MSRs and debug registers, and the emulation of the privileged instructions whose
// meaning is the same under both: the descriptor-table and control-register moves, lmsw, clts,
// invlpg, the MSR and debug-register moves, wbinvd and `in`. What differs between the monitors
// is what each supplies: how guest memory is read, where CR2 lives, what a CR0, CR3 or CR4 load,
// an invlpg or a GDT or TR load does to the real CPU, and how an unmodelled instruction stops
// the guest.
import type { Cpu } from '../cpu/cpu.ts';
import { hex } from '../hex.ts';
import { decode, type Insn } from '../cpu/decode.ts';
import { ud, ioPort } from '../cpu/execute-system.ts';
import { CS } from '../cpu/segments.ts';
import { EAX, ECX, EDX } from '../cpu/flags.ts';
import { CR0_PE, CR0_ET, CR0_TS } from '../cpu/mmu.ts';
import { VirtualMsrs } from './virtual-msrs.ts';
import { TrapCounters } from './trap-counters.ts';

/** Linux's `reservetop=` for a hypervisor whose area starts at `start`: the size above it, in MiB. */
export function linuxReserveTop(start: number): string {
  return `reservetop=${(0x100000000 - start) / (1 << 20)}M`;
}

export abstract class VirtualCpu {
  protected vif = false;
  protected vcr0 = CR0_PE | CR0_ET;
  protected vcr3 = 0;
  protected vcr4 = 0;
  protected vgdt = { base: 0, limit: 0 };
  protected vidt = { base: 0, limit: 0x3ff };
  protected vtr = 0;
  protected readonly counters = new TrapCounters();
  protected readonly msrs: VirtualMsrs;

  constructor(protected readonly cpu: Cpu) {
    this.msrs = new VirtualMsrs(cpu);
  }

  /** The guest's CR2: on the real CPU (Xen) or the monitor's (L4). */
  protected abstract vcr2: number;
  /** Guest memory at a guest-linear address, as the guest's privileged instructions read it. */
  protected abstract read8(lin: number): number;
  protected abstract read16(lin: number): number;
  protected abstract read32(lin: number): number;
  protected abstract portIn(port: number, size: number): number;
  protected abstract writeCr0(v: number): void;
  /** After mov %cr3 (vcr3 set, the switch counted): what the real CPU's paging must follow. */
  protected abstract cr3Loaded(): void;
  /** After mov %cr4 (vcr4 set). */
  protected abstract cr4Loaded(): void;
  /** invlpg of guest-linear `lin`. */
  protected abstract invlpg(lin: number): void;
  /** The guest does what the model leaves out: the run stops, naming it. */
  protected abstract unmodelled(what: string): never;
  /** After lgdt or ltr: a monitor that shadows the guest's GDT refreshes it. */
  protected descriptorsLoaded(): void {}
  /** After clts (vcr0's TS cleared): a monitor that runs the guest on the real CR0 clears it there. */
  protected tsCleared(): void {}

  protected count(name: string): void {
    this.counters.emulate(name);
  }

  /** The instruction at guest-linear `start`; null when its bytes do not decode. */
  protected decodeAt(start: number): Insn | null {
    try {
      return decode({ byte: (n) => this.read8(start + n) }, true, this.cpu.costs, ud);
    } catch {
      return null;
    }
  }

  /** The faulting instruction, at CS:EIP. */
  protected decodeAtEip(): Insn | null {
    return this.decodeAt((this.cpu.segBase[CS]! + this.cpu.eip) | 0);
  }

  /** The guest-linear address of `i`'s memory operand. */
  protected linear(i: Insn): number {
    return (this.cpu.segBase[i.seg]! + this.cpu.ea(i)) | 0;
  }

  /** `i`'s r/m operand, register or memory, at its operand size (16 or 32 bits). */
  protected readRM(i: Insn): number {
    return i.mod === 3 ? this.cpu.r[i.rm]! : i.os === 2 ? this.read16(this.linear(i)) : this.read32(this.linear(i));
  }

  /**
   * Emulates `i` with ring-0 semantics if it is one of the instructions above; false when it is
   * not, or when it is refused (the caller reflects the #GP). EIP is the caller's to advance.
   */
  protected emulateVirtualCpu(i: Insn): boolean {
    const cpu = this.cpu;
    switch (i.op) {
      case 0xe4: case 0xe5: case 0xec: case 0xed:
        this.count('in');
        cpu.setReg(i.os, EAX, this.portIn(ioPort(cpu, i), i.os));
        return true;
      case 0x101:
        if (i.reg === 2 || i.reg === 3) {
          const at = this.linear(i);
          const limit = this.read16(at), base = this.read32(at + 2);
          if (i.reg === 2) { this.count('lgdt'); this.vgdt = { base, limit }; this.descriptorsLoaded(); }
          else { this.count('lidt'); this.vidt = { base, limit }; }
        } else if (i.reg === 7) {
          this.count('invlpg');
          this.invlpg(this.linear(i));
        } else if (i.reg === 6) {
          this.count('lmsw');
          this.writeCr0((this.vcr0 & ~0xf) | (this.readRM(i) & 0xf));
        } else return false;
        return true;
      case 0x100:
        if (i.reg === 3) { this.count('ltr'); this.vtr = this.readRM(i) & 0xffff; this.descriptorsLoaded(); }
        else if (i.reg === 2) { this.count('lldt'); if (this.readRM(i) & 0xfffc) this.unmodelled(`lldt at eip ${hex(cpu.eip)}: LDTs are not modelled under trap-and-emulate`); }
        else return false;
        return true;
      case 0x120: { // mov r32, crN
        const n = i.reg;
        this.count(`mov_from_cr${n}`);
        cpu.r[i.rm] = n === 0 ? this.vcr0 : n === 2 ? this.vcr2 : n === 3 ? this.vcr3 : this.vcr4;
        return true;
      }
      case 0x122: { // mov crN, r32
        const n = i.reg, v = cpu.r[i.rm]!;
        this.count(`mov_to_cr${n}`);
        if (n === 0) this.writeCr0(v);
        else if (n === 2) this.vcr2 = v;
        else if (n === 3) { this.vcr3 = v & ~0xfff; this.counters.switches++; this.cr3Loaded(); }
        else if (n === 4) { this.vcr4 = v; this.cr4Loaded(); }
        else return false;
        return true;
      }
      case 0x106: this.count('clts'); this.vcr0 &= ~CR0_TS; this.tsCleared(); return true;
      // The debug registers are virtual (the real ones are the monitor's).
      case 0x121: this.count('mov_from_dr'); cpu.r[i.rm] = this.msrs.readDr(i.reg); return true;
      case 0x123: this.count('mov_to_dr'); this.msrs.writeDr(i.reg, cpu.r[i.rm]!); return true;
      case 0x132: { // rdmsr
        const v = this.msrs.read(cpu.r[ECX]! >>> 0);
        if (!v) return false;
        this.count('rdmsr');
        cpu.r[EAX] = v[0]; cpu.r[EDX] = v[1];
        return true;
      }
      case 0x130: // wrmsr
        if (!this.msrs.write(cpu.r[ECX]! >>> 0, cpu.r[EAX]! >>> 0, cpu.r[EDX]! >>> 0)) return false;
        this.count('wrmsr');
        return true;
      case 0x108: case 0x109: this.count('wbinvd'); return true;
      default: return false;
    }
  }
}
