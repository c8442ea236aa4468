// Linux 6.1 on the emulator: the same bzImage and initramfs boot on qemu-system-i386 (the oracle)
// and on the emulator, and /init's integer self-test prints the same lines on both. The kernel's
// own messages differ between the machines (CPU model, devices), so only the `selftest:` lines are
// compared. The emulator's console must carry no warning real hardware would not print.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { linuxGuest } from './world-build.ts';
import { runLinuxOnQemu } from './qemu.ts';
import { runKernel } from '../../emulator/run.ts';
import { Machine } from '../../emulator/machine.ts';
import { loadProfile, DEFAULT_PROFILE } from '../../emulator/profiles/load.ts';

const MEM_MIB = 64;
import { SELFTEST_APPEND } from './selftest-append.ts';

const { bzImage: bzPath, initrd } = await linuxGuest();
const bz = readFileSync(bzPath);

const selftestLines = (serial: string): string[] => serial.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.startsWith('selftest: '));

// The emulator's run, with the guest time at which /init first wrote to the console.
let initCycles = -1;
let machineRef: Machine | null = null;
let serialSoFar = '';
const t0 = process.hrtime.bigint();
const emu = runKernel({
  elf: bz, kernelName: bzPath, mem: MEM_MIB << 20, cmdline: SELFTEST_APPEND, initrd,
  maxInstructions: 3_000_000_000,
  setup: (m) => {
    machineRef = m;
  },
  serial: (bytes) => {
    serialSoFar += Buffer.from(bytes).toString('latin1');
    if (initCycles < 0 && serialSoFar.includes('selftest: begin')) initCycles = machineRef!.clock.now();
  },
});
const emuHost = Number(process.hrtime.bigint() - t0) / 1e9;
const emuSerial = Buffer.from(emu.serialOutput).toString('latin1');
const mhz = loadProfile(DEFAULT_PROFILE).cpuMhz;

test('the bzImage boots to /init on the emulator and the self-test passes', () => {
  assert.is(emu.exitCode, 0, `${emu.reason}\n${emuSerial.slice(-4000)}`);
  const lines = selftestLines(emuSerial);
  assert.ok(lines.includes('selftest: done failures=0'), emuSerial.slice(-3000));
  process.stdout.write(`# emulator: /init after ${(initCycles / (mhz * 1e6)).toFixed(3)} guest s; run ${(emu.stats.cycles.total / (mhz * 1e6)).toFixed(3)} guest s, ${emuHost.toFixed(1)} host s, ${emu.stats.instructions} instructions\n`);
});

test('the console shows no warning real hardware would not print', () => {
  for (const bad of ['unchecked MSR access', 'Oops', 'Tainted', 'WARNING:', 'BUG:', 'Call Trace', 'Unable to read current time', 'general protection', 'Kernel panic']) {
    assert.not.ok(emuSerial.includes(bad), `'${bad}' on the console:\n${emuSerial}`);
  }
  // The RTC's fixed start is what the kernel's clock reads. The banner's build date is the
  // recipe's reproducible build timestamp (the epoch), not the clock: leave that line out.
  const clockLines = emuSerial.split('\n').filter((l) => !l.startsWith('Linux version '));
  assert.ok(!clockLines.some((l) => /1970/.test(l)), 'the kernel did not read the RTC');
});

test('QEMU runs the same bzImage and initramfs, and the self-test lines are identical', () => {
  const q = runLinuxOnQemu(bzPath, initrd, SELFTEST_APPEND, MEM_MIB);
  assert.is(q.error, null, q.error ?? '');
  assert.is(q.exitValue, 0, `QEMU: debug-exit ${q.exitValue}\n${q.serial.slice(-4000)}`);
  const want = selftestLines(q.serial);
  assert.ok(want.length >= 10 && want.includes('selftest: done failures=0'), `QEMU's self-test output:\n${q.serial.slice(-3000)}`);
  assert.equal(selftestLines(emuSerial), want);
  const started = /init: started at (\d+) ms/.exec(q.serial);
  process.stdout.write(`# qemu: /init at ${started ? Number(started[1]) / 1000 : '?'} guest s (its monotonic clock); run ${q.hostSeconds.toFixed(1)} host s\n`);
});

test.run();
