// The validator catches each way an ELF can disagree with its `.afterburn` section. The ELFs are
// written by hand (no afterburner involved), so each fault is exactly the one planted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateAfterburnt, type ViolationKind } from '../../afterburner/validate.ts';
import { assemble, link, scratchDir } from './tools.ts';

const { dir, cleanup } = scratchDir();
// A record in the afterburner's format (afterburner/records.ts): begin relative to the record, length.
const site = (b: string, e: string): string => `\t.pushsection .afterburn,"a"; .long ${b} - ., ${e} - ${b}; .popsection\n`;

async function kinds(name: string, source: string): Promise<ViolationKind[]> {
  const elf = await link(await assemble(dir, name, source));
  return (await validateAfterburnt(elf)).violations.map((v) => v.kind);
}

test('a correctly padded and recorded site passes', async () => {
  assert.equal(await kinds('good', `a: cli; .fill 7,1,0x90; b: inc %eax\n${site('a', 'b')}c: rep insb; .fill 13,1,0x90; d:\n${site('c', 'd')}`), []);
});

test('each planted fault is reported as its kind', async () => {
  assert.equal(await kinds('unlisted', '\tnop\n\tsti\n'), ['unlisted']);
  assert.equal(await kinds('not-sensitive', `a: nop; .fill 8,1,0x90; b:\n${site('a', 'b')}`), ['not-sensitive']);
  assert.equal(await kinds('short', `a: cli; nop; nop; nop; b:\n${site('a', 'b')}`), ['wrong-padding']);
  assert.equal(await kinds('not-nops', `a: cli; .fill 3,1,0x90; inc %eax; .fill 3,1,0x90; b:\n${site('a', 'b')}`), ['not-padded']);
  // begin points into the middle of movl, at the byte 0xfa (which alone would decode as cli)
  assert.equal(await kinds('mid', `a: movl $0xfa, %eax; .fill 8,1,0x90; b:\n${site('a+1', 'b')}`), ['no-instruction']);
  assert.equal(await kinds('reversed', `a: cli; .fill 7,1,0x90; b:\n${site('b', 'a')}${site('a', 'b')}`), ['bad-range']);
});

test('a relocatable object is refused: its ranges are not addresses yet', async () => {
  const obj = await assemble(dir, 'reloc', 'cli\n');
  try {
    await validateAfterburnt(obj);
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.match((err as Error).message, /link it first/);
  }
});

test.after(cleanup);
test.run();
