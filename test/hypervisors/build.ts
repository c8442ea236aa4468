// Builds the hypervisor test guests (Xen, L4) and the guest kernel under the ignored .world/ directory; both
// Makefiles are incremental, so repeated runs only rebuild what changed. The test files run in
// parallel and share these output folders, so each make runs under the folder's lock.
import { execa } from 'execa';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { withLock } from '../../src/dirlock.ts';

const here = new URL('.', import.meta.url).pathname;

export async function buildXenTestGuest(): Promise<string> {
  const out = join(here, '../../.world/test-hypervisors/xentest');
  await mkdir(out, { recursive: true });
  const r = await withLock(`${out}.lock`, () => execa('make', ['-s', '-C', join(here, 'guests'), `O=${out}`, 'CC=gcc'], { all: true, reject: false }));
  if (r.exitCode !== 0) throw new Error(`make failed:\n${r.all}`);
  return join(out, 'xentest.elf');
}

/** The L4 model's test task (built with the Xen test guest). */
export async function buildL4TestGuest(): Promise<string> {
  return join(await buildXenTestGuest(), '../l4test.elf');
}

/** The multiboot kernel that maps the top 4 MiB of a 16 MiB machine (built with the test guest). */
export async function buildMapHvNative(): Promise<string> {
  return join(await buildXenTestGuest(), '../maphv-native.elf');
}

/** maphv-native built with -DTOUCH: it also reads the memory it maps at 12 MiB. */
export async function buildMapHvTouch(): Promise<string> {
  return join(await buildXenTestGuest(), '../maphv-touch.elf');
}

/**
 * The guest kernel, built in the ignored .world/ directory: its Makefile is incremental (it
 * rebuilds what changed, HZ and ARCH included), so repeated test runs skip the compile.
 */
export async function buildKernel(): Promise<string> {
  const out = join(here, '../../.world/test-hypervisors/kernel');
  await mkdir(dirname(out), { recursive: true }); // the lock lies beside the output, in a folder a fresh tree lacks
  const r = await withLock(`${out}.lock`, () => execa('make', ['-C', join(here, '../../guests/kernel'), `O=${out}`, 'CC=gcc', '-j2'], { all: true, reject: false }));
  if (r.exitCode !== 0) throw new Error(`make failed:\n${r.all}`);
  return join(out, 'kernel.elf');
}
