// `world boot` end to end: exit status from the debug-exit port, serial to stdout or a file,
// the statistics and trace files, modules, and the exit-2 errors for bad arguments.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { tinyKernel } from './support/tiny-kernel.ts';
import { bootHere } from '../cli/boot-here.ts';

const world = new URL('../../bin/world.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'world-boot-cli-'));
const file = (name: string, data: string | Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
};
const boot = (...args: string[]) => execa('node', [world, 'boot', ...args], { reject: false, timeout: 60_000 });


// Prints "ok", then the first module's bytes and its string, then exits with the value in
// the module's first byte (read through the multiboot info in EBX).
const kernel = file('k.elf', tinyKernel(`
main:
  movl %ebx, %edi            /* multiboot info */
  movl $ok, %esi
  call puts
  movl 24(%edi), %edx        /* mods_addr */
  movl (%edx), %esi          /* mod_start */
  movb (%esi), %bl           /* exit value: the module's first byte */
  incl %esi
  call puts                  /* the rest of the module, NUL-terminated */
  movb $0x20, %al; call putc
  movl 8(%edx), %esi         /* the module's string */
  call puts
  movb %bl, %al
  jmp exit
ok: .asciz "ok "
`));
const module = file('mod.bin', Uint8Array.from([3, ...Buffer.from('payload'), 0]));

test('serial goes to stdout; the exit status is the value written to 0xf4', async () => {
  const r = await boot(kernel, '--module', `${module},arg1 arg2`);
  assert.is(r.stdout, `ok payload ${module} arg1 arg2`);
  assert.is(r.exitCode, 3);
  assert.is(r.stderr, '');
});

test('under an address-space limit too small for a WebAssembly memory (V8 reserves about 10 GiB) the kernel boots all the same', async () => {
  const r = await execa('sh', ['-c', 'ulimit -v 6000000 && exec node "$0" boot "$1" --module "$2"', world, kernel, `${module},arg1 arg2`], { reject: false, timeout: 60_000 });
  assert.is(r.stdout, `ok payload ${module} arg1 arg2`);
  assert.is(r.exitCode, 3);
});

test('--serial, --stats and --trace write files; stats are JSON with the figures', async () => {
  const serial = join(dir, 'serial.txt'), stats = join(dir, 'stats.json'), trace = join(dir, 'trace.txt');
  const r = await boot(kernel, '--module', module, '--serial', serial, '--stats', stats, '--trace', trace, '--trace-limit', '5', '--mem', '32M');
  assert.is(r.exitCode, 3);
  assert.is(r.stdout, '');
  assert.is(readFileSync(serial, 'utf8'), `ok payload ${module}`);
  const s = JSON.parse(readFileSync(stats, 'utf8'));
  assert.is(s.mem_bytes, 32 << 20);
  assert.is(s.stop.exit_value, 3);
  assert.ok(s.instructions > 0);
  assert.is(s.cycles.busy + s.cycles.idle, s.cycles.total);
  const lines = readFileSync(trace, 'utf8').trimEnd().split('\n');
  assert.is(lines.length, 6, 'five instructions and the note that tracing stopped');
  // First line: the multiboot entry state before the first instruction (cli = fa at _start).
  assert.match(lines[0]!, /^0 0008:00100[0-9a-f]{3} fa +eax=2badb002 /);
  assert.match(lines[1]!, /^\d+ 0008:[0-9a-f]{8} 0f 01 15 [0-9a-f ]{11} +eax=/, 'lgdt with its 4-byte address');
  assert.match(lines[5]!, /trace limit reached/);
});

test('a guest that stops without writing 0xf4 exits non-zero with one line on stderr', async () => {
  const halt = file('halt.elf', tinyKernel('main:\n  cli\n  hlt\n'));
  const r = await boot(halt);
  assert.is(r.exitCode, 125);
  assert.match(r.stderr, /^world boot: hlt with interrupts disabled[^\n]*$/);
  const spin = file('spin.elf', tinyKernel('main:\n1: jmp 1b\n'));
  const b = await bootHere(spin, '--max-instructions', '1000');
  assert.is(b.exitCode, 124);
  assert.match(b.stderr, /instruction budget of 1000 spent/);
});

test('bad arguments exit 2 with a clear message', async () => {
  const usage = await boot(join(dir, 'missing.elf'));
  assert.is(usage.exitCode, 2, 'through the real CLI too');
  const cases: [string[], RegExp][] = [
    [[join(dir, 'missing.elf')], /missing\.elf: no such file/],
    [[file('text.txt', 'not a kernel')], /not an ELF/],
    [[file('plain.elf', readFileSync('/bin/true'))], /not (a multiboot kernel|an ELF)/],
    [[kernel, '--profile', 'p5-90mhz'], /unknown profile 'p5-90mhz' \(bundled: p4-2\.8ghz\)/],
    [[kernel, '--mem', 'lots'], /--mem 'lots': expected a size/],
    [[kernel, '--mem', '1M'], /RAM must be between/],
    [[kernel, '--max-instructions', '-5'], /--max-instructions/],
    [[], /missing the kernel \(a multiboot ELF or a Linux bzImage\)/],
    [[kernel, '--module', join(dir, 'nope.bin')], /module .*nope\.bin: no such file/],
  ];
  for (const [args, message] of cases) {
    const r = await bootHere(...args);
    assert.is(r.exitCode, 2, `${args.join(' ')}: exit ${r.exitCode}, stderr ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.not.ok(existsSync(join(dir, 'stats-bad.json')));
});

test('a profile file with a figure lacking its source is refused, naming the key path', async () => {
  const profile = JSON.parse(readFileSync(new URL('../../emulator/profiles/p4-2.8ghz.json', import.meta.url), 'utf8'));
  delete profile.costs.popf.source;
  const p = file('bad-profile.json', JSON.stringify(profile));
  const r = await bootHere(kernel, '--profile', p);
  assert.is(r.exitCode, 2);
  assert.match(r.stderr, /bad-profile\.json: costs\.popf\.source: every figure needs a source/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
