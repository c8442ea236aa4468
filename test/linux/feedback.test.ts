// The afterburnt Linux's page-table sites come from its profile feedback (feedback/linux.txt,
// written by `world netperf --feedback-out` from a run under the Xen wedge; recipes/linux.md,
// "Profile feedback"). Oracles: GNU objdump (the records of .afterburn_pt and the instructions
// of vmlinux) and GNU addr2line (vmlinux's line table, which --feedback-out read when it wrote
// the file): each record holds one 32-bit mov store and the wedge's padding, and the recorded
// stores are exactly the mov stores outside the stack whose source line the feedback names.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PT_PADDING } from '../../afterburner/rewrite.ts';
import { disassemble } from '../../afterburner/validate.ts';
import { recordRanges } from '../afterburner/tools.ts';
import { worldLinux } from './world-build.ts';
import { isWordStore, linuxFeedback, onStack, sourceLines } from './feedback-oracle.ts';

const linux = await worldLinux('afterburnt');
const vmlinux = linux.vmlinux!;

test('every .afterburn_pt record of vmlinux is a store on a line the feedback names, and every such store is one', async () => {
  const fb = linuxFeedback();
  assert.ok(fb.pte.size > 0, 'feedback/linux.txt names page-table writes');
  const insns = await disassemble(vmlinux);
  const ranges = await recordRanges(vmlinux, '.afterburn_pt');
  assert.ok(ranges.length > 0, 'vmlinux records page-table sites');
  const at = new Map(insns.map((i, k) => [i.address, k]));
  for (const [b, e] of ranges) {
    const k = at.get(b);
    assert.ok(k !== undefined, `a record begins at 0x${b.toString(16)}, where objdump decodes no instruction`);
    const store = insns[k!]!;
    assert.ok(isWordStore(store.text) && !onStack(store.text), `0x${b.toString(16)}: ${store.text}`);
    const pad = insns.slice(k! + 1, k! + 1 + PT_PADDING);
    assert.ok(pad.every((i) => i.text === 'nop'), `0x${b.toString(16)}: the padding is ${PT_PADDING} nops`);
    assert.is(e - b, store.length + PT_PADDING);
  }
  const stores = insns.filter((i) => isWordStore(i.text));
  const lines = await sourceLines(vmlinux, stores.map((i) => i.address));
  const named = stores.filter((i, k) => fb.pte.has(lines[k]!) && !onStack(i.text)).map((i) => i.address);
  assert.equal(ranges.map(([b]) => b).sort((x, y) => x - y), named.sort((x, y) => x - y));
});

test.run();
