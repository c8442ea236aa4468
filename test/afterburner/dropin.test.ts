// The `as` drop-in end to end: gcc -B builds afterburn without touching sources, invocations it
// does not target reach the real assembler unchanged, every argument survives, bad input fails
// with the real assembler's own message, and reports land where the orchestrator reads them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { accessSync, constants, cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ensureAsDir } from '../../afterburner/as-dir.ts';
import { mergeReports } from '../../afterburner/report.ts';
import { readAfterburnRanges, validateAfterburnt } from '../../afterburner/validate.ts';
import { scratchDir, sectionBytes } from './tools.ts';

const world = new URL('../../bin/world.js', import.meta.url).pathname;
const fixtures = new URL('./fixtures/', import.meta.url).pathname;
const { dir, cleanup } = scratchDir();
const CFLAGS = ['-m32', '-ffreestanding', '-fno-pic', '-mno-sse', '-mno-mmx', '-nostdlib', '-O2'];
let asDir = '';

test.before(async () => {
  asDir = (await execa('node', [world, 'afterburn', '--print-as-dir'])).stdout.trim();
});

test('--print-as-dir prints a directory holding an executable as, the same one each time', async () => {
  accessSync(join(asDir, 'as'), constants.X_OK);
  const again = (await execa('node', [world, 'afterburn', '--print-as-dir'])).stdout.trim();
  assert.is(again, asDir);
});

test('gcc -B afterburns C and .S files: the linked ELF passes validation', async () => {
  const c = join(dir, 'sensitive.o');
  const s = join(dir, 'entry.o');
  await execa('gcc', [...CFLAGS, '-B', asDir, '-c', join(fixtures, 'sensitive.c'), '-o', c]);
  await execa('gcc', [...CFLAGS, '-B', asDir, '-c', join(fixtures, 'entry.S'), '-o', s]);
  const elf = join(dir, 'k.elf');
  await execa('ld', ['-m', 'elf_i386', '-Ttext=0x100000', '-e', 'start', '-o', elf, s, c]);
  const r = await validateAfterburnt(elf);
  assert.equal(r.violations, []);
  const found = Object.values(r.sensitive).reduce((a, b) => a + b, 0);
  assert.ok(found >= 20, `objdump finds the fixture's sensitive instructions (${found})`);
  assert.is(r.ranges.length, found, 'one range per sensitive instruction');
});

test('the same build without the drop-in fails validation on every sensitive instruction', async () => {
  const c = join(dir, 'plain.o');
  await execa('gcc', [...CFLAGS, '-c', join(fixtures, 'sensitive.c'), '-o', c]);
  const elf = join(dir, 'plain.elf');
  await execa('ld', ['-m', 'elf_i386', '-Ttext=0x100000', '-e', 'checksum', '-o', elf, c]);
  const r = await validateAfterburnt(elf);
  const found = Object.values(r.sensitive).reduce((a, b) => a + b, 0);
  assert.ok(found > 0);
  assert.is(r.violations.filter((v) => v.kind === 'unlisted').length, found);
});

// Position-independent code, as in Linux's vDSO (a shared object that must have no dynamic
// relocation) and its compressed boot wrapper (linked -pie, with no run-time relocation allowed).
const PIC_SOURCE = `
static inline int sys(int nr, int a) { int r; __asm__ volatile("int $0x80" : "=a"(r) : "0"(nr), "b"(a) : "memory"); return r; }
static inline unsigned flags(void) { unsigned f; __asm__ volatile("pushfl; popl %0; cli" : "=r"(f) :: "memory"); return f; }
static inline void restore(unsigned f) { __asm__ volatile("pushl %0; popfl" :: "r"(f) : "memory", "cc"); }
static inline unsigned char port(unsigned short p) { unsigned char v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
void _start(void) { restore(flags()); sys(1, port(0x64)); }
`;

/** objdump -R's dynamic relocation lines (empty when there are none). */
async function dynamicRelocations(elf: string): Promise<string[]> {
  const r = await execa('objdump', ['-R', elf], { reject: false });
  return r.stdout.split('\n').filter((l) => /^[0-9a-f]{8} +R_386_/.test(l));
}

