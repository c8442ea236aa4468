// A lock between processes that build into the same folder: holding it means having created
// the lock directory (mkdir is atomic). A lock older than staleMs belongs to a process that
// died and is taken over.
import { mkdirSync, rmdirSync, statSync } from 'node:fs';

export async function withLock<T>(lockDir: string, fn: () => Promise<T>, staleMs = 300_000): Promise<T> {
  const deadline = 2 * staleMs;
  for (let waited = 0; ; waited += 100) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (Date.now() - statSync(lockDir).mtimeMs > staleMs) rmdirSync(lockDir);
      else await new Promise((r) => setTimeout(r, 100));
      if (waited > deadline) throw new Error(`could not take the build lock ${lockDir}`);
    }
  }
  try {
    return await fn();
  } finally {
    rmdirSync(lockDir);
  }
}
