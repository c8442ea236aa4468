// The oracle's own check: every test kernel, run twice on qemu-system-i386, ends as expected
// (debug-exit value 0; exitcode exits with 42, triple shuts down), prints something, reports no
// unexpected trap, and prints the same bytes both times (nothing in its output depends on host
// timing).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildGuests, kernelNames, kernelPath, runQemuMany, type GuestRun } from '../emulator-kernels/harness.ts';
import { expectedExit, familyOf } from '../emulator-kernels/families.ts';

let dir = '';
let first = new Map<string, Promise<GuestRun>>();
let second = new Map<string, Promise<GuestRun>>();

test.before(async () => {
  dir = await buildGuests();
  const elves = kernelNames().map((n) => kernelPath(n, dir));
  first = runQemuMany(elves, 2);
  second = runQemuMany(elves, 2);
});

for (const name of kernelNames()) {
  test(`qemu runs ${name} (${familyOf(name)})`, async () => {
    const elf = kernelPath(name, dir);
    const [a, b] = await Promise.all([first.get(elf)!, second.get(elf)!]);
    const want = expectedExit(name);
    assert.is(a.exitValue, want, `${name}: ${a.reason}\n${a.serial}`);
    assert.is(a.stop, want === null ? 'shutdown' : 'exit', `${name}: ${a.reason}`);
    assert.ok(a.serial.length > 0, `${name} printed nothing`);
    assert.not.match(a.serial, /unexpected trap/, `${name}: ${a.serial}`);
    assert.is(b.serial, a.serial, `${name}: two QEMU runs printed different output`);
    assert.is(b.exitValue, a.exitValue);
  });
}

test.run();
