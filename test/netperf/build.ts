// Builds what the netperf tests boot: the NIC probe kernels of test/netperf/guests, and the guest
// kernel of guests/kernel (the world's native guest), each with make under .world/, serialised by
// a lock directory because test files run in parallel.
import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const PROBE_SRC = join(REPO_ROOT, 'test', 'netperf', 'guests');
export const PROBE_DIR = join(REPO_ROOT, '.world', 'netperf-guests');

async function withLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // A lock older than two minutes belongs to a build that died.
      if (Date.now() - statSync(lockDir).mtimeMs > 120_000) rmdirSync(lockDir);
      else await new Promise((r) => setTimeout(r, 100));
      if (i > 3000) throw new Error(`could not take the build lock ${lockDir}`);
    }
  }
  try {
    return await fn();
  } finally {
    rmdirSync(lockDir);
  }
}

/** Builds the probe kernels (make rebuilds only what changed); returns the path of NAME.elf. */
export async function buildProbe(name: string): Promise<string> {
  mkdirSync(PROBE_DIR, { recursive: true });
  await withLock(`${PROBE_DIR}.lock`, async () => {
    const r = await execa('make', ['-s', '-C', PROBE_SRC, `O=${PROBE_DIR}`], { all: true, reject: false });
    if (r.exitCode !== 0) throw new Error(`building the NIC probe kernels failed:\n${r.all ?? ''}`);
  });
  return join(PROBE_DIR, `${name}.elf`);
}
