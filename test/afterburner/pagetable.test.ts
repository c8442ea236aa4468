// Page-table sites (afterburner/rewrite.ts, feedback.ts), checked against GNU as and objdump: a
// store marked `.afterburn_pte` (or on a source line the profile feedback names) is recorded in
// `.afterburn_pt` as [begin, end) around the store and exactly PT_PADDING NOPs; the directive
// inside `.if 0` is invisible to GNU as alone; nothing else changes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { afterburnAssembly, PT_PADDING } from '../../afterburner/rewrite.ts';
import { parseFeedback, FeedbackError } from '../../afterburner/feedback.ts';
import { disassemble, type Instruction } from '../../afterburner/validate.ts';
import { decodeRecords } from '../../afterburner/records.ts';
import { execa } from 'execa';
import { assemble, link, scratchDir, sectionBytes } from './tools.ts';

/** The [begin, end) ranges a section of records (afterburner/records.ts) names in a linked image,
 *  read with objdump. */
export async function recordRanges(elf: string, section: string): Promise<[number, number][]> {
  const r = await execa('objdump', ['-h', '-j', section, elf], { reject: false });
  const m = new RegExp(`\\s${section.replace('.', '\\.')}\\s+[0-9a-f]+\\s+([0-9a-f]+)`).exec(r.stdout);
  if (!m) return [];
  const hex = await sectionBytes(elf, section);
  return decodeRecords(parseInt(m[1]!, 16), Buffer.from(hex, 'hex')).map((s) => [s.begin, s.end]);
}
const ptRanges = (elf: string): Promise<[number, number][]> => recordRanges(elf, '.afterburn_pt');

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
  const { dir, cleanup } = scratchDir();
  try {
    const r = afterburnAssembly(src);
    assert.is(r.pageTableSites, 2);
    assert.equal(r.sites, { cli: 1 });
    const elf = await link(await assemble(dir, 'ab', r.output));
    checkSites(await disassemble(elf), await ptRanges(elf), [/^mov\s+%ecx,\(%eax\)$/, /^movl\s+\$0x0,0x8\(%ebx,%esi,4\)$/]);
    // Unafterburnt: the same instructions, no record, no padding.
    const plain = await link(await assemble(dir, 'plain', src));
    assert.is(await sectionBytes(plain, '.afterburn_pt'), '');
    const texts = (await disassemble(plain)).map((i) => i.text.replace(/\s+/g, ' '));
    assert.equal(texts, ['mov %ecx,0x4(%edx)', 'mov %ecx,(%eax)', 'movl $0x0,0x8(%ebx,%esi,4)', 'cli', 'ret']);
  } finally {
    cleanup();
  }
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
  const { dir, cleanup } = scratchDir();
  try {
    const r = afterburnAssembly(src, { pageTableLines: parseFeedback('# profile\npte ./arch/native/../native/archdefs.h:29\n').pte });
    assert.is(r.pageTableSites, 2);
    const elf = await link(await assemble(dir, 'fb', r.output));
    checkSites(await disassemble(elf), await ptRanges(elf), [/^mov\s+%edx,0x4\(%eax\)$/, /^movl\s+\$0x7,\(%ecx\)$/]);
    assert.is(afterburnAssembly(src).pageTableSites, 0, 'no feedback, no site');
  } finally {
    cleanup();
  }
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
  const { dir, cleanup } = scratchDir();
  try {
    const r = afterburnAssembly(src, { deviceLines: parseFeedback('mmio dp83820.c:40\n').mmio });
    assert.is(r.deviceSites, 2);
    const elf = await link(await assemble(dir, 'io', r.output));
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
  } finally {
    cleanup();
  }
});

test('feedback file: one `pte file:line` a line, comments allowed, anything else named', () => {
  const fb = parseFeedback('# x\n\npte a/b.c:3  # why\nmmio ./d.c:7\n');
  assert.equal([...fb.pte], ['a/b.c:3']);
  assert.equal([...fb.mmio], ['d.c:7']);
  assert.throws(() => parseFeedback('pte a.c\n', 'f'), (e: unknown) => e instanceof FeedbackError && /f:1: expected/.test((e as Error).message));
  assert.throws(() => parseFeedback('io a.c:3\n'), (e: unknown) => e instanceof FeedbackError);
});

test.run();
