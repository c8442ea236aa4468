// A make run through the `as` drop-in, killed mid-way and run again (as a resumed kernel build
// is), must report what one uninterrupted run reports. The makefile probes the compiler at parse
// time the way Kbuild's cc-option and as-instr do (assembling into a directory named by the
// shell's pid, then removing it), so each make run leaves its probes' reports under new names;
// the merge must count the objects of the build, not the make runs it took.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mergeReports } from '../../afterburner/report.ts';
import { mergeAfterburnReports } from '../../recipes/lib/afterburn-report.ts';
import { scratchDir } from './tools.ts';

const world = new URL('../../bin/world.js', import.meta.url).pathname;
const { dir, cleanup } = scratchDir();

// b.o's recipe waits, the first time, until the test has killed the run: a.o is then built and
// b.o and c.o are not. The probes run in every make run, as Kbuild's do.
const MAKEFILE = `CC := gcc -B $(ASDIR) -m32 -ffreestanding -fno-pic -nostdlib -O2
PROBE_C := $(shell d=.tmp_$$$$; mkdir -p $$d; $(CC) -c -x c /dev/null -o $$d/tmp && echo y; rm -rf $$d)
PROBE_AS := $(shell d=.tmp_$$$$; mkdir -p $$d; printf 'cli\\n' | $(CC) -c -x assembler -o $$d/tmp - && echo y; rm -rf $$d)
all: a.o b.o c.o
%.o: %.c
\t$(CC) -c $< -o $@
b.o: b.c a.o
\ttest -e go-on || { touch waiting; sleep 60; }
\t$(CC) -c $< -o $@
`;
const SOURCES: Record<string, string> = {
  'a.c': 'void a(void) { __asm__ volatile("cli; sti"); }\n',
  'b.c': 'unsigned b(void) { unsigned f; __asm__ volatile("pushfl; popl %0; cli" : "=r"(f)); return f; }\n',
  'c.c': 'void c(unsigned p) { __asm__ volatile("outb %%al, %%dx" :: "a"(0), "d"(p)); }\n',
};

function project(name: string): string {
  const p = join(dir, name);
  mkdirSync(p);
  writeFileSync(join(p, 'Makefile'), MAKEFILE);
  for (const [f, text] of Object.entries(SOURCES)) writeFileSync(join(p, f), text);
  return p;
}

async function waitFor(path: string, ms: number): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (existsSync(path)) return;
  throw new Error(`${path} did not appear in ${ms} ms`);
}

test('a make run killed mid-way and run again reports what one uninterrupted run does', async () => {
  const asDir = (await execa('node', [world, 'afterburn', '--print-as-dir'])).stdout.trim();
  const make = (cwd: string, reports: string) =>
    execa('make', ['-j1', `ASDIR=${asDir}`], { cwd, env: { WORLD_AFTERBURN_REPORT_DIR: reports }, reject: false, detached: true });

  const clean = project('clean');
  writeFileSync(join(clean, 'go-on'), '');
  const cleanReports = join(dir, 'clean-reports');
  const c = await make(clean, cleanReports);
  assert.is(c.exitCode, 0, c.stderr);

  const killed = project('killed');
  const killedReports = join(dir, 'killed-reports');
  const first = make(killed, killedReports);
  await waitFor(join(killed, 'waiting'), 30_000);
  process.kill(-first.pid!, 'SIGKILL'); // make and its shell, as a power cut would
  await first;
  assert.ok(existsSync(join(killed, 'a.o')) && !existsSync(join(killed, 'b.o')), 'killed between a.o and b.o');
  writeFileSync(join(killed, 'go-on'), '');
  const again = await make(killed, killedReports);
  assert.is(again.exitCode, 0, again.stderr);

  // Two make runs made two sets of probe reports: more report files than the clean run's.
  assert.ok(readdirSync(killedReports).length > readdirSync(cleanReports).length, 'the rerun probed again under new names');
  for (const f of ['a.o', 'b.o', 'c.o']) assert.ok(readFileSync(join(killed, f)).equals(readFileSync(join(clean, f))), `${f} the same bytes`);
  // The oracle: the objects the build holds (three), each source's sensitive instructions as
  // written above; the probes' cli counts nowhere.
  const want = { files: 3, sites: { cli: 2, out: 1, popf: 0, pushf: 1, sti: 1 } };
  const recipeMerge = (d: string) => {
    const m = mergeAfterburnReports(d);
    return { files: m.files, sites: { cli: 0, out: 0, popf: 0, pushf: 0, sti: 0, ...m.sites } };
  };
  assert.equal(recipeMerge(cleanReports), want);
  assert.equal(recipeMerge(killedReports), want);
  const merged = await mergeReports(killedReports, { keptObjects: true });
  assert.equal(merged, await mergeReports(cleanReports, { keptObjects: true }));
  assert.equal(merged.reports.map((r) => r.source), ['a.c', 'b.c', 'c.c']);
});

test.after(cleanup);
test.run();
