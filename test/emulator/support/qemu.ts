// Runs a multiboot kernel on qemu-system-i386 (the reference machine) with the debug-exit device
// at 0xf4 and returns its serial output and exit value, or null when QEMU is not installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function qemuAvailable(): boolean {
  try {
    execFileSync('qemu-system-i386', ['--version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

export function runOnQemu(elf: Uint8Array, mem = '64', extraArgs: string[] = []): { serial: string; exitValue: number | null } {
  const dir = mkdtempSync(join(tmpdir(), 'world-qemu-'));
  try {
    const k = join(dir, 'k.elf');
    writeFileSync(k, elf);
    const r = spawnSync('qemu-system-i386', [
      '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot', '-m', mem,
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-kernel', k, ...extraArgs,
    ], { timeout: 20_000, encoding: 'latin1' });
    // QEMU exits with (v << 1) | 1 for a debug-exit write of v.
    const status = r.status;
    return { serial: r.stdout, exitValue: status !== null && status & 1 ? status >> 1 : null };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
