// The validator is the rewriter's oracle, so it must catch a wrong rewriter table: the rewriter
// is run here with deliberately wrong tables (a padding off by one, a kind left out, a plain
// instruction taken for sensitive) over one instruction of every kind, and the validator, which
// judges by opcode bytes and its own copy of the published padding (afterburner/oracle.ts), must
// report each fault; with the real table it must report none.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { afterburnAssembly } from '../../afterburner/rewrite.ts';
import { TABLE, type SensitiveTable } from '../../afterburner/sensitive.ts';
import { validateAfterburnt, type ViolationKind } from '../../afterburner/validate.ts';
import { assemble, link, scratchDir } from './tools.ts';

const { dir, cleanup } = scratchDir();

// One instruction of each kind the published list names (and the far call), in GNU as syntax.
const EVERY_KIND = `
  popf; pushf; lgdt (%eax); sgdt (%eax); lidt (%eax); sidt (%eax); ljmp $8, $0; ljmp *(%eax)
  lcall $8, $0; lcall *(%eax); lds (%eax), %eax; les (%eax), %eax; lfs (%eax), %eax
  lgs (%eax), %eax; lss (%eax), %eax; clts; hlt; cli; sti; lldt %ax; sldt %ax; ltr %ax; str %ax
  inb $0x21, %al; inl (%dx), %eax; rep insb; outb %al, $0x21; outsl; invlpg (%eax); iret; lret
  lret $4; cpuid; wrmsr; rdmsr; int $0x80; ud2; invd; wbinvd; smsw %ax; lmsw %ax; arpl %ax, (%eax)
  lar %eax, %eax; lsl %eax, %eax; rsm; push %ds; push %fs; pop %es; pop %gs
  mov %eax, %ds; mov %ss, %eax; mov %cr3, %eax; mov %eax, %cr0; mov %db7, %eax
  push %eax; pop %ebx; mov %eax, %ebx; mov %fs:(%eax), %ebx; int3; nop
`.replace(/;/g, '\n');

async function violations(name: string, table: SensitiveTable): Promise<{ kind: ViolationKind; site?: string }[]> {
  const { output } = afterburnAssembly(`\t.text\n${EVERY_KIND}`, { table });
  const elf = await link(await assemble(dir, name, output));
  return (await validateAfterburnt(elf)).violations.map(({ kind, site }) => ({ kind, site }));
}

test('the real table: every kind recorded and padded as the validator expects', async () => {
  assert.equal(await violations('real', TABLE), []);
});

test('a padding off by one (cli 6 instead of 7) is a wrong-padding violation', async () => {
  const table: SensitiveTable = { ...TABLE, paddingFor: (k) => (k === 'cli' ? 6 : TABLE.paddingFor(k)) };
  assert.equal(await violations('short-cli', table), [{ kind: 'wrong-padding', site: 'cli' }]);
});

test('a kind left out of the table (sti) is an unlisted sensitive instruction', async () => {
  const table: SensitiveTable = { ...TABLE, classify: (m, o, n) => (m === 'sti' ? null : TABLE.classify(m, o, n)) };
  assert.equal(await violations('no-sti', table), [{ kind: 'unlisted', site: 'sti' }]);
});

test('a plain instruction taken for sensitive (push %eax) is a not-sensitive violation', async () => {
  const table: SensitiveTable = { ...TABLE, classify: (m, o, n) => (m === 'push' && o.trim() === '%eax' ? 'push' : TABLE.classify(m, o, n)) };
  assert.equal((await violations('push-eax', table)).map((v) => v.kind), ['not-sensitive']);
});

test('the segment-override prefix is not sensitive, a segment register operand is', async () => {
  const table: SensitiveTable = { ...TABLE, classify: (m, o, n) => (m === 'mov' && o.includes('%fs:') ? 'mov' : TABLE.classify(m, o, n)) };
  assert.equal((await violations('fs-override', table)).map((v) => v.kind), ['not-sensitive']);
});

test.after(cleanup);
test.run();
