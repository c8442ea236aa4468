// The process runner handed to recipes: runs a program with the step's cwd and environment, its
// output appended to the step log, and kills its whole process group if the build is interrupted.

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Capture stdout and return it instead of logging it. */
  capture?: boolean;
}

export type Runner = (file: string, args?: string[], opts?: RunOptions) => Promise<string>;

export class ProcessFailed extends Error {}

export function makeRunner(defaults: { cwd: string; env: Record<string, string>; logPath: string; signal: AbortSignal; log: (l: string) => void }): Runner {
  return async (file, args = [], opts = {}) => {
    const cwd = opts.cwd ?? defaults.cwd;
    defaults.log(`run ${[file, ...args].map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a)).join(' ')}  (in ${cwd})`);
    defaults.signal.throwIfAborted();
    // Loaded on first use: a no-op build runs no process and should not pay for execa's import.
    const { execa } = await import('execa');
    const options = {
      cwd,
      env: { ...defaults.env, ...opts.env },
      extendEnv: true,
      stdin: 'ignore',
      stderr: { file: defaults.logPath, append: true },
      reject: false,
      // Its own process group, so an interrupt reaches make's children too.
      detached: true,
    } as const;
    const child = opts.capture ? execa(file, args, { ...options, stdout: 'pipe' }) : execa(file, args, { ...options, stdout: { file: defaults.logPath, append: true } });
    const kill = (): void => {
      if (child.pid !== undefined) {
        try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      }
    };
    defaults.signal.addEventListener('abort', kill, { once: true });
    try {
      const result = await child;
      defaults.signal.throwIfAborted();
      if (result.failed) {
        const why = result.signal ? `killed by ${result.signal}` : result.exitCode !== undefined ? `exit status ${result.exitCode}` : result.message;
        throw new ProcessFailed(`${file} failed: ${why}`);
      }
      return typeof result.stdout === 'string' ? result.stdout : '';
    } finally {
      defaults.signal.removeEventListener('abort', kill);
    }
  };
}
