// linux: Linux 6.1 for i386, from Debian's linux-source-6.1 (a deb source pinned in world.lock) or
// a kernel.org tarball (a url source; recipes/linux.md), built through its own unmodified
// Kbuild. Stages:
//   unpack     the kernel tree out of the .deb (its /usr/src tarball) or out of the tarball, then
//              guests/linux/patches/*.patch applied in name order (each a fix of a Linux bug the
//              runs hit, applied to both variants alike; recipes/linux.md)
//   configure  tinyconfig + guests/linux/config.fragment + olddefconfig; every fragment symbol
//              must have kept its value, or the stage fails naming the ones that did not
//   build      bzImage, vmlinux and System.map (resumable: an interrupted build's tree is kept
//              and taken up, lib/kbuild-resume.ts); variant `afterburnt` builds with
//              CC="gcc -B <as drop-in>" (nothing in Linux's sources or makefiles changes) and
//              profile feedback: C files get debug information (KCFLAGS=-g, which changes no
//              code; kept apart in vmlinux.debug) and the drop-in annotates the page-table writes
//              feedback/linux.txt names (written by `world netperf --feedback-out` from a run
//              under the Xen wedge); it merges the drop-in's per-file reports and checks vmlinux's .afterburn against objdump:
//              sensitive instructions the drop-in could not see (BUG()'s ud2 written as .byte)
//              are listed in the report, a malformed site record fails the build
//   install    the kernel's files plus the initramfs: /init built from guests/linux/init (a
//              static, freestanding i386 program, never afterburnt: it runs in user mode) packed
//              as a newc cpio. A separate initrd, loaded by the boot protocol, so a change to
//              /init re-runs this stage only and never rebuilds the kernel.
import { availableParallelism } from 'node:os';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/atomic.ts';
import { mergeAfterburnReports } from './lib/afterburn-report.ts';
import { repairKilledKbuild } from './lib/kbuild-resume.ts';
import { lostMessage, lostSymbols, parseKconfig } from './lib/kconfig.ts';
import { newcArchive } from './lib/newc.ts';
import { checkImage } from './lib/afterburn-image.ts';
import type { Recipe, StageContext } from '../src/recipe.ts';

const worldBin = fileURLToPath(new URL('../bin/world.js', import.meta.url));
const FRAGMENT = 'guests/linux/config.fragment';
const INIT = 'guests/linux/init';
const PATCHES = 'guests/linux/patches';
/** The afterburnt kernel's profile feedback (afterburner/feedback.ts; recipes/linux.md). */
const FEEDBACK = 'feedback/linux.txt';
/** What the kernel's build files are called in its tree, and installed as. */
const KERNEL_FILES: [string, string][] = [['arch/x86/boot/bzImage', 'bzImage'], ['vmlinux', 'vmlinux'], ['System.map', 'System.map'], ['.config', 'config']];

// A reproducible build: Kbuild otherwise stamps the banner (uname -v) with the host's clock, user
// and host name, and a build counter.
const KBUILD_ENV = {
  KBUILD_BUILD_TIMESTAMP: 'Thu Jan  1 00:00:00 UTC 1970',
  KBUILD_BUILD_USER: 'world',
  KBUILD_BUILD_HOST: 'world',
  KBUILD_BUILD_VERSION: '1',
};

function make(ctx: StageContext, build: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return ctx.run('make', ['-C', ctx.dirs.src, `O=${build}`, 'ARCH=i386', ...args], { env: { ...KBUILD_ENV, ...env } });
}

/** The guest's initramfs: /init and what the kernel needs before it runs (one layout, one writer). */
export function linuxInitramfs(init: Uint8Array): Buffer {
  return newcArchive([
    { type: 'dir', name: 'dev', mode: 0o755 },
    // The kernel opens /dev/console for init's standard streams before /init runs.
    { type: 'char', name: 'dev/console', mode: 0o600, major: 5, minor: 1 },
    { type: 'dir', name: 'proc', mode: 0o755 },
    { type: 'file', name: 'init', mode: 0o755, data: init },
  ]);
}

/** Applies every guests/linux/patches/*.patch to the tree, in name order; a patch that does not
 *  apply exactly (no fuzz, not already applied) fails the stage naming it. */
async function applyPatches(ctx: StageContext, tree: string): Promise<void> {
  const dir = join(ctx.dirs.root, PATCHES);
  const patches = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.patch')).sort() : [];
  for (const name of patches) {
    try {
      await ctx.run('patch', ['-p1', '--batch', '--forward', '--fuzz=0', '--no-backup-if-mismatch', '-d', tree, '-i', join(dir, name)]);
    } catch (err) {
      throw new Error(`${PATCHES}/${name} does not apply to this Linux tree (see the step's log): ${(err as Error).message.split('\n')[0]}`);
    }
  }
}

