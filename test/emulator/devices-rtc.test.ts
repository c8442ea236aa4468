// The CMOS RTC at 0x70/0x71 against QEMU's mc146818 with the same fixed start
// (-rtc base=2006-01-01T00:00:00,clock=vm): a tiny kernel reads the status registers, the date,
// battery-backed RAM and a time it set itself, on both machines, and must print the same bytes.
// The seconds register is left out: QEMU's virtual clock also runs through its firmware's boot,
// which takes about a second before the kernel starts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runKernel } from '../../emulator/run.ts';
import { tinyKernel } from './support/tiny-kernel.ts';
import { qemuAvailable, runOnQemu } from './support/qemu.ts';
import { Machine } from '../../emulator/machine.ts';
import { loadProfile, DEFAULT_PROFILE } from '../../emulator/profiles/load.ts';
import { RTC_EPOCH } from '../../emulator/devices/rtc.ts';

const RTC_ARGS = ['-rtc', 'base=2006-01-01T00:00:00,clock=vm'];

// `reg N`: select CMOS register N (NMI masked, as Linux does) and print its value.
const reg = (n: number, mask = 0xff) => `movb $0x${(n | 0x80).toString(16)}, %al; outb %al, $0x70; inb $0x71, %al; andb $0x${mask.toString(16)}, %al; call hex8; movb $0x20, %al; call putc;`;
const put = (n: number, v: number) => `movb $0x${(n | 0x80).toString(16)}, %al; outb %al, $0x70; movb $0x${v.toString(16)}, %al; outb %al, $0x71;`;

test('RTC registers, date and CMOS RAM read as on QEMU with the same start', () => {
  assert.ok(qemuAvailable(), 'qemu-system-i386 is needed for this test (scripts/setup.sh installs it)');
  const elf = tinyKernel(`
main:
  ${reg(0x0a, 0x7f)}   /* register A without UIP */
  ${reg(0x0b)} ${reg(0x0d)}
  ${reg(0x02)} ${reg(0x04)} ${reg(0x06)} ${reg(0x07)} ${reg(0x08)} ${reg(0x09)} ${reg(0x32)}
  ${put(0x40, 0x5a)} ${reg(0x40)}
  ${put(0x0b, 0x82)} ${put(0x04, 0x13)} ${put(0x02, 0x45)} ${put(0x07, 0x28)} ${put(0x08, 0x02)} ${put(0x0b, 0x02)}
  ${reg(0x02)} ${reg(0x04)} ${reg(0x06)} ${reg(0x07)} ${reg(0x08)}
  ${put(0x0b, 0x06)} ${reg(0x04)} ${reg(0x07)} ${reg(0x09)}
  movb $0x0a, %al; call putc
  movb $0, %al; jmp exit
`);
  const q = runOnQemu(elf, '64', RTC_ARGS);
  const w = runKernel({ elf, mem: 64 << 20, maxInstructions: 10_000_000 });
  const out = Buffer.from(w.serialOutput).toString('latin1');
  assert.ok(q.serial.length > 0, 'QEMU printed something');
  assert.is(out, q.serial);
  assert.is(w.exitCode, 0, w.reason);
});

test('the clock advances with guest time from its fixed start, never from the host clock', () => {
  const profile = loadProfile(DEFAULT_PROFILE);
  const m = new Machine({ memBytes: 4 << 20, profile });
  assert.is(m.rtc.seconds(), RTC_EPOCH);
  m.clock.idleUntil(Math.round(profile.cpuMhz * 1e6 * 61.5));
  assert.is(m.rtc.seconds(), RTC_EPOCH + 61);
});

test.run();