test('a shared object and a PIE link with no dynamic relocation, and their sites validate', async () => {
  const src = join(dir, 'pic.c');
  writeFileSync(src, PIC_SOURCE);
  const o = join(dir, 'pic.o');
  await execa('gcc', ['-m32', '-ffreestanding', '-fPIC', '-fvisibility=hidden', '-O2', '-B', asDir, '-c', src, '-o', o]);
  for (const [name, flags] of [['pic.so', ['-shared']], ['pic.pie', ['-pie', '-e', '_start']]] as const) {
    const elf = join(dir, name);
    await execa('ld', ['-m', 'elf_i386', ...flags, '-o', elf, o]);
    assert.equal(await dynamicRelocations(elf), [], `${name}: no dynamic relocation`);
    const r = await validateAfterburnt(elf);
    assert.equal(r.violations, [], `${name}: sites agree with objdump`);
    assert.equal(r.sensitive, { cli: 1, in: 1, int: 1, popf: 1, pushf: 1 }, `${name}: what objdump finds`);
  }
  // Control: absolute addresses (the records' former format) do need dynamic relocations there.
  const abs = join(dir, 'abs.s');
  writeFileSync(abs, '\t.text\na: cli\nb:\n\t.pushsection .afterburn,"a"; .long a, b; .popsection\n');
  await execa('as', ['--32', '-o', join(dir, 'abs.o'), abs]);
  await execa('ld', ['-m', 'elf_i386', '-shared', '-o', join(dir, 'abs.so'), join(dir, 'abs.o')]);
  assert.ok((await dynamicRelocations(join(dir, 'abs.so'))).length > 0, 'absolute records need dynamic relocations');
});

test('gcc -pipe (assembly on standard input) is afterburnt too', async () => {
  const o = join(dir, 'pipe.o');
  await execa('gcc', [...CFLAGS, '-pipe', '-B', asDir, '-c', join(fixtures, 'sensitive.c'), '-o', o]);
  const ref = join(dir, 'file.o');
  await execa('gcc', [...CFLAGS, '-B', asDir, '-c', join(fixtures, 'sensitive.c'), '-o', ref]);
  assert.ok((await sectionBytes(o, '.afterburn')).length > 0);
  assert.is(await sectionBytes(o, '.text'), await sectionBytes(ref, '.text'));
});

test('without the daemon (one Node process per call) the objects are the same', async () => {
  const viaDaemon = join(dir, 'daemon.o');
  const perCall = join(dir, 'percall.o');
  await execa('gcc', [...CFLAGS, '-B', asDir, '-c', join(fixtures, 'sensitive.c'), '-o', viaDaemon]);
  await execa('gcc', [...CFLAGS, '-B', asDir, '-c', join(fixtures, 'sensitive.c'), '-o', perCall], { env: { WORLD_AFTERBURN_NO_DAEMON: '1' } });
  for (const section of ['.text', '.afterburn']) {
    const a = await sectionBytes(viaDaemon, section);
    assert.ok(a.length > 0);
    assert.is(await sectionBytes(perCall, section), a, section);
  }
});

test('--version and --64 calls reach the real as unchanged', async () => {
  const mine = await execa(join(asDir, 'as'), ['--version']);
  const real = await execa('as', ['--version']);
  assert.is(mine.stdout, real.stdout);
  const src = join(dir, 'sixty-four.s');
  writeFileSync(src, '\tcli\n\tmovq %cr3, %rax\n');
  await execa(join(asDir, 'as'), ['--64', '-o', join(dir, 'm64.o'), src]);
  await execa('as', ['--64', '-o', join(dir, 'r64.o'), src]);
  assert.ok(readFileSync(join(dir, 'm64.o')).equals(readFileSync(join(dir, 'r64.o'))), 'byte-identical object');
});

