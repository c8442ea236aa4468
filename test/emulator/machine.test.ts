// The whole machine with the real CPU: exit through debug-exit, the ways a guest can stop
// otherwise, idle versus busy cycles across hlt, PIT interrupts on the cycle clock, statistics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runKernel } from '../../emulator/run.ts';
import { Machine } from '../../emulator/machine.ts';
import { PciDevice } from '../../emulator/devices/pci.ts';
import type { AccessSize } from '../../emulator/types.ts';
import { loadProfile } from '../../emulator/profiles/load.ts';
import { tinyKernel, picInit } from './support/tiny-kernel.ts';

const profile = loadProfile('p4-2.8ghz');
const text = (b: Uint8Array) => Buffer.from(b).toString();

test('serial output and the debug-exit value come back; nothing runs after the exit write', () => {
  const elf = tinyKernel(`
main:
  movl $msg, %esi
  call puts
  movb $7, %al
  outb %al, $0xf4
  movl $late, %esi
  call puts
  hlt
msg: .asciz "hello from the guest\\n"
late: .asciz "after exit\\n"
`);
  const r = runKernel({ elf, profile, mem: 16 << 20 });
  assert.is(r.exitCode, 7);
  assert.is(text(r.serialOutput), 'hello from the guest\n');
  assert.is(r.stats.stop.kind, 'exit');
  assert.is(r.stats.devices.serial_bytes, 'hello from the guest\n'.length);
});

test('hlt with interrupts disabled stops with a reason', () => {
  const elf = tinyKernel(`
main:
  cli
  hlt
`);
  const r = runKernel({ elf, profile, mem: 16 << 20 });
  assert.is(r.exitCode, null);
  assert.is(r.stop.kind, 'halted');
  assert.match(r.reason, /hlt with interrupts disabled/);
});

test('hlt with interrupts enabled and no device event scheduled stops with a reason', () => {
  const elf = tinyKernel(`
main:
${picInit(0xff)}
  sti
  hlt
`);
  const r = runKernel({ elf, profile, mem: 16 << 20 });
  assert.is(r.stop.kind, 'halted');
  assert.match(r.reason, /no interrupt pending and no device event/);
});

test('a triple fault stops the machine with a one-line reason and the register dump kept apart', () => {
  const elf = tinyKernel(`
main:
  lidt empty_idt
  ud2
  .section .data
empty_idt: .word 0; .long 0
  .section .text
`);
  const r = runKernel({ elf, profile, mem: 16 << 20 });
  assert.is(r.exitCode, null);
  assert.is(r.stop.kind, 'shutdown');
  assert.match(r.reason, /triple fault/i);
  assert.not.match(r.reason, /\n/);
  assert.is(r.stats.exceptions[6], 1, '#UD raised first');
});

test('the instruction budget stops a spinning guest after exactly that many instructions', () => {
  const elf = tinyKernel(`
main:
1: jmp 1b
`);
  const r = runKernel({ elf, profile, mem: 16 << 20, maxInstructions: 5000 });
  assert.is(r.stop.kind, 'budget');
  assert.is(r.stats.instructions, 5000);
});

test('PIT mode 2 + hlt: ten IRQ 0s, idle cycles skipped to each tick, busy + idle = total', () => {
  const count = 11932; // ~100 Hz
  const elf = tinyKernel(`
main:
${picInit(0xfe)}
  movb $0x34, %al; outb %al, $0x43
  movb $${count & 0xff}, %al; outb %al, $0x40
  movb $${count >> 8}, %al; outb %al, $0x40
  sti
1: hlt
  cmpl $10, ticks
  jb 1b
  cli
  movb $0, %al
  jmp exit
irq_entry:
  pushl %eax
  incl ticks
  movb $0x20, %al; outb %al, $0x20
  popl %eax
  iret
  .section .data
ticks: .long 0
  .section .text
`);
  const r = runKernel({ elf, profile, mem: 16 << 20 });
  assert.is(r.exitCode, 0, r.reason);
  assert.equal(r.stats.interrupts, { 0: 10 });
  const { total, busy, idle } = r.stats.cycles;
  assert.is(busy + idle, total);
  assert.ok(idle > busy * 10, `mostly idle: busy ${busy}, idle ${idle}`);
  // Ten periods of 11932 input clocks at 1.193182 MHz, measured on the 2.8 GHz cycle clock.
  const tenth = Math.ceil((10 * count * 2_800_000_000) / 1193182);
  assert.ok(total >= tenth && total < tenth + 100_000, `total ${total} vs 10 periods ${tenth}`);
});

test('rdtsc reads the cycle clock: four port reads between two rdtsc cost four port_io', () => {
  const elf = tinyKernel(`
main:
  rdtsc
  movl %eax, %ebx
  inb $0x80, %al
  inb $0x80, %al
  inb $0x80, %al
  inb $0x80, %al
  rdtsc
  subl %ebx, %eax
  outl %eax, $0xf4
`);
  const r = runKernel({ elf, profile, mem: 16 << 20 });
  const delta = r.exitCode!;
  const floor = 4 * profile.costs.port_io;
  assert.ok(delta >= floor && delta < floor + profile.costs.rdtsc + 200, `rdtsc delta ${delta}`);
  assert.is(r.stats.sensitive.in?.[0], 4);
});

test('a PCI device: BAR found through config space, MMIO from the CPU, DMA over code the CPU already ran', () => {
  // The guest runs \`patchme\` (returns 1 in %al), asks the device to DMA new code over it
  // (returning 9), runs it again and exits with what it returned: 9 only if the DMA write
  // dropped the decoded instructions.
  const elf = tinyKernel(`
main:
  movw $0xcf8, %dx; movl $0x80000814, %eax; outl %eax, %dx   /* 00:01.0 BAR1 */
  movw $0xcfc, %dx; inl %dx, %eax
  andl $0xfffffff0, %eax
  movl %eax, %edi
  call patchme
  movl (%edi), %ebx                 /* MMIO read: device id register */
  cmpl $0x600dcafe, %ebx
  jne 1f
  movl $patchme, 4(%edi)            /* MMIO write: DMA target; the device copies its code there */
  call patchme
  jmp exit
1: movb $0xbb, %al
  jmp exit
  .align 16
patchme:
  movb $1, %al
  ret
  nop; nop; nop; nop
`);
  const m = new Machine({ memBytes: 16 << 20, profile });
  const code = Uint8Array.of(0xb0, 0x09, 0xc3); // mov $9, %al; ret
  const regs = {
    mmioRead: (offset: number, _size: AccessSize) => (offset === 0 ? 0x600dcafe : 0),
    mmioWrite: (offset: number, _size: AccessSize, value: number) => {
      if (offset === 4) m.bus.dma.write(value, code, 0, code.length);
    },
  };
  const dev = new PciDevice('test-dev', { vendorId: 0x1234, deviceId: 0x5678, classCode: 0xff0000 }, [null, { kind: 'mem', size: 4096, registers: regs }]);
  const slot = m.pci.register(dev);
  assert.is(slot.slot, 1);
  m.boot(elf, 'k');
  const stop = m.run();
  assert.equal(stop, { kind: 'exit', value: 9 });
  assert.ok(m.cpu.stats.codeInvalidations > 0);
});

test.run();
