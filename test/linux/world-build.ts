// The Linux tests' kernel and initramfs: package `linux` built by the world itself
// (`world build linux@VARIANT`), so every test file shares one build through the world's cache and
// CI builds Linux once. The first test file to ask builds it (the world's build lock makes any other
// file wait, then find it cached); later files and runs find it in the cache in well under a second.
// The installed files come from the recipe's declared outputs, never from guessed paths.
// WORLD_LINUX_BZIMAGE (a bzImage file) skips the world build for a kernel under development: /init
// is then built from guests/linux/init into a temporary folder and packed by the recipe's own
// initramfs writer. Not getting a kernel is an error with the reason, so a test file without its
// kernel fails; it never passes.
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWorld } from '../../src/manifest/load.ts';
import { installedOutputs } from '../../src/outputs.ts';
import { linuxInitramfs } from '../../recipes/linux.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const worldBin = fileURLToPath(new URL('../../bin/world.js', import.meta.url));

/** Builds (or finds cached) linux@variant and returns its installed outputs by name. */
export async function worldLinux(variant: 'native' | 'afterburnt'): Promise<Record<string, string>> {
  const r = await execa('nice', ['-n', '5', 'node', worldBin, 'build', '--plain', `linux@${variant}`], { cwd: root, all: true, reject: false });
  if (r.exitCode !== 0) throw new Error(`world build linux@${variant} failed (exit ${r.exitCode}):\n${(r.all ?? '').slice(-4000)}`);
  return installedOutputs(await loadWorld(`${root}/world.yaml`), `linux@${variant}`);
}

/** The native bzImage to boot (its path) and the initramfs bytes to load beside it. */
export async function linuxGuest(): Promise<{ bzImage: string; initrd: Uint8Array }> {
  const given = process.env.WORLD_LINUX_BZIMAGE;
  if (!given) {
    const out = await worldLinux('native');
    return { bzImage: out.kernel!, initrd: readFileSync(out.initrd!) };
  }
  if (!existsSync(given)) throw new Error(`WORLD_LINUX_BZIMAGE=${given}: no such file`);
  const dir = mkdtempSync(join(tmpdir(), 'world-linux-init-'));
  try {
    const r = await execa('make', ['-s', '-C', join(root, 'guests/linux/init'), `O=${dir}`], { all: true, reject: false });
    if (r.exitCode !== 0) throw new Error(`linux /init: make failed:\n${r.all}`);
    return { bzImage: given, initrd: linuxInitramfs(readFileSync(join(dir, 'init'))) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The native kernel with its symbols: bzImage, initramfs, vmlinux and System.map (the hole reports
 * name sites from the map; the oracle disassembles vmlinux). From the world build, or with
 * WORLD_LINUX_BZIMAGE from the vmlinux and System.map given in WORLD_LINUX_VMLINUX and
 * WORLD_LINUX_SYSTEM_MAP (a kernel under development has no world outputs).
 */
export async function linuxGuestWithSymbols(): Promise<{ bzImage: string; initrd: Uint8Array; vmlinux: string; systemMap: string }> {
  const g = await linuxGuest();
  if (process.env.WORLD_LINUX_BZIMAGE) {
    const vmlinux = process.env.WORLD_LINUX_VMLINUX, systemMap = process.env.WORLD_LINUX_SYSTEM_MAP;
    if (!vmlinux || !systemMap || !existsSync(vmlinux) || !existsSync(systemMap)) {
      throw new Error('WORLD_LINUX_BZIMAGE is set: give its vmlinux and System.map in WORLD_LINUX_VMLINUX and WORLD_LINUX_SYSTEM_MAP');
    }
    return { ...g, vmlinux, systemMap };
  }
  const out = await worldLinux('native');
  return { ...g, vmlinux: out.vmlinux!, systemMap: out['system-map']! };
}
