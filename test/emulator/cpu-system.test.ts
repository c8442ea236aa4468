// Privileged and sensitive behaviour the Intel manual specifies exactly, checked on small programs
// assembled by GNU as: popf/cli/sti by CPL and IOPL, the TSS I/O bitmap, the per-CPL sensitive
// counters, paging accessed/dirty bits and #PF error codes, the TLB counters, rdtsc against the
// cycle clock, self-modifying code through compiled blocks, triple fault, the hypervisor hook, and
// run-to-run determinism.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Cpu } from '../../emulator/cpu/cpu.ts';
import { TestBus, noInterrupts, unitCosts, buildRings, enterRing, assemble, STACK_TOP, PD, IDT } from './cpu-harness.ts';

const CODE = 0x10000;
const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESI = 6, EDI = 7;

function setup(source: string, cpl: number, opts: { paging?: boolean; eflags?: number } = {}): { cpu: Cpu; bus: TestBus } {
  const bus = new TestBus(4 << 20);
  bus.ram.set(assemble(source, CODE), CODE);
  const cpu = new Cpu(bus, noInterrupts, unitCosts());
  buildRings(cpu, bus.ram, opts.paging ?? false);
  enterRing(cpu, cpl, CODE, opts.eflags ?? 0x202);
  return { cpu, bus };
}
/** Runs until the program reaches `ud2` (#UD, vector 6) or hlt; returns the stop reason. */
function runToEnd(cpu: Cpu, max = 100_000): string {
  let stop = '';
  cpu.onTrap = (vector) => {
    if (vector === 6) { stop = 'ud2'; cpu.halted = true; return true; }
    return false;
  };
  const r = cpu.run(Infinity, max);
  return stop || r;
}

test('popf at CPL 3 with IOPL 0 leaves IF and IOPL unchanged and does not fault', () => {
  const { cpu } = setup('pushf\npop %eax\nand $~0x200, %eax\npush %eax\npopf\npushf\npop %ebx\npush $0x3000\npopf\npushf\npop %ecx\nud2', 3, { eflags: 0x202 });
  assert.is(runToEnd(cpu), 'ud2');
  assert.is(cpu.r[EBX]! & 0x200, 0x200, 'IF still set after popf cleared it in the image');
  assert.is(cpu.r[ECX]! & 0x3000, 0, 'IOPL unchanged');
  assert.is(cpu.stats.exceptions[13], undefined, 'no #GP');
  assert.equal(cpu.stats.sensitive.popf, [0, 0, 0, 2]);
  assert.equal(cpu.stats.sensitive.pushf, [0, 0, 0, 3]);
});

test('popf at CPL 0 changes IF and IOPL; at CPL 1 with IOPL 1 changes IF but not IOPL', () => {
  const a = setup('push $0x3002\npopf\npushf\npop %ebx\nud2', 0, { eflags: 0x202 });
  assert.is(runToEnd(a.cpu), 'ud2');
  assert.is(a.cpu.r[EBX]! & 0x3200, 0x3000);
  const b = setup('push $0x0002\npopf\npushf\npop %ebx\nud2', 1, { eflags: 0x1202 });
  assert.is(runToEnd(b.cpu), 'ud2');
  assert.is(b.cpu.r[EBX]! & 0x3200, 0x1000, 'IF cleared, IOPL kept at 1');
});

test('cli and sti fault with #GP(0) at CPL > IOPL and are counted by CPL', () => {
  const { cpu } = setup('cli\nsti\nud2', 3, { eflags: 0x202 });
  const faults: [number, number | undefined][] = [];
  cpu.onTrap = (v, code) => {
    if (v === 6) { cpu.halted = true; return true; }
    faults.push([v, code]);
    cpu.eip = (cpu.eip + 1) | 0; // skip the one-byte instruction
    return true;
  };
  cpu.run(Infinity, 100);
  assert.equal(faults, [[13, 0], [13, 0]]);
  assert.equal(cpu.stats.sensitive.cli, [0, 0, 0, 1]);
  assert.equal(cpu.stats.sensitive.sti, [0, 0, 0, 1]);
  assert.is(cpu.getEflags() & 0x200, 0x200);
});

test('in/out at CPL 3 follow the TSS I/O bitmap', () => {
  const { cpu, bus } = setup('mov $0x12, %al\nout %al, $0x80\nout %al, $0x81\nud2', 3, { eflags: 0x202 });
  let gp = 0;
  cpu.onTrap = (v, code) => {
    if (v === 6) { cpu.halted = true; return true; }
    if (v === 13 && code === 0) { gp++; cpu.eip = (cpu.eip + 2) | 0; return true; }
    return false;
  };
  cpu.run(Infinity, 100);
  assert.equal(bus.portWrites, [{ port: 0x80, size: 1, value: 0x12 }]);
  assert.is(gp, 1);
  assert.equal(cpu.stats.sensitive.out, [0, 0, 0, 2]);
});

