// Differential tests of the emulator against QEMU: each test kernel (test/emulator-kernels/) runs on
// qemu-system-i386 and on our emulator; the serial output and the debug-exit value must be
// identical. The expected output is whatever QEMU prints on this run, never a stored file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { buildGuests, kernelNames, kernelPath, runEmulator, runQemuMany, DIFF_CODEGEN_AFTER, REPO_ROOT, type GuestRun } from '../emulator-kernels/harness.ts';
import { expectedExit, familyOf } from '../emulator-kernels/families.ts';

let dir = '';
let qemuRuns = new Map<string, Promise<GuestRun>>();

test.before(async () => {
  dir = await buildGuests();
  // QEMU runs for every kernel start now and overlap with the emulator runs below.
  qemuRuns = runQemuMany(kernelNames().map((n) => kernelPath(n, dir)));
});

/** The first line where two outputs differ, with its neighbours, for the failure message. */
function firstDifference(expected: string, actual: string): string {
  const e = expected.split('\n');
  const a = actual.split('\n');
  for (let i = 0; i < Math.max(e.length, a.length); i++) {
    if (e[i] !== a[i]) {
      const from = Math.max(0, i - 2);
      const show = (lines: string[]) => lines.slice(from, i + 1).map((l) => `    ${l}`).join('\n');
      return `first difference at line ${i + 1}:\n  qemu:\n${show(e)}\n  emulator:\n${show(a)}`;
    }
  }
  return 'outputs are equal';
}

for (const name of kernelNames()) {
  test(`${name}: ${familyOf(name)}`, async () => {
    const elf = kernelPath(name, dir);
    const emu = await runEmulator(elf, undefined, DIFF_CODEGEN_AFTER);
    const qemu = await qemuRuns.get(elf)!;
    const want = expectedExit(name);
    assert.is(qemu.exitValue, want, `the oracle failed on ${name}: ${qemu.reason}`);
    assert.is(qemu.stop, want === null ? 'shutdown' : 'exit', `the oracle failed on ${name}: ${qemu.reason}`);
    if (emu.serial !== qemu.serial) {
      assert.unreachable(`${name}: serial output differs (emulator stopped: ${emu.reason})\n${firstDifference(qemu.serial, emu.serial)}`);
    }
    assert.is(emu.exitValue, qemu.exitValue, `${name}: exit value (emulator: ${emu.reason})`);
    assert.is(emu.stop, qemu.stop, `${name}: how the run ended (emulator: ${emu.reason}; qemu: ${qemu.reason})`);
  });
}

// The command line too: `world boot` prints the serial output on stdout and exits with the value
// the guest wrote, where QEMU exits with (v << 1) | 1.
for (const name of ['hello', 'exitcode']) {
  test(`world boot ${name}: stdout and exit status match QEMU's`, async () => {
    const elf = kernelPath(name, dir);
    const r = await execa('node', [`${REPO_ROOT}/bin/world.js`, 'boot', elf, '--mem', '64M'],
      { reject: false, stripFinalNewline: false, encoding: 'latin1' });
    const qemu = await qemuRuns.get(elf)!;
    assert.is(r.stdout, qemu.serial);
    assert.is(r.exitCode, qemu.exitValue, `world boot exit status (stderr: ${r.stderr})`);
  });
}

test.run();