test('bad input fails with the real assembler\'s message and status', async () => {
  const src = join(dir, 'bad.s');
  writeFileSync(src, '\tcli\n\tnop\n\tfrobnicate %eax\n\tmovl %cr3, %eax, %ebx\n');
  const mine = await execa(join(asDir, 'as'), ['--32', '-o', join(dir, 'bad1.o'), src], { reject: false });
  const real = await execa('as', ['--32', '-o', join(dir, 'bad2.o'), src], { reject: false });
  assert.ok(real.exitCode !== 0);
  assert.is(mine.exitCode, real.exitCode);
  assert.is(mine.stderr, real.stderr);
});

test('every argument is kept: --defsym, -I with .include, response files', async () => {
  writeFileSync(join(dir, 'inc.s'), '\tnop\n');
  const src = join(dir, 'args.s');
  writeFileSync(src, '\t.include "inc.s"\n\t.if WANT_CLI\n\tcli\n\t.endif\n\thlt\n');
  const out = join(dir, 'args.o');
  const rsp = join(dir, 'args.rsp');
  writeFileSync(rsp, `--32 --defsym WANT_CLI=1 -o "${out}" ${src}\n`);
  await execa(join(asDir, 'as'), ['-I', dir, `@${rsp}`]);
  const r = await execa('objdump', ['-d', out]);
  assert.match(r.stdout, /nop[\s\S]*cli[\s\S]*hlt/);
  const elf = join(dir, 'args.elf');
  await execa('ld', ['-m', 'elf_i386', '-Ttext=0x1000', '-e', '0', '-o', elf, out]);
  assert.is((await readAfterburnRanges(elf)).length, 2, 'cli and hlt recorded');
});

test('WORLD_AFTERBURN_REPORT_DIR gets one report per object, named by the hash of its path', async () => {
  const reports = join(dir, 'reports');
  const env = { WORLD_AFTERBURN_REPORT_DIR: reports };
  // Sources are named relative to the build's directory (here: the fixtures).
  await execa('gcc', [...CFLAGS, '-B', asDir, '-c', 'sensitive.c', '-o', join(dir, 'r1.o')], { env, cwd: fixtures });
  await execa('gcc', [...CFLAGS, '-B', asDir, '-c', 'entry.S', '-o', join(dir, 'r2.o')], { env, cwd: fixtures });
  const name = createHash('sha256').update(resolve(dir, 'r1.o')).digest('hex') + '.json';
  assert.equal(readdirSync(reports).sort(), [name, createHash('sha256').update(resolve(dir, 'r2.o')).digest('hex') + '.json'].sort());
  const one = JSON.parse(readFileSync(join(reports, name), 'utf8'));
  assert.is(one.source, 'sensitive.c');
  assert.equal(Object.keys(one.sites), Object.keys(one.sites).sort(), 'keys sorted');
  // The report counts what objdump finds in the object.
  const elf = join(dir, 'r1.elf');
  await execa('ld', ['-m', 'elf_i386', '-Ttext=0x100000', '-e', 'checksum', '-o', elf, join(dir, 'r1.o')]);
  const v = await validateAfterburnt(elf);
  assert.equal(one.sites, v.sensitive);
  const merged = await mergeReports(reports);
  assert.is(merged.files, 2);
  assert.equal(merged.reports.map((r) => r.source), ['entry.S', 'sensitive.c']);
  assert.is(merged.total, Object.values(merged.sites).reduce((a, b) => a + b, 0));
  assert.is(merged.sites.cli, (one.sites.cli ?? 0) + 1, 'entry.S has one cli');
});

test('a copied state directory gets a drop-in of its own, naming its own files', () => {
  const first = join(dir, 'state-a');
  const made = ensureAsDir(first);
  const copy = join(dir, 'state-b');
  cpSync(first, copy, { recursive: true });
  const again = ensureAsDir(copy);
  assert.is.not(basename(again), basename(made), 'not the copied directory');
  assert.ok(again.startsWith(copy + '/'));
  // The compiled client names the daemon script by absolute path: its own directory's, not the original's.
  const client = readFileSync(join(again, 'as'));
  assert.ok(client.includes(Buffer.from(join(again, 'as-daemon.mjs'))), 'names its own daemon script');
  assert.not.ok(client.includes(Buffer.from(first)), 'names nothing of the original state directory');
});

test.after(cleanup);
test.run();
