// The installed files of the Linux guest (bzImage, initrd.cpio, System.map, ...), built through the
// world's cache first, as `world netperf --config` builds a configuration's guest: for the scripts
// that boot Linux outside the bench (bench-boot.ts, bench-emu-linux.ts).
import { join } from 'node:path';

/** The installed files of linux@VARIANT, built through the cache first (as `world netperf --config` does). */
export async function linuxFiles(variant: string): Promise<Record<string, string>> {
  const { openSession, runBuild } = await import('../src/commands/common.ts');
  const { installedOutputs } = await import('../src/outputs.ts');
  const file = join(import.meta.dirname, '..', 'world.yaml');
  const session = await openSession(file);
  if (!session) throw new Error(`${file} cannot be read`);
  const unit = `linux@${variant}`;
  const status = await runBuild({ file, targets: [unit], jobs: 1, keepGoing: false, offline: false, wait: true, progress: 'stderr' });
  if (status !== 0) throw new Error(`building ${unit} failed`);
  return installedOutputs(session.world, unit);
}
