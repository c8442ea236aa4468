// Page-table writes as sensitive memory (guests/wedge/README.md, "Page tables"): the afterburnt
// kernel whose arch_set_pte carries the manual `.afterburn_pte` annotation, and the kernel
// without it annotated from profile feedback alone, run on the wedge's direct page tables (Xen)
// and announced writes (L4) and must print what the native kernel prints on hardware. The
// oracles: the native kernel's output, and binutils (objdump says every recorded page-table site
// holds a 32-bit store to memory; addr2line maps the profile's instructions to source lines).
// Writes no site announces (skip-pt-site=all, an empty profile) are caught, on Xen by the page
// fault of the write-protected table, on L4 at the guest's next TLB flush, and must leave the
// output unchanged.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKernel } from '../../emulator/run.ts';
import { decodeRecords } from '../../afterburner/records.ts';
import { writeFeedback } from '../../src/commands/feedback-out.ts';
import { afterburnAsDir, buildFeedbackGuest, buildKernel, buildWedge, repo } from './build.ts';
import { extraImagePages, sameOutput } from './output.ts';

const MEM = 64 << 20;
const ARGS = 'run=init arg=3,20,2';
const BUDGET = 100_000_000;
let asDir: string;
let native: Uint8Array, manual: Uint8Array, manualPath: string, xenWedge: Uint8Array, l4Wedge: Uint8Array;
let base: string[];
let nativePath: string;
/** The kernel image's extra pages over the native one (output.ts). */
const extraOf = (elf: string): Promise<number> => extraImagePages(nativePath, elf);

const buildFeedbackKernel = (feedback: string): Promise<string> => buildFeedbackGuest(asDir, feedback);

function boot(elf: Uint8Array, cmdline: string, backend?: 'xen' | 'l4') {
  const wedge = backend === 'xen' ? xenWedge : backend === 'l4' ? l4Wedge : undefined;
  const r = runKernel({
    elf, kernelName: 'kernel', mem: MEM, cmdline, maxInstructions: BUDGET,
    ...(backend ? { backend, wedge, wedgeName: `wedge-${backend}.elf` } : {}),
  });
  const lines = Buffer.from(r.serialOutput).toString().split('\n').filter((l) => l !== '' && !l.startsWith('[wedge]'));
  assert.is(r.exitCode, 0, `${r.reason}\n${lines.join('\n')}`);
  return { r, lines, wedge: (r.backend.wedge ?? {}) as Record<string, number> };
}

/** The page-table sites of an image, checked with objdump: each holds a 32-bit store to memory
 *  followed by NOPs only. */
async function checkedPtSites(elf: string): Promise<number> {
  const dump = await execa('objdump', ['-s', '-j', '.afterburn_pt', elf], { reject: false });
  if (dump.exitCode !== 0 || !dump.stdout.includes('Contents of section .afterburn_pt:')) return 0;
  let address = -1;
  const bytes: number[] = [];
  for (const l of dump.stdout.split('\n')) {
    const m = /^ ([0-9a-f]{8}) ((?:[0-9a-f]{2,8} ?){1,4})/.exec(l);
    if (!m) continue;
    if (address < 0) address = parseInt(m[1]!, 16);
    for (const g of m[2]!.trim().split(/\s+/)) for (let k = 0; k < g.length; k += 2) bytes.push(parseInt(g.slice(k, k + 2), 16));
  }
  const ranges = decodeRecords(address, Uint8Array.from(bytes));
  for (let i = 0; i < ranges.length * 2; i += 2) {
    const [b, e] = [ranges[i / 2]!.begin, ranges[i / 2]!.end];
    const d = await execa('objdump', ['-d', `--start-address=0x${b.toString(16)}`, `--stop-address=0x${e.toString(16)}`, elf]);
    const insns = d.stdout.split('\n').filter((l) => /^\s*[0-9a-f]+:\t/.test(l)).map((l) => l.split('\t')[2] ?? '');
    assert.match(insns[0]!.trim(), /^movl?\s+(\$0x[0-9a-f]+|%e[a-z]{2}),(.*\(.*\)|0x[0-9a-f]+)$/, `site ${i / 2} at 0x${b.toString(16)}: ${insns[0]}`);
    assert.ok(insns.slice(1).every((s) => s.startsWith('nop')), `site ${i / 2}: only NOPs after the store`);
  }
  return ranges.length;
}

test.before(async () => {
  asDir = await afterburnAsDir();
  const [n, m, xw, lw] = await Promise.all([buildKernel('gcc'), buildKernel(`gcc -B ${asDir}`), buildWedge('xen'), buildWedge('l4')]);
  native = readFileSync(n);
  nativePath = n;
  manualPath = m;
  manual = readFileSync(m);
  xenWedge = readFileSync(xw.elf);
  l4Wedge = readFileSync(lw.elf);
  base = boot(native, ARGS).lines;
});

