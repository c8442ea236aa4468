// Page-table sites (afterburner/rewrite.ts, feedback.ts), checked against GNU as and objdump: a
// store marked `.afterburn_pte` (or on a source line the profile feedback names) is recorded in
// `.afterburn_pt` as [begin, end) around the store and exactly PT_PADDING NOPs; the directive
// inside `.if 0` is invisible to GNU as alone; nothing else changes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { afterburnAssembly, PT_PADDING, type AfterburnOptions, type AfterburnResult } from '../../afterburner/rewrite.ts';
import { parseFeedback, FeedbackError, normalizeSourcePath } from '../../afterburner/feedback.ts';
import { disassemble, type Instruction } from '../../afterburner/validate.ts';
import { execa } from 'execa';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble, inScratch, link, recordRanges, sectionBytes } from './tools.ts';

const ptRanges = (elf: string): Promise<[number, number][]> => recordRanges(elf, '.afterburn_pt');

/** Afterburns `src` with `options`, assembles and links the result in a scratch folder, and hands
 *  the rewrite's result, the linked image and the folder (for a plain build to compare) to `check`. */
async function afterburntIn(src: string, options: AfterburnOptions,
  check: (r: AfterburnResult, elf: string, dir: string) => Promise<void>): Promise<void> {
  await inScratch(async (dir) => {
    const r = afterburnAssembly(src, options);
    await check(r, await link(await assemble(dir, 'ab', r.output)), dir);
  });
}

/** Checks each range holds one store (objdump's text matching `store`) and PT_PADDING NOPs. */
function checkSites(insns: Instruction[], ranges: [number, number][], stores: RegExp[]): void {
  assert.is(ranges.length, stores.length, 'one record per expected site');
  ranges.forEach(([b, e], k) => {
    const inside = insns.filter((i) => i.address >= b && i.address < e);
    assert.match(inside[0]!.text, stores[k]!);
    assert.is(inside.length, 1 + PT_PADDING, `site ${k}: the store and its padding`);
    assert.ok(inside.slice(1).every((i) => i.text === 'nop'), `site ${k}: padding is NOPs`);
    assert.is(e - b, inside[0]!.length + PT_PADDING);
  });
}

test('.afterburn_pte: the next store becomes a page-table site; GNU as alone skips the directive', async () => {
  const src = [
    '.text',
    'f:',
    '\tmovl %ecx, 4(%edx)',
    '\t.if 0; .afterburn_pte; .endif',
    '\tmovl %ecx, (%eax)',
    '\t.if 0',
    '\t.afterburn_pte',
    '\t.endif',
    '\tmovl $0, 8(%ebx,%esi,4)',
    '\tcli',
    '\tret',
    '',
  ].join('\n');
  await afterburntIn(src, {}, async (r, elf, dir) => {
    assert.is(r.pageTableSites, 2);
    assert.equal(r.sites, { cli: 1 });
    checkSites(await disassemble(elf), await ptRanges(elf), [/^mov\s+%ecx,\(%eax\)$/, /^movl\s+\$0x0,0x8\(%ebx,%esi,4\)$/]);
    // Unafterburnt: the same instructions, no record, no padding.
    const plain = await link(await assemble(dir, 'plain', src));
    assert.is(await sectionBytes(plain, '.afterburn_pt'), '');
    const texts = (await disassemble(plain)).map((i) => i.text.replace(/\s+/g, ' '));
    assert.equal(texts, ['mov %ecx,0x4(%edx)', 'mov %ecx,(%eax)', 'movl $0x0,0x8(%ebx,%esi,4)', 'cli', 'ret']);
  });
});

test('profile feedback: the 32-bit stores on a named source line become sites, others stay', async () => {
  const src = [
    '\t.file "vm.c"',
    '\t.text',
    '\t.file 1 "vm.c"',
    '\t.file 2 "arch/native/archdefs.h"',
    'g:',
    '\t.loc 1 10 3',
    '\tmovl %edx, (%eax)',
    '\t.loc 2 29 3',
    '\tmovl %edx, 4(%eax)',
    '\tmovl $7, (%ecx)',
    '\tmovw %dx, (%ecx)',
    '\taddl %edx, (%eax)',
    '\t.loc 1 11 3',
    '\tmovl %edx, 8(%eax)',
    '\tret',
    '',
  ].join('\n');
  await afterburntIn(src, { pageTableLines: parseFeedback('# profile\npte ./arch/native/../native/archdefs.h:29\n').pte }, async (r, elf) => {
    assert.is(r.pageTableSites, 2);
    checkSites(await disassemble(elf), await ptRanges(elf), [/^mov\s+%edx,0x4\(%eax\)$/, /^movl\s+\$0x7,\(%ecx\)$/]);
    assert.is(afterburnAssembly(src).pageTableSites, 0, 'no feedback, no site');
  });
});