test('int $0x80 from ring 3 switches to the TSS ring-0 stack and iret returns', () => {
  const { cpu, bus } = setup('mov $5, %eax\nint $0x80\nud2', 3);
  // Replace vector 0x80's stub with a handler: record ESP and the frame, then iret.
  const handler = assemble('mov %esp, %esi\nmov 4(%esp), %ebx\nmov 12(%esp), %ecx\nmov 16(%esp), %edx\niret', 0x6000);
  bus.ram.set(handler, 0x6000);
  const dv = new DataView(bus.ram.buffer);
  dv.setUint32(IDT + 8 * 0x80, (0x08 << 16) | 0x6000, true);
  dv.setUint32(IDT + 8 * 0x80 + 4, 0xef00, true); // trap gate, DPL 3
  assert.is(runToEnd(cpu), 'ud2');
  assert.is(cpu.r[ESI], STACK_TOP[0]! - 20, 'ring-0 frame of five dwords');
  assert.is(cpu.r[EBX], 0x3b, 'pushed CS is ring 3 code');
  assert.is(cpu.r[ECX], STACK_TOP[3], 'pushed ESP is the ring-3 stack');
  assert.is(cpu.r[EDX], 0x43, 'pushed SS is ring 3 data');
  assert.is(cpu.cpl, 3);
  assert.equal(cpu.stats.sensitive.int, [0, 0, 0, 1]);
  assert.equal(cpu.stats.sensitive.iret, [1, 0, 0, 0]);
});

test('paging: accessed and dirty bits, #PF error code and CR2, TLB counters and invlpg', () => {
  // Map page 0x400000 through a page table at 0x7000 (user, read-only), and 0x401000 not present.
  const src = `
    movl 0x400010, %eax
    movl %eax, 0x400020
    ud2`;
  const { cpu, bus } = setup(src, 3, { paging: true });
  const dv = new DataView(bus.ram.buffer);
  dv.setUint32(PD + 4, 0x7000 | 0x7, true);
  dv.setUint32(0x7000, 0x200000 | 0x5, true); // user, read-only, present, A=D=0
  dv.setUint32(0x200010, 0xcafef00d, true);
  let pf: [number | undefined, number] | null = null;
  cpu.onTrap = (v, code) => {
    if (v === 6) { cpu.halted = true; return true; }
    if (v === 14) { pf = [code, cpu.cr2 >>> 0]; cpu.eip = (cpu.eip + 5) | 0; return true; }
    return false;
  };
  cpu.run(Infinity, 100);
  assert.is(cpu.r[EAX]! >>> 0, 0xcafef00d);
  assert.equal(pf, [0x7, 0x400020], 'user write to a read-only page: P|W|U');
  assert.is(dv.getUint32(0x7000, true) & 0x60, 0x20, 'accessed set, dirty clear');
  assert.is(dv.getUint32(PD + 4, true) & 0x20, 0x20, 'PDE accessed');
  assert.ok(cpu.stats.tlbMisses >= 2, `misses ${cpu.stats.tlbMisses}`);
  const misses = cpu.stats.tlbMisses;
  // Now a writable mapping: the write sets D; invlpg forces a fresh walk.
  dv.setUint32(0x7000, 0x200000 | 0x7, true);
  cpu.invalidatePage(0x400000);
  const { cpu: cpu2, bus: bus2 } = setup('movl $1, 0x400020\ninvlpg 0x400000\nmovl 0x400020, %ebx\nud2', 0, { paging: true });
  const dv2 = new DataView(bus2.ram.buffer);
  dv2.setUint32(PD + 4, 0x7000 | 0x7, true);
  dv2.setUint32(0x7000, 0x200000 | 0x7, true);
  assert.is(runToEnd(cpu2), 'ud2');
  assert.is(dv2.getUint32(0x7000, true) & 0x60, 0x60, 'accessed and dirty set by the write');
  assert.is(cpu2.stats.tlbInvlpg, 1);
  assert.is(cpu2.r[EBX], 1);
  assert.ok(misses > 0 && cpu2.stats.tlbHits > 0);
});

test('rdtsc reads the cycle clock', () => {
  const { cpu } = setup('nop\nnop\nrdtsc\nud2', 0);
  cpu.run(Infinity, 3);
  // Unit costs: each instruction 1 cycle, rdtsc adds its own 1 before reading.
  assert.is(cpu.r[EAX], cpu.cycles);
  assert.is(cpu.r[EDX], 0);
  assert.equal(cpu.stats.sensitive.rdtsc, [1, 0, 0, 0]);
});

