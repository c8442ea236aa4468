// The Linux tests' kernel: package `linux` built by the world itself (`world build linux@VARIANT`),
// so every test file shares one build through the world's cache. The first test file to ask
// builds it (the world's build lock makes any other file wait, then find it cached); later files
// and later runs find it in the cache in well under a second. The installed files come from the
// recipe's declared outputs, never from guessed paths.
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { loadWorld } from '../../src/manifest/load.ts';
import { installedOutputs } from '../../src/outputs.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const worldBin = fileURLToPath(new URL('../../bin/world.js', import.meta.url));

/** Builds (or finds cached) linux@variant and returns its installed outputs by name. */
export async function worldLinux(variant: 'native' | 'afterburnt'): Promise<Record<string, string>> {
  const r = await execa('nice', ['-n', '5', 'node', worldBin, 'build', '--plain', `linux@${variant}`], { cwd: root, all: true, reject: false });
  if (r.exitCode !== 0) throw new Error(`world build linux@${variant} failed (exit ${r.exitCode}):\n${(r.all ?? '').slice(-4000)}`);
  return installedOutputs(await loadWorld(`${root}/world.yaml`), `linux@${variant}`);
}
