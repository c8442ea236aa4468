// `world afterburn IN.s -o OUT.s --report R.json` and its usage errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterburnAssembly } from '../../afterburner/rewrite.ts';
import { scratchDir } from './tools.ts';

const world = new URL('../../bin/world.js', import.meta.url).pathname;
const { dir, cleanup } = scratchDir();

test('rewrites a file and reports sites per mnemonic', async () => {
  const src = '\t.file "boot.c"\n\tcli; pushl %ds\n\tcli\n\tmovl %eax, %ebx\n';
  writeFileSync(join(dir, 'in.s'), src);
  const r = await execa('node', [world, 'afterburn', join(dir, 'in.s'), '-o', join(dir, 'out.s'), '--report', join(dir, 'r.json')]);
  assert.is(r.exitCode, 0);
  assert.is(readFileSync(join(dir, 'out.s'), 'utf8'), afterburnAssembly(src).output);
  assert.equal(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')), { source: 'boot.c', sites: { cli: 2, push: 1 } });
});

test('usage errors exit 2 and write nothing', async () => {
  const r = await execa('node', [world, 'afterburn', join(dir, 'in.s')], { reject: false });
  assert.is(r.exitCode, 2);
  assert.match(r.stderr, /missing -o/);
  const m = await execa('node', [world, 'afterburn', join(dir, 'nope.s'), '-o', join(dir, 'never.s')], { reject: false });
  assert.is(m.exitCode, 1);
  assert.match(m.stderr, /nope\.s/);
  assert.not.ok(existsSync(join(dir, 'never.s')));
});

test.after(cleanup);
test.run();
