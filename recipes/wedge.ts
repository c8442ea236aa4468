// wedge: the in-place VMM under guests/wedge, built with the host gcc for one hypervisor
// back-end (make O=<dir> BACKEND=<variant> CC=gcc -> <dir>/wedge-<variant>.elf). Variant `xen`
// is the wedge the Xen model boots as the domain's kernel, with an afterburnt guest as its
// module; variant `l4` is the wedge the L4 model starts as its privileged task (the guest again
// its module). The l4 build also reads the L4 bindings in guests/l4 (l4.h), which are part of
// its source. Variant `xen-shadow` is the Xen wedge built with PT=shadow: it keeps shadow page
// tables even for a guest whose page-table writes are annotated (the mechanism before the
// annotations, measurable beside them); it writes wedge-xen-shadow.elf. Variants `xen-devvirt`
// and `xen-devvirt-nobatch` are the Xen wedge built with DEV=virt / DEV=virt-nobatch: device
// pre-virtualization, the DP83820 emulated in the wedge and its frames sent through the Xen
// model's split network device, batched at the guest's hlt and iret or not batched; `l4-devvirt`
// the same on the L4 model, its frames through the model's network server.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Recipe } from '../src/recipe.ts';

export const recipe: Recipe = {
  summary: 'the wedge (in-place VMM) for a hypervisor back-end',
  source: { path: 'guests/wedge' },
  variants: ['xen', 'l4', 'xen-shadow', 'xen-devvirt', 'xen-devvirt-nobatch', 'l4-devvirt'],
  outputs: (variant) => ({ wedge: `wedge-${variant}.elf` }),
  stages: {
    build: {
      inputs: (variant) => ({ tools: ['gcc', 'make', 'as', 'ld'], ...(variant.startsWith('l4') ? { paths: ['guests/l4'] } : {}) }),
      async run(ctx) {
        const [backend, pt, dev] = ctx.variant === 'xen-shadow' ? ['xen', 'shadow', 'direct']
          : ctx.variant === 'xen-devvirt' ? ['xen', 'direct', 'virt']
          : ctx.variant === 'xen-devvirt-nobatch' ? ['xen', 'direct', 'virt-nobatch']
          : ctx.variant === 'l4-devvirt' ? ['l4', 'direct', 'virt']
          : [ctx.variant, 'direct', 'direct'];
        // DEV is passed only when it is not the default, so the other variants' steps keep their keys.
        await ctx.run('make', ['-C', ctx.dirs.src, `O=${ctx.dirs.work}`, `BACKEND=${backend}`, `PT=${pt}`, ...(dev === 'direct' ? [] : [`DEV=${dev}`]), 'CC=gcc']);
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
