// Boots a Linux bzImage with an initramfs on qemu-system-i386, the reference machine: the same
// command line, RAM size, debug-exit device and RTC start as the emulator gets (QEMU's RTC set to
// the emulator's fixed instant and run from the virtual clock, so no host time reaches the guest).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface QemuLinuxRun {
  serial: string;
  /** The value the guest wrote to the debug-exit port, or null (QEMU exited otherwise). */
  exitValue: number | null;
  hostSeconds: number;
  /** Why QEMU could not run at all (not installed, timed out), or null. */
  error: string | null;
}

export function runLinuxOnQemu(bzImage: string, initrd: Uint8Array, append: string, memMiB: number, timeoutMs = 300_000): QemuLinuxRun {
  const dir = mkdtempSync(join(tmpdir(), 'world-qemu-linux-'));
  try {
    const cpio = join(dir, 'initrd.cpio');
    writeFileSync(cpio, initrd);
    const t0 = process.hrtime.bigint();
    const r = spawnSync('qemu-system-i386', [
      '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot', '-m', String(memMiB),
      '-rtc', 'base=2006-01-01T00:00:00,clock=vm',
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
      '-kernel', bzImage, '-initrd', cpio, '-append', append,
    ], { timeout: timeoutMs, encoding: 'latin1', maxBuffer: 64 << 20 });
    const hostSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.error) return { serial: r.stdout ?? '', exitValue: null, hostSeconds, error: `qemu-system-i386: ${r.error.message}` };
    // QEMU exits with (v << 1) | 1 for a debug-exit write of v.
    const status = r.status;
    return { serial: r.stdout, exitValue: status !== null && status & 1 ? status >> 1 : null, hostSeconds, error: null };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
