// The Linux 32-bit boot protocol loader on synthetic images: where the zero page, command line,
// e820 map and initrd land, and the errors for images it cannot boot. Field offsets are checked
// against the kernel's documented layout (Documentation/x86/boot.rst), written out here as
// numbers, not through the loader's own constants. The real kernel boots in test/linux/.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadLinux, isLinuxBzImage } from '../../emulator/boot-linux.ts';
import { BootError } from '../../emulator/boot.ts';

/** A minimal bzImage: 4 setup sectors, protocol 2.15, loaded high, `pm` bytes of protected-mode code. */
function image(pm: number, version = 0x20f, loadflags = 1): Uint8Array {
  const setupSects = 4;
  const img = new Uint8Array((setupSects + 1) * 512 + pm);
  const dv = new DataView(img.buffer);
  img[0x1f1] = setupSects;
  img[0x201] = 0x6a; // header length beyond 0x202 (to 0x26c)
  dv.setUint32(0x202, 0x53726448, true);
  dv.setUint16(0x206, version, true);
  img[0x211] = loadflags;
  dv.setUint32(0x214, 0x100000, true);
  dv.setUint32(0x22c, 0x37ffffff, true);
  dv.setUint32(0x238, 2047, true);
  dv.setUint32(0x258, 0x1000000, true);
  dv.setUint32(0x260, 0x200000, true);
  for (let i = 0; i < pm; i++) img[(setupSects + 1) * 512 + i] = (i * 7) & 0xff;
  return img;
}

test('the protected-mode part, zero page, command line, e820 map and initrd', () => {
  const ram = new Uint8Array(64 << 20);
  const img = image(8192);
  const initrd = new Uint8Array(10000).fill(0xab);
  const r = loadLinux(ram, img, { kernelName: 'bz', cmdline: 'console=ttyS0 run=selftest', initrd });
  assert.is(r.entry, 0x100000);
  assert.equal(ram.subarray(0x100000, 0x100000 + 8192), img.subarray(2560));
  const zp = new DataView(ram.buffer, r.bootParams, 4096);
  assert.is(zp.getUint32(0x202, true), 0x53726448, 'setup header copied');
  assert.is(zp.getUint8(0x210), 0xff, 'type_of_loader');
  const cmd = zp.getUint32(0x228, true);
  assert.is(Buffer.from(ram.subarray(cmd, cmd + 26)).toString(), 'console=ttyS0 run=selftest');
  assert.is(ram[cmd + 26], 0, 'NUL-terminated');
  // e820: low RAM, reserved EBDA and BIOS areas, RAM from 1 MiB to the end.
  const n = zp.getUint8(0x1e8);
  const map = Array.from({ length: n }, (_, i) => [zp.getUint32(0x2d0 + 20 * i, true), zp.getUint32(0x2d0 + 20 * i + 8, true), zp.getUint32(0x2d0 + 20 * i + 16, true)]);
  assert.equal(map[map.length - 1], [0x100000, (64 << 20) - 0x100000, 1]);
  assert.equal(map[0], [0, 0x9fc00, 1]);
  // The initrd: page-aligned at the top of RAM.
  const at = zp.getUint32(0x218, true);
  assert.is(zp.getUint32(0x21c, true), 10000);
  assert.is(at % 4096, 0);
  assert.ok(at + 10000 <= 64 << 20 && at + 10000 > (64 << 20) - 4096);
  assert.is(ram[at], 0xab);
});

test('images it cannot boot are refused with the reason', () => {
  const ram = new Uint8Array(32 << 20);
  assert.not.ok(isLinuxBzImage(new Uint8Array(1024)));
  assert.throws(() => loadLinux(ram, new Uint8Array(1024), { kernelName: 'x' }), (e: Error) => e instanceof BootError && /HdrS/.test(e.message));
  assert.throws(() => loadLinux(ram, image(100, 0x204), { kernelName: 'old' }), (e: Error) => /older than 2.06/.test(e.message));
  assert.throws(() => loadLinux(ram, image(100, 0x20f, 0), { kernelName: 'z' }), (e: Error) => /zImage/.test(e.message));
  assert.throws(() => loadLinux(ram, image(100), { kernelName: 'k', cmdline: 'x'.repeat(3000) }), (e: Error) => /at most 2047/.test(e.message));
  // 16 MiB + init_size leaves no room for a 20 MiB initrd in 32 MiB.
  assert.throws(() => loadLinux(ram, image(100), { kernelName: 'k', initrd: new Uint8Array(20 << 20) }), (e: Error) => /initrd does not fit/.test(e.message));
});

test.run();
