// The `as` drop-in's work: gcc runs it in place of the assembler (`gcc -B <dir>`). For a 32-bit
// assembly it afterburns every input (files, and standard input when the assembler would read
// it) into a temporary copy and runs the real `as` with the very same arguments, inputs
// replaced. Everything else (64-bit code, --version probes) goes to the real `as` untouched.
// The real assembler's messages are passed on with the temporary paths mapped back to the
// inputs'; line numbers already agree because the rewriter never adds lines.
//
// The same code runs in two hosts: the afterburn daemon (as-daemon.ts), which the compiled `as`
// client talks to so that no assembler call pays for starting Node (the client itself runs the
// real assembler: forking a small C process is much cheaper than forking Node), and `main`
// below, one Node process per call, used when the daemon cannot run. Both are bundled into plain JavaScript by
// as-dir.ts. Every path is resolved against the caller's working directory, not the host's.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { expandArgs, flatten, joinResponseFile, parseAsCommandLine, substituteArgs, type Arg, type AsInvocation } from './as-args.ts';
import { afterburnAssembly } from './rewrite.ts';
import { loadFeedback } from './feedback.ts';
import { addCounts, formatReport, reportFileFor, sourceNameOf } from './report.ts';

/** Environment variables the drop-in reads. */
export const REAL_AS_ENV = 'WORLD_REAL_AS';
export const REPORT_DIR_ENV = 'WORLD_AFTERBURN_REPORT_DIR';

/** One assembler invocation as the caller made it. */
export interface AsRequest {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The drop-in's own `as` path, never to be mistaken for the real one. */
  self: string;
}

export type Plan =
  | { kind: 'passthrough'; realAs: string }
  | { kind: 'afterburn'; realAs: string; readsStdin: boolean; args: Arg[]; flat: string[]; call: AsInvocation };

function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** The first executable `as` on PATH that is not this drop-in (or $WORLD_REAL_AS). */
export function findRealAs(self: string, env: NodeJS.ProcessEnv): string {
  const forced = env[REAL_AS_ENV];
  if (forced) return forced;
  const me = realPath(self);
  const myDir = realPath(dirname(self));
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '' || realPath(dir) === myDir) continue;
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

// The daemon answers many calls with the same PATH; looking the assembler up costs a few
// system calls per PATH entry, so the answer is kept per (self, PATH, WORLD_REAL_AS).
const realAsCache = new Map<string, string>();

/** Decides what to do with an invocation, without side effects. */
export function plan(req: AsRequest): Plan {
  const key = `${req.self}\0${req.env.PATH ?? ''}\0${req.env[REAL_AS_ENV] ?? ''}`;
  let realAs = realAsCache.get(key);
  if (realAs === undefined) {
    realAs = findRealAs(req.self, req.env);
    realAsCache.set(key, realAs);
  }
  const args = expandArgs(req.argv, (p) => readOrNull(resolve(req.cwd, p)));
  const flat = flatten(args);
  const call = parseAsCommandLine(flat);
  if (!call.target) return { kind: 'passthrough', realAs };
  return { kind: 'afterburn', realAs, readsStdin: call.readsStdin, args, flat, call };
}

/** Afterburnt inputs in temporary files, ready for the real assembler. */
export interface Prepared {
  /** The real assembler's arguments: the caller's, with inputs replaced. */
  args: string[];
  /** The afterburnt standard input, as a file to redirect from, if the assembler reads it. */
  stdinFile?: string;
  /** Temporary copy -> the input's path as given, for the assembler's messages. */
  pathMap: [string, string][];
  /** Files to remove once the assembler has run. */
  temps: string[];
  /** The report, already written to `tmp`; renamed to `final` only if the assembler succeeds. */
  report?: { tmp: string; final: string };
}

let serial = 0;
/** A temporary file name no other call (of this process or another) uses. */
function tempName(dir: string, name: string): string {
  return join(dir, `world-ab-${process.pid}-${serial++}-${name}`);
}

/** Afterburns every input of a targeted call into temporary files (and writes its report,
 *  under a temporary name). The temporary copies keep the inputs' base names. */
