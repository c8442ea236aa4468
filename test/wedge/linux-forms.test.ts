// The sensitive forms Linux 6.1 adds to what the wedge rewrites (MSRs, debug registers, string
// I/O, lss, sgdt/sidt/sldt/str/lldt, segment moves through memory, ESP-relative operands), run:
// a small Multiboot kernel executes each and prints what it observed. The oracle is the CPU
// model executing the instructions themselves on the hardware configuration; the afterburnt
// build under the wedge on Xen, where every one of them is a rewritten site running on the
// virtual CPU, must print the same lines (the wedge's own start-up line aside).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { mkdtemp } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKernel } from '../../emulator/run.ts';
import { afterburnAsDir, buildWedge } from './build.ts';

const here = new URL('.', import.meta.url).pathname;

async function build(cc: string[]): Promise<Uint8Array> {
  const out = await mkdtemp(join(tmpdir(), 'wedge-forms-'));
  const obj = join(out, 'forms.o'), elf = join(out, 'forms.elf');
  await execa('gcc', [...cc, '-m32', '-c', '-o', obj, join(here, 'fixtures/linux-forms.S')]);
  await execa('ld', ['-m', 'elf_i386', '-Ttext-segment=0x100000', '-z', 'noexecstack', '-e', '_start', '-o', elf, obj]);
  return readFileSync(elf);
}

function run(elf: Uint8Array, wedge?: { backend: 'xen' | 'l4'; elf: string }) {
  const r = runKernel({
    elf, kernelName: 'kernel', mem: 64 << 20, cmdline: '', maxInstructions: 5_000_000,
    ...(wedge ? { backend: wedge.backend, wedge: readFileSync(wedge.elf), wedgeName: `wedge-${wedge.backend}.elf` } : {}),
  });
  return { r, lines: Buffer.from(r.serialOutput).toString().split('\n').filter((l) => l !== '') };
}

let hw: ReturnType<typeof run>;
let afterburnt: Uint8Array;

test.before(async () => {
  const asDir = await afterburnAsDir();
  let native: Uint8Array;
  [native, afterburnt] = await Promise.all([build([]), build(['-B', asDir])]);
  hw = run(native);
});

test('on hardware: the CPU executes every form and the kernel exits', () => {
  assert.is(hw.r.exitCode, 0, `${hw.r.reason}\n${hw.lines.join('\n')}`);
  assert.ok(hw.lines.includes('string out'), 'rep outsb printed its line');
  assert.is(hw.lines.length, 28, 'every observation printed, and the line rep outsb wrote');
});

for (const backend of ['xen', 'l4'] as const) {
  test(`afterburnt under the wedge on ${backend}: the same observations`, async () => {
    const wedge = await buildWedge(backend);
    const v = run(afterburnt, { backend, elf: wedge.elf });
    assert.is(v.r.exitCode, 0, `${v.r.reason}\n${v.lines.join('\n')}`);
    assert.is(v.r.backend.mode, 'pv-wedge');
    assert.equal(v.lines.filter((l) => !l.startsWith('[wedge]')), hw.lines);
  });
}

test.run();