test('manual annotation: every page-table write goes through the wedge; Xen runs the guest on its own pinned tables', async () => {
  const sites = await checkedPtSites(manualPath);
  const extra = await extraOf(manualPath);
  assert.ok(sites > 0, 'the afterburnt kernel records page-table sites');
  const xen = boot(manual, ARGS, 'xen');
  sameOutput(base, xen.lines, 'afterburnt + wedge on Xen, direct page tables', extra);
  assert.is(xen.wedge['page-table sites rewritten'], sites);
  assert.ok(xen.wedge['page directories pinned']! > 0, 'directories pinned');
  assert.is(xen.wedge['shadow fills'], 1, 'shadows only while paging was off');
  assert.is(xen.wedge['page-table writes emulated'], 0, 'no write went unannounced');
  const l4 = boot(manual, ARGS, 'l4');
  sameOutput(base, l4.lines, 'afterburnt + wedge on L4, announced writes', extra);
  assert.is(l4.wedge['page-table sites rewritten'], sites);
});

// Sites left out (skip-pt-site) are not told to the wedge, as a path a profile missed would not
// be. The processes init runs one after another reuse the frames the last one freed, and with
// flush-ceiling=0 each exit drops its pages from the TLB by a CR3 reload instead of invlpg: a
// stale translation of a dead address space would show there (on L4 it did: garbage output and
// a killed process, with the re-check after CR3 loads skipped once the sites were taken).
test('a write no site announces is caught and done correctly (skip-pt-site=all)', async () => {
  const extra = await extraOf(manualPath);
  const again = `${ARGS},12 flush-ceiling=0`;
  const nativeAgain = boot(native, again).lines;
  assert.ok(nativeAgain.some((l) => l.startsWith("init: spawned cpu '14,")), 'the native run reuses address spaces');
  // Xen: the tables are pinned, so the write faults on the write-protected table and is emulated.
  const xen = boot(manual, `${again} skip-pt-site=all`, 'xen');
  sameOutput(nativeAgain, xen.lines, 'every page-table write caught by a fault', extra);
  assert.is(xen.wedge['page-table writes'], 0);
  assert.ok(xen.wedge['page-table writes emulated']! > 0, 'writes to tables in use were caught and emulated');
  // L4: no table is write-protected; the write is caught at the guest's next TLB flush (every
  // process space is re-checked after a CR3 load, whatever the sites say).
  const l4 = boot(manual, `${again} skip-pt-site=all`, 'l4');
  sameOutput(nativeAgain, l4.lines, 'L4, every site left out', extra);
  assert.is(l4.wedge['page-table sites rewritten'], 0);
  assert.is(l4.wedge['page-table writes'], 0, 'no write was announced');
});

test('profile feedback: build, profile, rebuild; the feedback kernel needs no manual annotation', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'feedback-'));
  const fb = join(dir, 'feedback.txt');
  await writeFile(fb, '# empty: not profiled yet\n');
  const plainPath = await buildFeedbackKernel(fb);
  assert.is(await checkedPtSites(plainPath), 0, 'no feedback, no manual annotation: no page-table site');
  // Profile: the unannotated kernel on its own tables; every write to a table in use faults.
  const prof = boot(readFileSync(plainPath), `${ARGS} pt=direct`, 'xen');
  sameOutput(base, prof.lines, 'the profiling run', await extraOf(plainPath));
  const eips = prof.r.backend.pt_write_eips ?? [];
  assert.ok(eips.length > 0, 'the profile found page-table writers');
  const where = writeFeedback(fb, plainPath, { pte: eips, mmio: [] }, 'test').pte;
  assert.ok(where.every((l) => /^[\w./-]+\.[ch]:\d+$/.test(l)), where.join(' '));
  // Rebuild with the feedback: exactly the profiled statements become sites.
  const fedPath = await buildFeedbackKernel(fb);
  const sites = await checkedPtSites(fedPath);
  assert.ok(sites > 0, 'the feedback kernel records page-table sites');
  const fed = readFileSync(fedPath);
  const fedExtra = await extraOf(fedPath);
  const xen = boot(fed, ARGS, 'xen');
  sameOutput(base, xen.lines, 'feedback kernel on Xen', fedExtra);
  assert.is(xen.wedge['page-table writes emulated'], 0, 'the profile covered every write of the self-test');
  assert.ok(xen.wedge['page-table writes']! > 0);
  const l4 = boot(fed, ARGS, 'l4');
  sameOutput(base, l4.lines, 'feedback kernel on L4', fedExtra);
  assert.is(l4.wedge['page-table sites rewritten'], sites);
  // A path left out of the profile: an empty profile leaves every write unannounced; the
  // feedback kernel's sites skipped one by one would do the same for each.
  for (const backend of ['xen', 'l4'] as const) {
    const left = boot(fed, `${ARGS} skip-pt-site=0`, backend);
    sameOutput(base, left.lines, `feedback kernel on ${backend}, site 0 left out`, fedExtra);
  }
});

test.run();
