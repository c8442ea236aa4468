// Builds what the netperf tests boot: the NIC probe kernels of test/netperf/guests, and (through
// world netperf's defaultGuest) the guest kernel of guests/kernel, each with make under .world/,
// serialised by a lock directory because test files run in parallel.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { withLock } from '../../src/dirlock.ts';
export { defaultGuest } from '../../src/commands/netperf.ts';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const PROBE_SRC = join(REPO_ROOT, 'test', 'netperf', 'guests');
export const PROBE_DIR = join(REPO_ROOT, '.world', 'netperf-guests');

/** Builds the probe kernels (make rebuilds only what changed); returns the path of NAME.elf. */
export async function buildProbe(name: string): Promise<string> {
  mkdirSync(PROBE_DIR, { recursive: true });
  await withLock(`${PROBE_DIR}.lock`, async () => {
    const r = await execa('make', ['-s', '-C', PROBE_SRC, `O=${PROBE_DIR}`], { all: true, reject: false });
    if (r.exitCode !== 0) throw new Error(`building the NIC probe kernels failed:\n${r.all ?? ''}`);
  });
  return join(PROBE_DIR, `${name}.elf`);
}
