// wedge: the in-place VMM under guests/wedge, built with the host gcc for one hypervisor
// back-end (make O=<dir> BACKEND=<variant> CC=gcc -> <dir>/wedge-<variant>.elf). Variant `xen`
// is the wedge the Xen model boots as the domain's kernel, with an afterburnt guest as its
// module. The L4 back-end is not written (guests/wedge/l4/README.md), so there is no `l4` variant.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Recipe } from '../src/recipe.ts';

export const recipe: Recipe = {
  summary: 'the wedge (in-place VMM) for a hypervisor back-end',
  source: { path: 'guests/wedge' },
  variants: ['xen'],
  stages: {
    build: {
      inputs: () => ({ tools: ['gcc', 'make', 'as', 'ld'] }),
      async run(ctx) {
        await ctx.run('make', ['-C', ctx.dirs.src, `O=${ctx.dirs.work}`, `BACKEND=${ctx.variant}`, 'CC=gcc']);
        copyFileSync(join(ctx.dirs.work, `wedge-${ctx.variant}.elf`), join(ctx.dirs.out, `wedge-${ctx.variant}.elf`));
      },
    },
    install: {
      async run(ctx) {
        copyFileSync(join(ctx.dirs.prev!, `wedge-${ctx.variant}.elf`), join(ctx.dirs.out, `wedge-${ctx.variant}.elf`));
      },
    },
  },
};
