// The afterburnt Linux 6.1 vmlinux under the wedge on L4 (the `linux-afterburnt-l4` row): booted
// by the 32-bit boot protocol with its initramfs, it reaches /init, whose self-test must print
// exactly the lines native Linux prints on a PC (the oracle: QEMU running linux@native's bzImage
// and the same initramfs), and runs netperf both ways over its own ns83820 driver. Oracles
// independent of the guest: the peer checks every byte Linux sends at its offset and sends only
// the data pattern, which /init checks byte by byte (`check`); the same inputs give the same
// report; 1% loss is survived with every byte still verified.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { runKernel } from '../../emulator/run.ts';
import { runNetperf, type NetperfDirection, type NetperfRunResult } from '../../harness/workloads/netperf.ts';
import { sortKeys } from '../../emulator/json.ts';
import { lossTests } from '../linux/loss.ts';
import { buildWedge } from './build.ts';
import { linuxGuest, worldLinux } from '../linux/world-build.ts';
import { runLinuxOnQemu } from '../linux/qemu.ts';
import { SELFTEST_APPEND } from '../linux/selftest-append.ts';

const MiB = 2 ** 20;
const MEM = 64 * MiB;
const BAD = ['unchecked MSR access', 'Oops', 'Tainted', 'WARNING:', 'BUG:', 'Call Trace', 'Unable to read current time', 'general protection', 'Kernel panic'];

const linux = await worldLinux('afterburnt');
const vmlinux = readFileSync(linux.vmlinux!);
const initrd = readFileSync(linux.initrd!);
const wedgeBuild = await buildWedge('l4');
const wedge = readFileSync(wedgeBuild.elf);
const onL4 = { backend: 'l4' as const, wedge, wedgeName: 'wedge-l4.elf' };

const selftestLines = (serial: string): string[] => serial.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.startsWith('selftest: '));

test('the afterburnt vmlinux reaches /init under the L4 wedge and its self-test prints what native Linux prints on a PC (QEMU)', async () => {
  const r = runKernel({ elf: vmlinux, kernelName: 'vmlinux', mem: MEM, cmdline: SELFTEST_APPEND, initrd, maxInstructions: 3_000_000_000, ...onL4 });
  const serial = Buffer.from(r.serialOutput).toString('latin1');
  assert.is(r.backend.mode, 'pv-wedge');
  assert.is(r.exitCode, 0, `${r.reason}\n${serial.slice(-4000)}`);
  assert.ok(serial.includes('Run /init as init process'), serial.slice(-3000));
  // Linux's double-fault task gate (TSS selector 0xf8: GDT entry 31, GDT_ENTRY_DOUBLEFAULT_TSS in
  // Linux 6.1's arch/x86/include/asm/segment.h) is taken at the IDT load, once.
  assert.equal(serial.split('\n').filter((l) => l.startsWith('[wedge] IDT entry 8')).map((l) => l.replace(/\r$/, '')),
    ['[wedge] IDT entry 8 is a task gate (TSS 0xf8): not entered, L4 delivers no double fault to a task']);
  for (const bad of BAD) assert.not.ok(serial.includes(bad), `'${bad}' on the console:\n${serial.slice(-3000)}`);
  const native = await linuxGuest();
  const q = runLinuxOnQemu(native.bzImage, native.initrd, SELFTEST_APPEND, MEM / MiB);
  assert.is(q.error, null, q.error ?? '');
  assert.is(q.exitValue, 0, q.serial.slice(-3000));
  const want = selftestLines(q.serial);
  assert.ok(want.length >= 10 && want.includes('selftest: done failures=0'), q.serial.slice(-3000));
  assert.equal(selftestLines(serial), want);
});

function netperf(direction: NetperfDirection, extra: { loss?: number; seed?: number; check?: boolean } = {}): NetperfRunResult {
  const r = runNetperf({ elf: vmlinux, kernelName: 'vmlinux', initrd, direction, bytes: MiB, messageBytes: 32768, mem: MEM, ...onL4, ...extra });
  assert.is(r.report.exit_value, 0, `${r.report.stop}\n${r.serial.slice(-4000)}`);
  for (const bad of BAD) assert.not.ok(r.serial.includes(bad), `'${bad}' on the console:\n${r.serial.slice(-3000)}`);
  assert.ok(r.peer.verified, JSON.stringify(r.peer));
  assert.ok(r.report.verified);
  assert.is(r.report.bytes, MiB);
  assert.is(r.report.guest?.words, `${direction} ok`);
  assert.is(r.report.nic_errors.length, 0, r.report.nic_errors.join('\n'));
  return r;
}

for (const direction of ['send', 'receive'] as const) {
  test(`Linux under the L4 wedge ${direction}s 1 MiB: every byte verified, the NIC's line through interrupt IPC, the report deterministic`, () => {
    const a = netperf(direction, { check: true });
    assert.ok((a.report.backend as { l4?: { messages?: Record<string, number> } }).l4!.messages!.interrupt! > 0, 'the NIC interrupted through the L4 model');
    const b = netperf(direction, { check: true });
    assert.is(JSON.stringify(sortKeys(b.report)), JSON.stringify(sortKeys(a.report)));
  });
}

lossTests('under the L4 wedge', netperf);

test.run();