export const recipe: Recipe = {
  summary: 'Linux 6.1 for i386 (tinyconfig + guests/linux/config.fragment), native or afterburnt, with an initramfs',
  source: { deb: 'linux-source-6.1' },
  variants: ['native', 'afterburnt'],
  outputs: (variant) => ({
    kernel: 'bzImage',
    initrd: 'initrd.cpio',
    vmlinux: 'vmlinux',
    'system-map': 'System.map',
    config: 'config',
    ...(variant === 'afterburnt' ? { 'afterburn-report': 'afterburn-report.json', 'vmlinux-debug': 'vmlinux.debug' } : {}),
  }),
  stages: {
    unpack: {
      inputs: { tools: ['tar', 'xz', 'dpkg-deb', 'patch'], paths: [PATCHES] },
      async run(ctx) {
        const files = readdirSync(ctx.dirs.downloads!);
        const deb = files.find((f) => f.endsWith('.deb'));
        const tarball = files.find((f) => /\.tar(\.(xz|gz|bz2))?$/.test(f));
        const tmp = join(ctx.dirs.work, 'tree');
        mkdirSync(tmp);
        if (deb) {
          // The .deb holds the tree as one tarball under /usr/src; only that member is read.
          await ctx.run('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xO --wildcards "./usr/src/linux-source-*.tar.xz" | tar -xJ -C "$2"', 'sh',
            join(ctx.dirs.downloads!, deb), tmp]);
        } else if (tarball) {
          await ctx.run('tar', ['-xf', join(ctx.dirs.downloads!, tarball), '-C', tmp]);
        } else {
          throw new Error(`no .deb or kernel tarball among the downloads (${files.join(', ') || 'none'})`);
        }
        const top = readdirSync(tmp);
        if (top.length !== 1 || !existsSync(join(tmp, top[0]!, 'Makefile'))) throw new Error(`expected one kernel tree in the archive, found: ${top.join(', ')}`);
        await applyPatches(ctx, join(tmp, top[0]!));
        // The tree's top directory becomes the artifact itself.
        const { renameSync, rmdirSync } = await import('node:fs');
        rmdirSync(ctx.dirs.out);
        renameSync(join(tmp, top[0]!), ctx.dirs.out);
      },
    },
    configure: {
      inputs: { tools: ['make', 'gcc', 'flex', 'bison'], paths: [FRAGMENT] },
      async run(ctx) {
        const build = join(ctx.dirs.work, 'build');
        mkdirSync(build);
        await make(ctx, build, ['tinyconfig']);
        const fragmentText = readFileSync(join(ctx.dirs.root, FRAGMENT), 'utf8');
        appendFileSync(join(build, '.config'), '\n' + fragmentText);
        await make(ctx, build, ['olddefconfig']);
        const config = readFileSync(join(build, '.config'), 'utf8');
        const lost = lostSymbols(parseKconfig(fragmentText), parseKconfig(config));
        if (lost.length > 0) throw new Error(lostMessage(lost, FRAGMENT));
        copyFileSync(join(build, '.config'), join(ctx.dirs.out, 'config'));
      },
    },
    build: {
      inputs: (variant) => ({
        tools: ['make', 'gcc', 'as', 'ld', 'objdump', 'flex', 'bison', 'bc', 'xz', ...(variant === 'afterburnt' ? ['node', 'objcopy'] : [])],
        paths: variant === 'afterburnt' ? ['afterburner', FEEDBACK] : [],
      }),
      // Kbuild is incremental: an interrupted kernel build goes on from where it stopped, the
      // afterburnt one too: its merged report counts only the reports of objects still in the
      // tree, not those of Kbuild's compiler probes, which every make run makes again under new
      // names (lib/afterburn-report.ts).
      resumable: true,
      async run(ctx) {
        const build = join(ctx.dirs.work, 'build');
        if (ctx.dirs.resumed) {
          const removed = repairKilledKbuild([build]);
          ctx.log.info(`resuming the kernel build: ${removed.length} files the interrupted run may have left half-written removed`);
        }
        mkdirSync(build, { recursive: true });
        // Copied only when it differs (a fresh tree, or a copy cut short): a new .config would
        // make Kbuild check the configuration again on a resumed tree.
        const config = readFileSync(join(ctx.dirs.prev!, 'config'));
        if (!existsSync(join(build, '.config')) || !readFileSync(join(build, '.config')).equals(config)) {
          copyFileSync(join(ctx.dirs.prev!, 'config'), join(build, '.config'));
        }
        let cc = 'gcc';
        const env: Record<string, string> = {};
        const reports = join(ctx.dirs.work, 'afterburn-reports');
        const args: string[] = [];
        if (ctx.variant === 'afterburnt') {
          const asDir = (await ctx.run('node', [worldBin, 'afterburn', '--print-as-dir'], { capture: true, cwd: ctx.dirs.root })).trim();
          if (!asDir || !existsSync(join(asDir, 'as'))) throw new Error(`'world afterburn --print-as-dir' gave '${asDir}', which holds no 'as'`);
          cc = `gcc -B ${asDir}`;
          // Kept on a resumed build: each report is renamed in whole once its object is
          // assembled, and a rebuilt object replaces its own (afterburner/report.ts).
          mkdirSync(reports, { recursive: true });
          env.WORLD_AFTERBURN_REPORT_DIR = reports;
          // Profile feedback names source lines (file:line), which the drop-in reads from the
          // assembly's .file/.loc and `world netperf --feedback-out` from vmlinux's line table,
          // so the C files are built with -g (Kbuild's KCFLAGS: C files only, its own flags
          // untouched; -g changes no generated code, recipes/linux.md). Both trees' paths are
          // mapped to '.', so the names are the tree's relative ones on either side and no
          // machine path enters vmlinux; location views serve debuggers only and are left out.
          args.push(`KCFLAGS=-g -gno-record-gcc-switches -gno-variable-location-views ` +
            `-fdebug-prefix-map=${ctx.dirs.src}=. -fdebug-prefix-map=${build}=.`);
          env.WORLD_AFTERBURN_FEEDBACK = join(ctx.dirs.root, FEEDBACK);
        }
        await make(ctx, build, [`-j${availableParallelism()}`, `CC=${cc}`, ...args, 'bzImage'], env);
        for (const [from, to] of KERNEL_FILES) copyFileSync(join(build, from), join(ctx.dirs.out, to));
        if (ctx.variant === 'afterburnt') {
          const merged = mergeAfterburnReports(reports);
          if (merged.files === 0) throw new Error('the afterburner wrote no reports: was its `as` used?');
          const image = await checkImage(join(build, 'vmlinux'));
          ctx.log.info(`afterburn: ${merged.files} files, ${Object.values(merged.sites).reduce((a, b) => a + b, 0)} sites; ` +
            `vmlinux: ${image.recordedTotal} sites, ${image.unrecordedTotal} sensitive instructions outside every site`);
          if (image.malformed.length > 0) {
            throw new Error(`vmlinux's .afterburn disagrees with objdump at ${image.malformed.length} sites, e.g. ${image.malformed[0]}`);
          }
          writeFileAtomic(join(ctx.dirs.out, 'afterburn-report.json'), JSON.stringify({ build: merged, vmlinux: image }, null, 2) + '\n');
          // A hypervisor hands the wedge vmlinux whole as its module, and the debug sections
          // (about 50 of -g's 54 MB) would leave the L4 wedge a few MiB of guest memory. They go
          // to vmlinux.debug, which the installed vmlinux names in its .gnu_debuglink, so
          // addr2line -e vmlinux still reads the lines with both files side by side.
          await ctx.run('objcopy', ['--only-keep-debug', join(build, 'vmlinux'), join(ctx.dirs.out, 'vmlinux.debug')]);
          await ctx.run('objcopy', ['--strip-debug', `--add-gnu-debuglink=${join(ctx.dirs.out, 'vmlinux.debug')}`, join(build, 'vmlinux'), join(ctx.dirs.out, 'vmlinux')]);
        }
      },
    },
    install: {
      inputs: { tools: ['make', 'gcc', 'as', 'ld'], paths: [INIT] },
      async run(ctx) {
        for (const name of [...KERNEL_FILES.map(([, to]) => to), 'afterburn-report.json', 'vmlinux.debug']) {
          if (existsSync(join(ctx.dirs.prev!, name))) copyFileSync(join(ctx.dirs.prev!, name), join(ctx.dirs.out, name));
        }
        const initOut = join(ctx.dirs.work, 'init');
        await ctx.run('make', ['-C', join(ctx.dirs.root, INIT), `O=${initOut}`, 'CC=gcc']);
        writeFileAtomic(join(ctx.dirs.out, 'initrd.cpio'), linuxInitramfs(readFileSync(join(initOut, 'init'))));
      },
    },
  },
};