test('self-modifying code is seen at once, in interpreted and in compiled (hot) code', () => {
  // A loop whose add immediate is rewritten every iteration: the sum must use the new value each time.
  const src = `
    xor %ebx, %ebx
    mov $0, %ecx
  1:
    movb %cl, patch+2
    mov $0, %eax
  patch:
    add $0x7f, %eax
    add %eax, %ebx
    inc %ecx
    cmp $100, %ecx
    jne 1b
    ud2`;
  const { cpu } = setup(src, 0);
  cpu.codegenAfter = 1; // the loop's blocks reach their generated code
  assert.is(runToEnd(cpu), 'ud2');
  // patch+2 is the imm8 of "add $imm8, %eax" (83 c0 ib): values 0..99 mod 256, sign-extended.
  let want = 0;
  for (let k = 0; k < 100; k++) want += (k << 24) >> 24;
  assert.is(cpu.r[EBX], want);
  assert.ok(cpu.stats.codeInvalidations >= 99, `invalidations ${cpu.stats.codeInvalidations}`);
});

test('a page whose decoded code is all overwritten holds data again, and is caught again once it holds code', () => {
  // sub (alone in its page) runs, then both of its instructions are overwritten with new code:
  // the page holds no decoded instruction, so it is data again. Run again, it is code again, and
  // a write to its immediate must be seen by the next call.
  const src = `
    call sub
    mov %eax, %ebx
    movl $0x000002b8, sub
    movw $0xc300, sub+4
    hlt
    call sub
    mov %eax, %esi
    movb $3, sub+1
    call sub
    mov %eax, %edi
    ud2
    .balign 4096
  sub:
    mov $1, %eax
    ret`;
  const { cpu } = setup(src, 0);
  const subPage = (CODE + 0x1000) >>> 12;
  assert.is(cpu.run(Infinity, 100), 'halt');
  assert.is(cpu.codePage[subPage], 0, 'the overwritten page is still marked as holding code');
  cpu.halted = false;
  assert.is(runToEnd(cpu), 'ud2');
  assert.is(cpu.codePage[subPage], 1);
  assert.equal([cpu.r[EBX], cpu.r[ESI], cpu.r[EDI]], [1, 2, 3]);
});

test('a compiled block that writes to its own later instruction stops right after the write', () => {
  // The loop runs 150 times unchanged and is compiled (a block that runs its own loop); in pass
  // 150 cmove points the store at the add's immediate, which the same pass must then run with:
  // 150 x 127 + 50 x 5. The first 150 stores go to a data page.
  const src = `
    xor %ebx, %ebx
    mov $0, %ecx
    mov $patch+2, %edi
  1:
    mov $0x20000, %esi
    cmp $150, %ecx
    cmove %edi, %esi
    movb $5, (%esi)
    mov $0, %eax
  patch:
    add $0x7f, %eax
    add %eax, %ebx
    inc %ecx
    cmp $200, %ecx
    jne 1b
    ud2`;
  const { cpu } = setup(src, 0);
  assert.is(runToEnd(cpu), 'ud2');
  assert.is(cpu.r[EBX], 150 * 127 + 50 * 5);
  // Three instructions, then 200 passes of ten; ud2 faults and is not retired.
  assert.is(cpu.stats.instructions, 3 + 200 * 10);
});

/**
 * The guest's checksum loop over a frame's payload (2 bytes past a dword): 200 passes of two adcl
 * loads from 0x20d02; the loop gets its own function after 64 passes (a block that links to
 * itself), and pass 95 reads the dword at 0x20ffe, which crosses into the next page.
 */
const ADC_LOOP = `
    mov $0x20d02, %esi
    mov $200, %ecx
    xor %eax, %eax
    clc
  1:
    adcl 0(%esi), %eax
    adcl 4(%esi), %eax
    leal 8(%esi), %esi
    decl %ecx
    jnz 1b
    adcl $0, %eax
    ud2`;

test('a compiled loop sums unaligned dwords with adc, one of them across a page, as the bytes say', () => {
  const { cpu, bus } = setup(ADC_LOOP, 0);
  let x = 0x1234567;
  for (let a = 0x20d02; a < 0x20d02 + 1600; a++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; bus.ram[a] = x & 0xff; }
  let sum = 0, carry = 0;
  for (let a = 0x20d02; a < 0x20d02 + 1600; a += 4) {
    const d = bus.ram[a]! + bus.ram[a + 1]! * 0x100 + bus.ram[a + 2]! * 0x10000 + bus.ram[a + 3]! * 0x1000000;
    const t = sum + d + carry;
    carry = t >= 2 ** 32 ? 1 : 0;
    sum = t % 2 ** 32;
  }
  sum = (sum + carry) % 2 ** 32;
  assert.is(runToEnd(cpu), 'ud2');
  assert.is(cpu.r[EAX]! >>> 0, sum);
  assert.is(cpu.stats.instructions, 4 + 200 * 5 + 1);
});

