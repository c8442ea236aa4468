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

function run(elf: Uint8Array, wedge?: Uint8Array) {
  const r = runKernel({
    elf, kernelName: 'kernel', mem: 64 << 20, cmdline: '', maxInstructions: 5_000_000,
    ...(wedge ? { backend: 'xen' as const, wedge, wedgeName: 'wedge-xen.elf' } : {}),
  });
  return { r, lines: Buffer.from(r.serialOutput).toString().split('\n').filter((l) => l !== '') };
}

test('each form prints the same under the wedge on Xen as executed by the CPU on hardware', async () => {
  const asDir = await afterburnAsDir();
  const [native, afterburnt, wedge] = await Promise.all([build([]), build(['-B', asDir]), buildWedge()]);
  const hw = run(native);
  assert.is(hw.r.exitCode, 0, `${hw.r.reason}\n${hw.lines.join('\n')}`);
  const xen = run(afterburnt, readFileSync(wedge.elf));
  assert.is(xen.r.exitCode, 0, `${xen.r.reason}\n${xen.lines.join('\n')}`);
  assert.is(xen.r.backend.mode, 'pv-wedge');
  assert.ok(xen.lines.some((l) => l.startsWith('[wedge]')), 'the wedge started the kernel');
  assert.equal(xen.lines.filter((l) => !l.startsWith('[wedge]')), hw.lines);
  assert.ok(hw.lines.includes('string out'), 'rep outsb printed its line');
  assert.is(hw.lines.length, 28, 'every observation printed, and the line rep outsb wrote');
});

test.run();
