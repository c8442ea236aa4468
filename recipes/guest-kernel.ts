// guest-kernel: the guest OS under guests/kernel, built with the host gcc (make O=<dir> CC=<cc>
// HZ=<n> -> <dir>/kernel.elf). Variant `native` is a plain build. Variant `afterburnt` puts the
// afterburner's `as` drop-in in front of GNU as (gcc -B <dir>, the dir printed by
// `world afterburn --print-as-dir`); the drop-in writes one report per assembled file into
// WORLD_AFTERBURN_REPORT_DIR, merged here into afterburn-report.json. The afterburner's source is
// an input of the afterburnt build, so changing it rebuilds the guest. Variant `xen-pv` builds
// the para-virtual Xen arch layer (ARCH=xen-pv): the XenoLinux row, booted with --backend xen.
// Variant `l4-pv` builds the para-virtual L4 arch layer (ARCH=l4-pv): the L4Ka::Linux row,
// booted with --backend l4; it includes the L4 model's C bindings (guests/l4), an input of
// that variant only. The code both para-virtual layers share (guests/kernel/arch/pv) lies
// in the source tree, so it is an input of every variant, as the arch layers are.
// Variant `afterburnt-feedback` is the afterburnt kernel without the manual page-table annotation
// (PT_ANNOTATE=0), built with debug information, whose page-table writes the afterburner
// annotates from the profile feedback in feedback/guest-kernel.txt (an input of that variant:
// `world netperf --config afterburnt-xen-feedback --append pt=direct --feedback-out ...` writes
// it, and the next build reads it).
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/atomic.ts';
import { mergeAfterburnReports } from './lib/afterburn-report.ts';
import type { Recipe } from '../src/recipe.ts';

/** The profile feedback of the afterburnt-feedback variant (relative to the root): the file
 *  alone is its input, so another guest's feedback beside it (feedback/linux.txt) rebuilds
 *  nothing here. */
const FEEDBACK = 'feedback/guest-kernel.txt';
const worldBin = fileURLToPath(new URL('../bin/world.js', import.meta.url));

export const recipe: Recipe = {
  summary: 'the guest kernel, native, afterburnt or para-virtual for Xen or L4',
  source: { path: 'guests/kernel' },
  variants: ['native', 'afterburnt', 'xen-pv', 'l4-pv', 'afterburnt-feedback'],
  outputs: { kernel: 'kernel.elf' },
  options: {
    hz: { type: 'integer', default: 1000, doc: 'timer interrupts per second (make HZ=); the kernel\'s own default' },
  },
  stages: {
    build: {
      inputs: (variant) => ({
        tools: ['gcc', 'make', 'as', 'ld', ...(variant.startsWith('afterburnt') ? ['node'] : [])],
        paths: variant === 'afterburnt' ? ['afterburner'] : variant === 'afterburnt-feedback' ? ['afterburner', FEEDBACK]
          : variant === 'l4-pv' ? ['guests/l4'] : [],
      }),
      async run(ctx) {
        const build = join(ctx.dirs.work, 'build');
        mkdirSync(build);
        let cc = 'gcc';
        const env: Record<string, string> = {};
        const reports = join(ctx.dirs.work, 'afterburn-reports');
        const make: string[] = [];
        if (ctx.variant.startsWith('afterburnt')) {
          const asDir = (await ctx.run('node', [worldBin, 'afterburn', '--print-as-dir'], { capture: true, cwd: ctx.dirs.root })).trim();
          if (!asDir || !existsSync(join(asDir, 'as'))) throw new Error(`'world afterburn --print-as-dir' gave '${asDir}', which holds no 'as'`);
          cc = `gcc -B ${asDir}`;
          mkdirSync(reports);
          env.WORLD_AFTERBURN_REPORT_DIR = reports;
        }
        if (ctx.variant === 'afterburnt-feedback') {
          // -g does not change the code gcc generates; the prefix map keeps the build folder out
          // of the debug information, so addr2line names files as the assembly's .file does.
          cc += ` -g -gno-record-gcc-switches -fdebug-prefix-map=${ctx.dirs.src}=.`;
          make.push('PT_ANNOTATE=0');
          env.WORLD_AFTERBURN_FEEDBACK = join(ctx.dirs.root, FEEDBACK);
        }
        // User programs are not part of the kernel: they run in ring 3 and are never afterburnt
        // (UCC=gcc), just as the original afterburnt only the guest kernel.
        await ctx.run('make', ['-C', ctx.dirs.src, `O=${build}`, `CC=${cc}`, 'UCC=gcc', `HZ=${String(ctx.options.hz)}`,
          ...(ctx.variant === 'xen-pv' || ctx.variant === 'l4-pv' ? [`ARCH=${ctx.variant}`] : []), ...make], { env });
        copyFileSync(join(build, 'kernel.elf'), join(ctx.dirs.out, 'kernel.elf'));
        if (ctx.variant.startsWith('afterburnt')) {
          const merged = mergeAfterburnReports(reports);
          if (merged.files === 0) throw new Error('the afterburner wrote no reports: was its `as` used?');
          ctx.log.info(`afterburn: ${merged.files} files, ${Object.values(merged.sites).reduce((a, b) => a + b, 0)} sites`);
          writeFileAtomic(join(ctx.dirs.out, 'afterburn-report.json'), JSON.stringify(merged, null, 2) + '\n');
        }
      },
    },
    install: {
      async run(ctx) {
        for (const f of ['kernel.elf', 'afterburn-report.json']) {
          if (existsSync(join(ctx.dirs.prev!, f))) copyFileSync(join(ctx.dirs.prev!, f), join(ctx.dirs.out, f));
        }
      },
    },
  },
};
