// Package linux, built by the world (one build of each variant per test run, shared through the
// cache): the configured kernel has every fragment symbol (read with the kernel's own
// scripts/config), the bzImage carries the boot protocol's signatures, the afterburnt vmlinux's
// .afterburn agrees with objdump at every site, and every ud2 objdump finds (BUG() emits it as
// raw bytes) is either a recorded site or listed in the build's afterburn report.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseKconfig } from '../../recipes/lib/kconfig.ts';
import { validateAfterburnt } from '../../afterburner/validate.ts';
import { layoutOf } from '../../src/layout.ts';
import { readRecord } from '../../src/state.ts';
import { worldLinux } from './world-build.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let native: Record<string, string>;
let burnt: Record<string, string>;

test.before(async () => {
  native = await worldLinux('native');
  burnt = await worldLinux('afterburnt');
});

test('the bzImage has the boot sector signature and the setup header magic', () => {
  for (const out of [native, burnt]) {
    const bz = readFileSync(out.kernel!);
    assert.is(bz.readUInt16LE(510), 0xaa55, 'boot sector signature');
    assert.is(bz.toString('latin1', 0x202, 0x206), 'HdrS', 'setup header magic');
    assert.ok((bz[0x211]! & 1) === 1, 'loadflags: loaded high (a bzImage)');
  }
});

test("every fragment symbol has its value, as the kernel's scripts/config reads the .config", async () => {
  const fragment = parseKconfig(readFileSync(join(root, 'guests/linux/config.fragment'), 'utf8'));
  // scripts/config is a shell script of the kernel tree itself: the unpack step's artifact.
  const layout = layoutOf(root);
  const unpacked = readRecord(layout, 'linux:unpack');
  assert.ok(unpacked, 'the world recorded its unpack step');
  const script = join(layout.cas, unpacked!.artifact, 'scripts/config');
  const state = async (sym: string): Promise<string> =>
    (await execa('bash', [script, '--file', native.config!, '--state', sym])).stdout.trim();
  for (const [sym, want] of fragment) {
    const got = await state(sym);
    // scripts/config prints a string's value without its quotes, and `undef` for an absent symbol.
    assert.is(got === 'undef' ? 'n' : got, want.replace(/^"(.*)"$/, '$1'), `CONFIG_${sym}`);
  }
});

test('the afterburnt vmlinux: every record agrees with objdump; every ud2 is recorded or reported', async () => {
  const v = await validateAfterburnt(burnt.vmlinux!);
  const report = JSON.parse(readFileSync(burnt['afterburn-report']!, 'utf8'));
  const malformed = v.violations.filter((x) => x.kind !== 'unlisted');
  assert.equal(malformed, [], 'no malformed record');
  assert.ok(v.ranges.length > 1000, `thousands of sites in Linux (${v.ranges.length})`);
  for (const k of ['cli', 'sti', 'pushf', 'popf', 'out', 'in']) assert.ok((report.vmlinux.recorded[k] ?? 0) > 0, `sites of ${k}`);
  const dis = (await execa('objdump', ['-d', '-w', burnt.vmlinux!], { maxBuffer: 1 << 30 })).stdout;
  const ud2 = dis.split('\n').filter((l) => /\tud2\s*$/.test(l)).length;
  assert.ok(ud2 > 0, 'BUG() sites exist');
  assert.is((report.vmlinux.recorded.ud2 ?? 0) + (report.vmlinux.unrecorded.ud2 ?? 0), ud2, 'every ud2 recorded or reported');
  assert.is(report.vmlinux.unrecordedAt.filter((w: string) => / ud2$/.test(w)).length, report.vmlinux.unrecorded.ud2 ?? 0);
  // The native build has no .afterburn at all (control).
  assert.equal((await validateAfterburnt(native.vmlinux!)).ranges, []);
});

test.run();
