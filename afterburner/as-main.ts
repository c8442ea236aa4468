// The `as` drop-in: gcc runs it in place of the assembler (`gcc -B <dir>`). For a 32-bit
// assembly it afterburns every input (files, and standard input when the assembler would read
// it) into a temporary copy and runs the real `as` with the very same arguments, inputs
// replaced. Everything else (64-bit code, --version probes) goes to the real `as` untouched.
// The real assembler's messages are passed on with the temporary paths mapped back to the
// inputs'; line numbers already agree because the rewriter never adds lines.
//
// This file is bundled into one plain JavaScript file by as-dir.ts: gcc runs the assembler once
// per source file, and loading a TypeScript runtime for each would cost more than the rewrite.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import { expandArgs, flatten, joinResponseFile, parseAsCommandLine, substituteArgs } from './as-args.ts';
import { afterburnAssembly } from './rewrite.ts';
import { addCounts, sourceNameOf, writeReport } from './report.ts';

/** Environment variables the drop-in reads. */
export const REAL_AS_ENV = 'WORLD_REAL_AS';
export const REPORT_DIR_ENV = 'WORLD_AFTERBURN_REPORT_DIR';

function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** The first executable `as` on PATH that is not this drop-in (or $WORLD_REAL_AS). */
export function findRealAs(self: string, env: NodeJS.ProcessEnv = process.env): string {
  const forced = env[REAL_AS_ENV];
  if (forced) return forced;
  const me = realPath(self);
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'as');
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    if (realPath(candidate) === me) continue;
    return candidate;
  }
  throw new Error(`no real 'as' on PATH (other than ${self}); set ${REAL_AS_ENV}`);
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function exitStatus(r: ReturnType<typeof spawnSync>): number {
  if (r.error) throw r.error;
  if (r.status !== null) return r.status;
  return 128 + 15; // killed by a signal: report it as a failure
}

/** Runs one `as` invocation; returns the exit status. */
export function runDropIn(argv: string[], self: string): number {
  const realAs = findRealAs(self);
  const args = expandArgs(argv, readOrNull);
  const flat = flatten(args);
  const call = parseAsCommandLine(flat);
  if (!call.target) {
    return exitStatus(spawnSync(realAs, argv, { stdio: 'inherit' }));
  }

  const work = mkdtempSync(join(tmpdir(), 'world-afterburn-'));
  try {
    const replace = new Map<number, string>();
    const pathMap: [string, string][] = [];
    const sites: Record<string, number> = {};
    const sources: string[] = [];
    call.inputs.forEach((index, k) => {
      const input = flat[index]!;
      const text = readOrNull(input);
      if (text === null) return; // leave it to the real as to say what is wrong with it
      const result = afterburnAssembly(text, { labelPrefix: k === 0 ? '.Lab_site_' : `.Lab_site${k}_` });
      const dir = join(work, String(k));
      mkdirSync(dir);
      const copy = join(dir, basename(input));
      writeFileSync(copy, result.output);
      replace.set(index, copy);
      pathMap.push([copy, input]);
      addCounts(sites, result.sites);
      sources.push(sourceNameOf(text, input));
    });
    let stdinText: string | undefined;
    if (call.readsStdin) {
      const text = readFileSync(0, 'utf8');
      const result = afterburnAssembly(text, { labelPrefix: '.Lab_site_stdin_' });
      stdinText = result.output;
      addCounts(sites, result.sites);
      sources.push(sourceNameOf(text, '-'));
    }
    let responses = 0;
    const finalArgs = substituteArgs(args, replace, (list) => {
      const file = join(work, `args-${responses++}.rsp`);
      writeFileSync(file, joinResponseFile(list));
      return file;
    });
    const r = spawnSync(realAs, finalArgs, {
      input: stdinText,
      stdio: [stdinText === undefined ? 'inherit' : 'pipe', 'inherit', 'pipe'],
      maxBuffer: 1 << 30,
    });
    let stderr = r.stderr?.toString() ?? '';
    for (const [copy, original] of pathMap) stderr = stderr.split(copy).join(original);
    process.stderr.write(stderr);
    const status = exitStatus(r);
    const reportDir = process.env[REPORT_DIR_ENV];
    if (status === 0 && reportDir) {
      writeReport(reportDir, call.output, { source: sources.join(' '), sites });
    }
    return status;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The bundle's entry, run as `node as.mjs <as arguments...>` by the `as` script beside it. */
export function main(): void {
  const self = join(dirname(process.argv[1] ?? '.'), 'as');
  try {
    process.exitCode = runDropIn(process.argv.slice(2), self);
  } catch (err) {
    process.stderr.write(`world afterburn (as drop-in ${self}): ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
