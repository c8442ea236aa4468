// The afterburnt Linux 6.1 vmlinux under the wedge on Xen, entered by the Linux 32-bit boot
// protocol. The oracle is the same afterburnt kernel's bzImage booted on hardware (the emulator's
// boot loader, whose Linux boot is checked against QEMU by test/linux/boot.test.ts): with the same
// command line and no initramfs, both must print the same console lines up to Linux's "No working
// init found" panic, numbers aside (the domain has less memory than the machine, and the TSC
// calibration differs in its last digits). The wedge's own lines and Linux's report of the
// reservetop= the wedge appends are the only extra lines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { runKernel } from '../../emulator/run.ts';
import { buildWedge } from './build.ts';
import { worldLinux } from '../linux/world-build.ts';

const APPEND = 'console=ttyS0 io_delay=none mitigations=off';
// Enough instructions for either run to reach the panic (each stops at the budget, spinning in it).
const BUDGET = 1_500_000_000;
const PANIC = 'Kernel panic - not syncing: No working init found.';

function lines(out: Uint8Array): string[] {
  return Buffer.from(out).toString().split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l !== '');
}

/** Numbers masked: hex with 0x, then any word holding a digit. */
function masked(ls: string[]): string[] {
  return ls.map((l) => l.replace(/ reservetop=0x[0-9a-f]+/, '').replace(/0x[0-9a-f]+/g, 'H').replace(/[0-9a-f]*[0-9][0-9a-f]*/g, 'N'));
}

test('afterburnt vmlinux under the wedge on Xen prints the console lines of its bzImage on hardware', async () => {
  const linux = await worldLinux('afterburnt');
  const wedge = await buildWedge('xen');
  const hw = runKernel({ elf: readFileSync(linux.kernel!), kernelName: 'bzImage', mem: 64 << 20, cmdline: APPEND, maxInstructions: BUDGET });
  const hwLines = lines(hw.serialOutput);
  assert.ok(hwLines.some((l) => l.startsWith(PANIC)), `hardware reached the init search:\n${hwLines.slice(-5).join('\n')}`);
  const xen = runKernel({
    elf: readFileSync(linux.vmlinux!), kernelName: 'vmlinux', mem: 64 << 20, cmdline: APPEND, maxInstructions: BUDGET,
    backend: 'xen', wedge: readFileSync(wedge.elf), wedgeName: 'wedge-xen.elf',
  });
  const all = lines(xen.serialOutput);
  assert.is(xen.backend.mode, 'pv-wedge');
  assert.ok(all.includes('Kernel command line: ' + APPEND + ' reservetop=0x08000000'), 'the zero page carried the command line, with the wedge\'s reservetop=');
  const got = all.filter((l) => !l.startsWith('[wedge]') && !l.startsWith('Reserving virtual address space above'));
  const upTo = (ls: string[]) => ls.slice(0, ls.findIndex((l) => l.startsWith(PANIC)) + 1);
  assert.ok(got.some((l) => l.startsWith(PANIC)), `under the wedge: ${xen.reason}\n${all.slice(-8).join('\n')}`);
  assert.equal(masked(upTo(got)), masked(upTo(hwLines)));
});

test.run();
