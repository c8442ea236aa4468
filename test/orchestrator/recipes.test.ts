// The project's recipes: crc32 in the default world, guest-kernel's native variant on a stand-in
// kernel tree with the same make interface, and the afterburn report merge.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parse, stringify } from 'yaml';
import { Session } from '../../src/session.ts';
import { mergeAfterburnReports } from '../../recipes/lib/afterburn-report.ts';
import { copyFixture, RecordingReporter } from './helpers.ts';

const repo = new URL('../../', import.meta.url).pathname;

test('the afterburn reports merge into per-mnemonic sums with sorted keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'world-reports-'));
  try {
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ source: 'b.s', sites: { popf: 2, cli: 1 } }));
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ source: 'a.s', sites: { sti: 4, cli: 3 } }));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ source: 'c.s', sites: {} }));
    const merged = mergeAfterburnReports(dir);
    assert.equal(merged, { files: 3, sites: { cli: 4, popf: 2, sti: 4 } });
    assert.is(JSON.stringify(merged.sites), '{"cli":4,"popf":2,"sti":4}');
    writeFileSync(join(dir, 'd.json'), JSON.stringify({ source: 'd.s', sites: { cli: 'many' } }));
    assert.throws(() => mergeAfterburnReports(dir), /d\.json: sites\.cli: expected a count/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('guest-kernel builds native, afterburnt (CC="gcc -B <as dir>", reports merged), xen-pv and l4-pv (ARCH=...), HZ passed to make', async () => {
  const fx = copyFixture('kernel');
  try {
    // The real recipe and what it imports, so it resolves as it would in the repository.
    for (const f of ['recipes/guest-kernel.ts', 'recipes/lib/afterburn-report.ts', 'afterburner/report.ts', 'src/atomic.ts', 'src/crashpoint.ts', 'feedback/guest-kernel.txt']) {
      execFileSync('mkdir', ['-p', join(fx.dir, f, '..')]);
      copyFileSync(join(repo, f), join(fx.dir, f));
    }
    let s = await Session.open(join(fx.dir, 'world.yaml'));
    assert.equal(s.select([]), ['guest-kernel@native:build', 'guest-kernel@native:install', 'guest-kernel@afterburnt:build', 'guest-kernel@afterburnt:install', 'guest-kernel@xen-pv:build', 'guest-kernel@xen-pv:install', 'guest-kernel@l4-pv:build', 'guest-kernel@l4-pv:install', 'guest-kernel@afterburnt-feedback:build', 'guest-kernel@afterburnt-feedback:install']);
    const r = new RecordingReporter();
    const res = await s.build(s.select([]), { jobs: 2, keepGoing: false, offline: true, signal: new AbortController().signal, reporter: r });
    assert.ok(res.ok, JSON.stringify(r.events));
    for (const v of ['native', 'afterburnt', 'xen-pv', 'l4-pv']) {
      const elf = join(fx.dir, `.world/out/guest-kernel@${v}/kernel.elf`);
      // readelf (GNU binutils) is the oracle: a 32-bit i386 object whose .rodata holds HZ=250.
      const header = execFileSync('readelf', ['-h', elf], { encoding: 'utf8' });
      assert.match(header, /Class:\s+ELF32/);
      assert.match(header, /Machine:\s+Intel 80386/);
      assert.match(execFileSync('readelf', ['-x', '.rodata', elf], { encoding: 'utf8' }), /fa000000/); // 250 little-endian
    }
    const log = (v: string): string => readFileSync(join(fx.dir, `.world/logs/guest-kernel@${v}/build.log`), 'utf8');
    assert.match(log('native'), /run make -C \S+guests\/kernel O=\S+ CC=gcc UCC=gcc HZ=250/);
    assert.match(log('afterburnt'), /run make -C \S+guests\/kernel O=\S+ "CC=gcc -B \S+\/afterburner\/" UCC=gcc HZ=250/);
    assert.match(log('xen-pv'), /run make -C \S+guests\/kernel O=\S+ CC=gcc UCC=gcc HZ=250 ARCH=xen-pv/);
    assert.match(log('l4-pv'), /run make -C \S+guests\/kernel O=\S+ CC=gcc UCC=gcc HZ=250 ARCH=l4-pv/);
    // Two assembled files, each reporting popf 2 and cli 1: summed, keys sorted.
    assert.is(readFileSync(join(fx.dir, '.world/out/guest-kernel@afterburnt/afterburn-report.json'), 'utf8'),
      '{\n  "files": 2,\n  "sites": {\n    "cli": 2,\n    "popf": 4\n  }\n}\n');
    assert.not.ok(existsSync(join(fx.dir, '.world/out/guest-kernel@native/afterburn-report.json')));
    assert.not.ok(existsSync(join(fx.dir, '.world/out/guest-kernel@xen-pv/afterburn-report.json')));

    // The afterburner is an input of the afterburnt build only.
    appendFileSync(join(fx.dir, 'afterburner/as'), '# changed\n');
    s = await Session.open(join(fx.dir, 'world.yaml'));
    const plan = new Map(s.plan(s.select([])).map((p) => [p.id, p]));
    assert.is(plan.get('guest-kernel@native:build')!.status, 'cached');
    assert.equal(plan.get('guest-kernel@afterburnt:build')!.reasons, ['input afterburner: as changed']);
    // The L4 bindings are an input of the l4-pv build only.
    appendFileSync(join(fx.dir, 'guests/l4/l4.h'), '// changed\n');
    s = await Session.open(join(fx.dir, 'world.yaml'));
    const plan2 = new Map(s.plan(s.select([])).map((p) => [p.id, p]));
    assert.is(plan2.get('guest-kernel@xen-pv:build')!.status, 'cached');
    assert.equal(plan2.get('guest-kernel@l4-pv:build')!.reasons, ['input guests/l4: l4.h changed']);
  } finally {
    fx.cleanup();
  }
});

test('the default world builds crc32; the installed tool gives the published CRC-32 check value', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'world-default-'));
  try {
    // The default world's crc32 entry, alone (the guest kernel has tests of its own).
    const world = parse(readFileSync(join(repo, 'world.yaml'), 'utf8')) as { packages: Record<string, unknown> };
    assert.ok(world.packages.crc32, 'crc32 is no longer in the default world');
    writeFileSync(join(dir, 'world.yaml'), stringify({ ...world, packages: { crc32: world.packages.crc32 } }));
    for (const f of ['package.json', 'recipes/crc32.ts', 'packages/crc32/crc32.c', 'packages/crc32/Makefile', 'packages/crc32/check.sh']) {
      execFileSync('mkdir', ['-p', join(dir, f, '..')]);
      copyFileSync(join(repo, f), join(dir, f));
    }
    const s = await Session.open(join(dir, 'world.yaml'));
    assert.equal(s.select([]), ['crc32@native:build', 'crc32@native:install', 'crc32@m32:build', 'crc32@m32:install']);
    const r = new RecordingReporter();
    const res = await s.build(s.select(['crc32@native']), { jobs: 1, keepGoing: false, offline: true, signal: new AbortController().signal, reporter: r });
    assert.ok(res.ok, JSON.stringify(r.events));
    const out = execFileSync(join(dir, '.world/out/crc32@native/bin/crc32'), { input: '123456789', encoding: 'utf8' });
    assert.is(out, 'cbf43926\n');
    assert.match(readFileSync(join(dir, '.world/logs/crc32@native/build.log'), 'utf8'), /ok fox 414fa339/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