export function prepare(req: AsRequest, p: Extract<Plan, { kind: 'afterburn' }>, stdinText?: string): Prepared {
  const dir = req.env.TMPDIR || tmpdir();
  const prepared: Prepared = { args: [], pathMap: [], temps: [] };
  const sites: Record<string, number> = {};
  const sources: string[] = [];
  try {
    const fb = loadFeedback(req.env, req.cwd);
    const feedback = fb ? { pageTableLines: fb.pte, deviceLines: fb.mmio } : {};
    const replace = new Map<number, string>();
    p.call.inputs.forEach((index, k) => {
      const input = p.flat[index]!;
      const text = readOrNull(resolve(req.cwd, input));
      if (text === null) return; // leave it to the real as to say what is wrong with it
      const result = afterburnAssembly(text, { labelPrefix: k === 0 ? '.Lab_site_' : `.Lab_site${k}_`, ...feedback });
      const copy = tempName(dir, basename(input));
      prepared.temps.push(copy);
      writeFileSync(copy, result.output);
      replace.set(index, copy);
      prepared.pathMap.push([copy, input]);
      addCounts(sites, result.sites);
      sources.push(sourceNameOf(text, input, req.cwd));
    });
    if (p.readsStdin && stdinText !== undefined) {
      const result = afterburnAssembly(stdinText, { labelPrefix: '.Lab_site_stdin_', ...feedback });
      prepared.stdinFile = tempName(dir, 'stdin.s');
      prepared.temps.push(prepared.stdinFile);
      writeFileSync(prepared.stdinFile, result.output);
      addCounts(sites, result.sites);
      sources.push(sourceNameOf(stdinText, '-', req.cwd));
    }
    prepared.args = substituteArgs(p.args, replace, (list) => {
      const file = tempName(dir, 'args.rsp');
      prepared.temps.push(file);
      writeFileSync(file, joinResponseFile(list));
      return file;
    });
    const reportDir = req.env[REPORT_DIR_ENV];
    if (reportDir) {
      const absDir = resolve(req.cwd, reportDir);
      if (!existsSync(absDir)) mkdirSync(absDir, { recursive: true });
      const object = resolve(req.cwd, p.call.output);
      const final = reportFileFor(absDir, object);
      const tmp = `${final}.tmp-${process.pid}-${serial++}`;
      prepared.report = { tmp, final };
      writeFileSync(tmp, formatReport({ source: sources.join(' '), object, sites }));
    }
    return prepared;
  } catch (err) {
    discard(prepared);
    throw err;
  }
}

/** After the real assembler ran (as-client.c does the same in C): maps temporary paths in its
 *  messages back to the inputs', publishes the report if it succeeded, removes the temporaries. */
export function complete(prepared: Prepared, status: number, stderr: string): string {
  for (const [copy, original] of prepared.pathMap) stderr = stderr.split(copy).join(original);
  if (status === 0 && prepared.report) {
    renameSync(prepared.report.tmp, prepared.report.final);
    prepared.report = undefined;
  }
  discard(prepared);
  return stderr;
}

export function discard(prepared: Prepared): void {
  for (const f of [...prepared.temps, ...(prepared.report ? [prepared.report.tmp] : [])]) rmSync(f, { force: true });
}

/** One Node process per call: the bundle's entry when the daemon is not used. */
export function main(): void {
  const self = join(dirname(process.argv[1] ?? '.'), 'as');
  const req: AsRequest = { argv: process.argv.slice(2), cwd: process.cwd(), env: process.env, self };
  try {
    const p = plan(req);
    if (p.kind === 'passthrough') {
      const r = spawnSync(p.realAs, req.argv, { stdio: 'inherit' });
      if (r.error) throw r.error;
      process.exitCode = r.status ?? 128 + 15;
      return;
    }
    const stdinText = p.readsStdin ? readFileSync(0, 'utf8') : undefined;
    const prepared = prepare(req, p, stdinText);
    const stdin = prepared.stdinFile ? openSync(prepared.stdinFile, 'r') : 'ignore';
    const r = spawnSync(p.realAs, prepared.args, { stdio: [stdin, 'inherit', 'pipe'], maxBuffer: 1 << 30 });
    const status = r.error ? 1 : r.status ?? 128 + 15;
    const stderr = r.error ? `${p.realAs}: ${r.error.message}\n` : r.stderr.toString();
    process.stderr.write(complete(prepared, status, stderr));
    process.exitCode = status;
  } catch (err) {
    process.stderr.write(`world afterburn (as drop-in ${self}): ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