test('the same loop over lines a device wrote by DMA charges each cold line once, whatever tier reads it', () => {
  // The buffer and the rest of its second page are written by DMA first, so that page stays
  // cache-cold while the compiled loop reads its warmed lines. Against the same run without the
  // DMA: the same sum and TLB hits, and one memory access more per line the reads touch.
  const run = (dma: boolean): Cpu => {
    const { cpu, bus } = setup(ADC_LOOP, 0);
    for (let a = 0x20d02; a < 0x20d02 + 1600; a++) bus.ram[a] = (a * 131) & 0xff;
    if (dma) cpu.dmaWritten(0x20d00, 0x1000);
    assert.is(runToEnd(cpu), 'ud2');
    return cpu;
  };
  const warm = run(false), cold = run(true);
  const lines = ((0x20d02 + 1599) >>> 7) - (0x20d02 >>> 7) + 1;
  assert.is(cold.r[EAX], warm.r[EAX]);
  assert.is(cold.coldLineReads, lines);
  assert.is(cold.cycles - warm.cycles, lines * unitCosts().l2_miss_to_memory);
  assert.is(cold.stats.tlbHits, warm.stats.tlbHits);
});

test('no FPU: with CR0.EM and TS clear an x87 store leaves memory as it was (the 486SX probe); with EM set it faults #NM', () => {
  // Linux's FPU probe: fninit; fnstsw; fnstcw into words holding 0xffff. Nothing answers, so both stay.
  const probe = 'movl $0xffffffff, 0x20000\nfninit\nfnstsw 0x20000\nfnstcw 0x20002\nmovl 0x20000, %ebx\nud2';
  const a = setup(probe, 0);
  a.cpu.cr0 &= ~(0x4 | 0x8);
  assert.is(runToEnd(a.cpu), 'ud2');
  assert.is(a.cpu.r[EBX]! >>> 0, 0xffffffff);
  assert.is(a.cpu.stats.exceptions[7], undefined, 'no #NM');
  const b = setup(probe, 0);
  b.cpu.cr0 |= 0x4; // EM: the kernel's math emulator takes every escape
  let nm = 0;
  b.cpu.onTrap = (v) => {
    if (v === 6) { b.cpu.halted = true; return true; }
    if (v === 7) { nm++; b.cpu.halted = true; return true; }
    return false;
  };
  b.cpu.run(Infinity, 100);
  assert.is(nm, 1, '#NM at the first escape');
});

test('a fault with no usable IDT ends the run with a triple fault message and a register dump', () => {
  const { cpu } = setup('mov $0x1234, %esi\nud2', 0);
  cpu.idtLimit = 0;
  assert.is(cpu.run(Infinity, 100), 'shutdown');
  assert.match(cpu.shutdownReason, /^triple fault/);
  assert.match(cpu.shutdownReason, /esi=00001234/);
  assert.is(cpu.run(Infinity, 100), 'shutdown', 'stays shut down');
});

test('an unimplemented feature stops with a clear message naming the instruction address', () => {
  const { cpu } = setup('mov %cr0, %eax\nand $~1, %eax\nmov %eax, %cr0\nud2', 0);
  assert.is(cpu.run(Infinity, 100), 'shutdown');
  assert.match(cpu.shutdownReason, /real mode\) is not modelled, at 0008:00010006/);
});

test('the hook sees int $0x82 from ring 1 with EIP after the instruction and can emulate it', () => {
  const { cpu } = setup('mov $7, %ebx\nint $0x82\nmov %eax, %ecx\nud2', 1);
  const seen: [number, string, number][] = [];
  cpu.onTrap = (vector, _code, kind) => {
    if (vector === 6) { cpu.halted = true; return true; }
    seen.push([vector, kind, cpu.eip]);
    if (vector === 0x82) { cpu.r[EAX] = cpu.r[EBX]! * 6; return true; }
    return false;
  };
  cpu.run(Infinity, 100);
  assert.equal(seen, [[0x82, 'software', CODE + 7]]);
  assert.is(cpu.r[ECX], 42);
  assert.is(cpu.cpl, 1);
});

test('two runs of the same program give identical cycles and statistics', () => {
  const src = 'mov $200, %ecx\n1: push %ecx\nimul $3, %ecx, %eax\npop %ecx\nloop 1b\nrdtsc\nud2';
  const runs = [0, 1].map(() => {
    const { cpu } = setup(src, 0, { paging: true });
    runToEnd(cpu);
    return JSON.stringify({ c: cpu.cycles, s: cpu.stats, a: cpu.r[EAX] });
  });
  assert.is(runs[0], runs[1]);
});

test.run();
