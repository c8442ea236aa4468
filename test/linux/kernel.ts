// The Linux 6.1 bzImage and the /init program the Linux tests boot. The kernel comes from, in order:
// WORLD_LINUX_BZIMAGE (a file), the world's own build of package `linux` under .world/, or a build
// here from Debian's linux-source-6.1 (WORLD_LINUX_SRC, an unpacked tree, else the tarball the
// package installs in /usr/src) configured as the recipe does: tinyconfig, the committed fragment,
// olddefconfig. That build goes to .world/test-linux/ under a lock, so the test files build it at most
// once per checkout and reuse it afterwards. Every way of not getting a kernel is an error with a
// reason: a test without its kernel fails, it does not pass.
import { execa } from 'execa';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { withLock } from '../../src/dirlock.ts';
import { initramfs } from './cpio.ts';

const root = resolve(new URL('../..', import.meta.url).pathname);
const FRAGMENT = join(root, 'guests/linux/config.fragment');
const DEBIAN_TARBALL = '/usr/src/linux-source-6.1.tar.xz';
const work = join(root, '.world/test-linux');
/** A kernel build takes many minutes on a loaded 2-core machine: a lock younger than this is live. */
const BUILD_LOCK_STALE_MS = 3 * 3600_000;

/** A bzImage the world installed for package `linux` (native variant), if any. */
function worldBzImage(): string | null {
  const base = join(root, '.world');
  if (!existsSync(base)) return null;
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 5) return;
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (name === 'test-linux') continue;
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p, depth + 1);
      else if (name === 'bzImage' && /linux/.test(p) && !/afterburnt/.test(p)) found.push(p);
    }
  };
  walk(base, 0);
  return found[0] ?? null;
}

async function make(src: string, args: string[]): Promise<void> {
  const r = await execa('nice', ['-n', '5', 'make', '-C', src, `O=${join(work, 'out')}`, 'ARCH=i386', ...args], { all: true, reject: false });
  if (r.exitCode !== 0) throw new Error(`linux: make ${args.join(' ')} failed:\n${(r.all ?? '').slice(-4000)}`);
}

async function buildHere(): Promise<string> {
  const bz = join(work, 'out/arch/x86/boot/bzImage');
  mkdirSync(work, { recursive: true });
  return withLock(join(work, 'build.lock'), async () => {
    let src = process.env.WORLD_LINUX_SRC;
    if (!src) {
      src = join(work, 'src/linux-source-6.1');
      if (!existsSync(join(src, 'Makefile'))) {
        if (!existsSync(DEBIAN_TARBALL)) {
          throw new Error(`linux: no kernel to test: no .world build of package linux, WORLD_LINUX_BZIMAGE and WORLD_LINUX_SRC unset, and ${DEBIAN_TARBALL} missing (apt-get install linux-source-6.1)`);
        }
        mkdirSync(join(work, 'src'), { recursive: true });
        const r = await execa('tar', ['-xJf', DEBIAN_TARBALL, '-C', join(work, 'src')], { all: true, reject: false });
        if (r.exitCode !== 0) throw new Error(`linux: unpacking ${DEBIAN_TARBALL} failed:\n${r.all}`);
      }
    }
    const out = join(work, 'out');
    mkdirSync(out, { recursive: true });
    await make(src, ['tinyconfig']);
    const merged = await execa(join(src, 'scripts/kconfig/merge_config.sh'), ['-m', '-O', out, join(out, '.config'), FRAGMENT], { all: true, reject: false, cwd: src });
    if (merged.exitCode !== 0) throw new Error(`linux: merge_config failed:\n${merged.all}`);
    await make(src, ['olddefconfig']);
    await make(src, ['-j2', 'bzImage']);
    return bz;
  }, BUILD_LOCK_STALE_MS);
}

/** Path of the bzImage to test; builds one if the world has none. Throws with the reason when it cannot. */
export async function linuxBzImage(): Promise<string> {
  const given = process.env.WORLD_LINUX_BZIMAGE;
  if (given) {
    if (!existsSync(given)) throw new Error(`WORLD_LINUX_BZIMAGE=${given}: no such file`);
    return given;
  }
  return worldBzImage() ?? buildHere();
}

/** /init built from guests/linux/init (incremental), packed as the initramfs. */
export async function linuxInitramfs(): Promise<Uint8Array> {
  const out = join(work, 'init');
  mkdirSync(out, { recursive: true });
  const r = await withLock(`${out}.lock`, () => execa('make', ['-s', '-C', join(root, 'guests/linux/init'), `O=${out}`], { all: true, reject: false }));
  if (r.exitCode !== 0) throw new Error(`linux /init: make failed:\n${r.all}`);
  return initramfs(readFileSync(join(out, 'init')));
}
