// `world boot --backend` and `--wedge`: a para-virtual guest booted on xen from the command line
// with its statistics file, and the exit-2 errors for what cannot run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildXenTestGuest, buildL4TestGuest } from './build.ts';
import { bootHere } from '../cli/boot-here.ts';

const world = new URL('../../bin/world.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'world-backend-cli-'));
let guest = '';


test.before(async () => {
  guest = await buildXenTestGuest();
});

/** Boots `elf` on `backend` through the CLI with a statistics file; checks it exits 0 as a
 *  para-virtual guest of that back-end and returns its output and the parsed statistics. */
async function bootWithStats(elf: string, backend: 'xen' | 'l4') {
  const stats = join(dir, `${backend}-stats.json`);
  const r = await execa('node', [world, 'boot', elf, '--backend', backend, '--mem', '32M', '--stats', stats], { reject: false, timeout: 60_000 });
  assert.is(r.exitCode, 0, r.stderr);
  const s = JSON.parse(readFileSync(stats, 'utf8'));
  assert.is(s.backend.backend, backend);
  assert.is(s.backend.mode, 'pv');
  return { stdout: r.stdout, s };
}

test('world boot --backend xen runs a para-virtual guest and writes Xen statistics', async () => {
  const { stdout, s } = await bootWithStats(guest, 'xen');
  assert.ok(stdout.includes('syscall ring=3 eax=42 ebx=7'));
  assert.ok(s.backend.xen.hypercalls.console_io > 0);
  assert.is(s.backend.xen.hypercalls.set_trap_table, 1);
  assert.ok(Array.isArray(s.backend.holes));
});

test('world boot --backend l4 runs an L4 task and writes L4 statistics', async () => {
  const { stdout, s } = await bootWithStats(await buildL4TestGuest(), 'l4');
  assert.ok(stdout.includes('l4test done'));
  assert.is(s.backend.l4.spaces_created, 2);
  assert.is(s.backend.l4.crash, null);
});

test('--backend l4 refuses a Xen para-virtual kernel (neither an L4 task nor a plain multiboot kernel)', async () => {
  const r = await bootHere(guest, '--backend', 'l4', '--mem', '32M');
  assert.is(r.exitCode, 2);
  assert.match(r.stderr, 'a Xen para-virtual kernel (__xen_guest section)');
  assert.match(r.stderr, 'no __l4_guest section');
});

test('bad --backend and --wedge without xen are usage errors', async () => {
  let r = await bootHere(guest, '--backend', 'kvm');
  assert.is(r.exitCode, 2);
  assert.match(r.stderr, "--backend 'kvm': expected hardware, xen or l4");
  r = await bootHere(guest, '--wedge', guest);
  assert.is(r.exitCode, 2);
  assert.match(r.stderr, '--wedge needs --backend xen or l4');
});

test('a wedge without __xen_guest is refused, naming the file', async () => {
  const notPv = new URL('../../package.json', import.meta.url).pathname;
  const r = await bootHere(guest, '--backend', 'xen', '--wedge', notPv);
  assert.is(r.exitCode, 2);
  assert.match(r.stderr, `${notPv}: not an ELF file`);
});

test.run();
