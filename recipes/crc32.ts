// crc32: a small C checksum tool under packages/crc32, built with the host gcc: the default
// world's one host-side C package, beside the guest kernel and the wedge, and the smallest example
// of a recipe. Variant `native` is checked by make check against the published CRC-32 check value
// and the CRC-32 gzip writes; variant `m32` is built with gcc -m32, the toolchain the guests use,
// and its ELF header is checked with readelf (the host may not run 32-bit programs).
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Recipe } from '../src/recipe.ts';

export const recipe: Recipe = {
  summary: 'crc32 checksum tool (C), checked against gzip',
  source: { path: 'packages/crc32' },
  variants: ['native', 'm32'],
  options: {
    cflags: { type: 'string', default: '-O2 -Wall -Wextra -Werror -std=c99', doc: 'C compiler flags' },
  },
  stages: {
    build: {
      inputs: (variant) => ({ tools: variant === 'm32' ? ['gcc', 'make', 'readelf'] : ['gcc', 'make', 'gzip'] }),
      async run(ctx) {
        const cc = ctx.variant === 'm32' ? 'gcc -m32' : 'gcc';
        const make = ['-C', ctx.dirs.src, `O=${ctx.dirs.work}`, `CC=${cc}`, `CFLAGS=${String(ctx.options.cflags)}`];
        await ctx.run('make', make);
        if (ctx.variant === 'm32') {
          const header = await ctx.run('readelf', ['-h', join(ctx.dirs.work, 'crc32')], { capture: true });
          if (!/Class:\s+ELF32/.test(header) || !/Machine:\s+Intel 80386/.test(header)) {
            throw new Error('gcc -m32 did not produce an ELF32 i386 executable');
          }
          ctx.log.info('readelf: ELF32, Intel 80386');
        } else {
          await ctx.run('make', [...make, 'check']);
        }
        copyFileSync(join(ctx.dirs.work, 'crc32'), join(ctx.dirs.out, 'crc32'));
      },
    },
    install: {
      async run(ctx) {
        mkdirSync(join(ctx.dirs.out, 'bin'));
        copyFileSync(join(ctx.dirs.prev!, 'crc32'), join(ctx.dirs.out, 'bin', 'crc32'));
      },
    },
  },
};
