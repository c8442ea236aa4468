// The guest kernel, afterburnt with the `as` drop-in, checked as the afterburner issue asks:
// its `.afterburn` section agrees with GNU objdump's disassembly (every range starts with a
// sensitive instruction followed only by its NOP padding; no sensitive instruction outside a
// range), and on qemu-system-i386 it prints what the native build prints — a real machine runs
// the NOPs (the slides' "afterburnt hardware").
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateAfterburnt } from '../../afterburner/validate.ts';
import { MEMORY, extraImagePages } from '../wedge/output.ts';

const root = new URL('../..', import.meta.url).pathname;
const kernelDir = join(root, 'guests/kernel');
const world = join(root, 'bin/world.js');

let dir = '';
let native = '';
let burnt = '';
/** Pages the afterburnt image occupies beyond the native one (its padding), which the page allocator does not have. */
let extraPages = 0;

async function make(out: string, cc: string): Promise<string> {
  const r = await execa('make', ['-C', kernelDir, `O=${out}`, `CC=${cc}`, 'UCC=gcc', '-j2'], { all: true, reject: false });
  if (r.exitCode !== 0) throw new Error(`make failed:\n${r.all}`);
  return join(out, 'kernel.elf');
}

// QEMU under icount: guest time is instruction count, not host time. The afterburnt build runs
// more instructions (the NOPs), so lines that report timer ticks legitimately differ; a
// single-process workload prints nothing timing-dependent but its kernel bookkeeping line.
async function qemu(elf: string, append: string): Promise<{ out: string; status: number }> {
  const r = await execa('qemu-system-i386', [
    '-icount', 'shift=0,sleep=off', '-kernel', elf, '-append', append, '-m', '32',
    '-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-no-reboot',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
  ], { reject: false, timeout: 60_000, stdin: 'ignore' });
  return { out: r.stdout.replace(/\r/g, ''), status: r.exitCode ?? -1 };
}

// Values that count timer ticks, preemptions or context switches depend on guest time.
// The command line QEMU passes starts with the kernel's path, which differs between the builds.
const untimed = (s: string): string =>
  s.split('\n')
    .map((l) => l.replace(/\S*\/kernel\.elf\b/g, 'kernel.elf'))
    .map((l) => l.replace(/\b(ticks|preempted|switches|idle)=\d+/g, '$1=*').replace(/slept (\d+) ms in \d+ ticks/, 'slept $1 ms in * ticks'))
    .join('\n');

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'world-ab-kernel-'));
  const asDir = (await execa('node', [world, 'afterburn', '--print-as-dir'], { cwd: root })).stdout.trim();
  [native, burnt] = await Promise.all([make(join(dir, 'native'), 'gcc'), make(join(dir, 'burnt'), `gcc -B ${asDir}`)]);
  extraPages = await extraImagePages(native, burnt);
});

test.after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the afterburnt kernel has sites and its .afterburn agrees with objdump', async () => {
  const r = await validateAfterburnt(burnt);
  assert.ok(r.ranges.length > 20, `only ${r.ranges.length} sites`);
  assert.equal(r.violations.map((v) => v.message), []);
  for (const kind of ['cli', 'sti', 'pushf', 'popf', 'iret', 'hlt', 'out', 'in', 'lgdt', 'lidt', 'ltr', 'invlpg']) {
    assert.ok((r.sensitive[kind] ?? 0) > 0, `no ${kind} found in the kernel`);
  }
});

test('the native kernel has no .afterburn section and the check says so (control)', async () => {
  const r = await validateAfterburnt(native);
  assert.is(r.ranges.length, 0);
  assert.ok(r.violations.some((v) => v.kind === 'unlisted'), 'sensitive instructions outside ranges were not flagged');
});

for (const append of ['run=cpu arg=7,12,4', 'run=fault arg=1', 'run=fault arg=2', 'run=init arg=6,40,5']) {
  test(`native and afterburnt print the same on QEMU: ${append}`, async () => {
    const [a, b] = await Promise.all([qemu(native, append), qemu(burnt, append)]);
    assert.is(b.status, a.status, 'exit status differs');
    assert.ok(a.out.includes('[kernel] shutdown'), `native kernel did not finish:\n${a.out}`);
    // Lines of different processes may interleave differently; compare each process's lines in order.
    const byOrigin = (s: string): string[] => untimed(s).split('\n').sort();
    // The native run's free pages, less the pages the larger afterburnt image keeps (nm's `end`).
    const expected = byOrigin(a.out).map((l) => {
      const m = MEMORY.exec(l);
      return m ? l.replace(/\d+ pages free$/, `${Number(m[2]) - extraPages} pages free`) : l;
    });
    assert.equal(byOrigin(b.out), expected);
  });
}

test.run();