// Linux writes its page-table entries in inline functions of headers (native_set_pte in
// arch/x86/include/asm/pgtable-2level.h). Compiled as Kbuild compiles with KCFLAGS=-g (an absolute
// include path, both trees mapped to '.'), gcc puts an inlined store on the header's line or on
// the caller's, each through a `.file N` of its own; the oracle is GNU addr2line on the linked
// image, which reads the same line table `world netperf --feedback-out` reads: every 32-bit store
// whose location the feedback names is a site, but a store to the stack, and nothing else is.
test('profile feedback from gcc -g: stores of an inlined header line and of its callers\' lines, by addr2line', async () => {
  await inScratch(async (dir) => {
    const src = join(dir, 'src'), build = join(dir, 'build');
    mkdirSync(join(src, 'inc/asm'), { recursive: true });
    mkdirSync(build);
    writeFileSync(join(src, 'inc/asm/pt.h'), [
      'static inline void set_entry(unsigned *p, unsigned v)',
      '{',
      '\t*p = v;',                              // line 3
      '}',
      '',
    ].join('\n'));
    writeFileSync(join(src, 'mm.c'), [
      '#include <asm/pt.h>',
      'unsigned *table;',
      'void (*use)(unsigned *);',
      'void map(unsigned i, unsigned v)',
      '{',
      '\tset_entry(&table[i], v | 1);',          // line 6
      '\ttable[i + 1] = v;',                      // line 7: a store the feedback does not name
      '}',
      'void local(unsigned v)',
      '{',
      '\tunsigned copy[4];',
      '\tset_entry(&copy[1], v);',               // line 12: the header's store to the stack
      '\tuse(copy);',
      '}',
      '',
    ].join('\n'));
    const cc = await execa('gcc', ['-m32', '-O2', '-fno-pic', '-S', '-o', '-', `-I${join(src, 'inc')}`, '-g', '-gno-record-gcc-switches',
      '-gno-variable-location-views', `-fdebug-prefix-map=${src}=.`, `-fdebug-prefix-map=${build}=.`, join(src, 'mm.c')], { cwd: build, reject: false });
    assert.is(cc.exitCode, 0, cc.stderr);
    const named = new Set(['inc/asm/pt.h:3', 'mm.c:6', 'mm.c:12']);
    const r = afterburnAssembly(`${cc.stdout}\n`, { pageTableLines: parseFeedback([...named].map((l) => `pte ./${l}\n`).join('')).pte });
    const elf = await link(await assemble(dir, 'ab', r.output));
    const insns = await disassemble(elf);
    const stores = insns.filter((i) => /^mov\s+(?:%e[a-z]{2}|\$0x[0-9a-f]+),.*\(/.test(i.text));
    const where = await execa('addr2line', ['-e', elf, ...stores.map((i) => `0x${i.address.toString(16)}`)]);
    const locs = where.stdout.trim().split('\n').map((l) => normalizeSourcePath(l.replace(/ \(discriminator \d+\)$/, '')));
    assert.is(locs.length, stores.length);
    const begins = new Set((await ptRanges(elf)).map(([b]) => b));
    const onStack = (i: Instruction): boolean => /%esp\)$/.test(i.text);
    const want = stores.filter((i, k) => named.has(locs[k]!) && !onStack(i));
    assert.equal(stores.filter((i) => begins.has(i.address)).map((i) => i.text), want.map((i) => i.text), 'the sites are the named lines\' stores');
    assert.is(begins.size, want.length);
    assert.ok(want.length >= 1, 'the page-table store is a site');
    assert.ok(stores.some((i, k) => named.has(locs[k]!) && onStack(i)), 'a store to the stack on a named line (gcc puts the copy on the header\'s line or the caller\'s) stays plain');
    assert.ok(stores.some((i, k) => locs[k] === 'mm.c:7' && !onStack(i)), 'line 7\'s store has a line of its own and stays plain');
  });
});

test('profile feedback: device-memory accesses on a named line are recorded in .afterburn_mmio, unpadded', async () => {
  const src = [
    '\t.text',
    '\t.file 1 "dp83820.c"',
    'h:',
    '\t.loc 1 40 3',
    '\tmovl 0x14(%eax), %edx',
    '\tleal 4(%eax), %ecx',
    '\tmovl %edx, 0x10(%eax)',
    '\t.loc 1 41 3',
    '\tmovl 0x18(%eax), %edx',
    '\tret',
    '',
  ].join('\n');
  await afterburntIn(src, { deviceLines: parseFeedback('mmio dp83820.c:40\n').mmio }, async (r, elf, dir) => {
    assert.is(r.deviceSites, 2);
    const insns = await disassemble(elf);
    const texts: string[] = [];
    for (const [b, e] of await recordRanges(elf, '.afterburn_mmio')) {
      const inside = insns.filter((x) => x.address >= b && x.address < e);
      assert.is(inside.length, 1);
      assert.is(e - b, inside[0]!.length, 'no padding');
      texts.push(inside[0]!.text.replace(/\s+/g, ' '));
    }
    assert.equal(texts, ['mov 0x14(%eax),%edx', 'mov %edx,0x10(%eax)']);
    const plain = await link(await assemble(dir, 'plain', src));
    assert.equal((await disassemble(plain)).map((i) => i.text), insns.map((i) => i.text), 'code unchanged');
  });
});

test('feedback file: one `pte file:line` a line, comments allowed, anything else named', () => {
  const fb = parseFeedback('# x\n\npte a/b.c:3  # why\nmmio ./d.c:7\n');
  assert.equal([...fb.pte], ['a/b.c:3']);
  assert.equal([...fb.mmio], ['d.c:7']);
  assert.throws(() => parseFeedback('pte a.c\n', 'f'), (e: unknown) => e instanceof FeedbackError && /f:1: expected/.test((e as Error).message));
  assert.throws(() => parseFeedback('io a.c:3\n'), (e: unknown) => e instanceof FeedbackError);
});

test.run();
