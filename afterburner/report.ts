// Afterburn reports: how many sites of each sensitive mnemonic one assembled file holds, and the
// merge of a directory of them into a build's total. The `as` drop-in writes one report per
// object file into $WORLD_AFTERBURN_REPORT_DIR, named by the hash of the object's path, so
// parallel assembler runs never write the same file and a rebuilt object replaces its report.
// Each report names its object, and a merge of a finished build's reports counts only those whose
// object is still a file (mergeReports' keptObjects; recipes/lib/afterburn-report.ts always does):
// a build's compiler probes (Kbuild's cc-option and as-instr assemble into a directory named by
// the probing shell's pid, removed at once) leave reports under new names in every make run, so
// without this a build done in two make runs (a killed one taken up) would count more files.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../src/atomic.ts';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';

export interface AfterburnReport {
  /** The source file the assembly came from (see sourceNameOf). */
  source: string;
  /** The object file's absolute path, when the drop-in wrote the report (see objectExists). */
  object?: string;
  /** Sites per mnemonic, keys sorted. */
  sites: Record<string, number>;
}

export interface MergedReport {
  /** Number of report files merged. */
  files: number;
  /** Total sites per mnemonic, keys sorted. */
  sites: Record<string, number>;
  /** Sum of all sites. */
  total: number;
  /** Every report, sorted by source then by content, so the merge does not depend on file names. */
  reports: AfterburnReport[];
}

export function sortKeys(counts: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(counts).sort()) out[k] = counts[k]!;
  return out;
}

export function addCounts(into: Record<string, number>, more: Record<string, number>): void {
  for (const [k, v] of Object.entries(more)) into[k] = (into[k] ?? 0) + v;
}

export function reportFileFor(dir: string, outputPath: string): string {
  const hash = createHash('sha256').update(resolve(outputPath)).digest('hex');
  return join(dir, `${hash}.json`);
}

export function formatReport(report: AfterburnReport): string {
  const object = report.object === undefined ? {} : { object: report.object };
  return JSON.stringify({ source: report.source, ...object, sites: sortKeys(report.sites) }, null, 2) + '\n';
}

/** Whether a report still describes an object of the build: it names none (written by another
 *  tool), or its object is still a regular file (not removed, not a device such as /dev/null). */
export function objectExists(report: { object?: unknown }): boolean {
  if (typeof report.object !== 'string') return true;
  try { return statSync(report.object).isFile(); } catch { return false; }
}

/** Writes the report of the object `outputPath` into `dir` (created if missing). */
export function writeReport(dir: string, outputPath: string, report: AfterburnReport): string {
  mkdirSync(dir, { recursive: true });
  const file = reportFileFor(dir, outputPath);
  writeFileAtomic(file, formatReport(report));
  return file;
}

/**
 * Names the source an assembly file came from, stably across builds: the compiler's
 * `.file "x.c"` directive or the preprocessor's first line marker (`# 1 "x.S"`), else the
 * input's path; written relative to the working directory when it lies inside it, else as a
 * base name, so no machine-specific directory ends up in a report.
 * (Compilers hand the assembler files named /tmp/ccXXXXXX.s, so the path alone would vary.)
 */
export function sourceNameOf(assembly: string, inputPath: string, cwd = process.cwd()): string {
  const head = assembly.slice(0, 4096);
  const m = /^[ \t]*(?:\.file[ \t]+"([^"]+)"|#[ \t]*\d+[ \t]+"([^"<][^"]*)")/m.exec(head);
  const name = m ? (m[1] ?? m[2])! : inputPath;
  const rel = relative(cwd, resolve(cwd, name));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : basename(name);
}

/** Merges every `*.json` report in `dir` (a missing directory merges to nothing); with
 *  `keptObjects`, only those whose object is still a file (the build's tree still there). */
export async function mergeReports(dir: string, opts: { keptObjects?: boolean } = {}): Promise<MergedReport> {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const reports: AfterburnReport[] = [];
  const sites: Record<string, number> = {};
  for (const name of names) {
    const path = join(dir, name);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new Error(`${path}: not a JSON afterburn report (${(err as Error).message})`);
    }
    const r = parsed as Partial<AfterburnReport>;
    if (typeof r.source !== 'string' || typeof r.sites !== 'object' || r.sites === null ||
        Object.values(r.sites).some((v) => typeof v !== 'number')) {
      throw new Error(`${path}: expected { "source": string, "sites": { mnemonic: number } }`);
    }
    if (opts.keptObjects && !objectExists(r)) continue;
    reports.push({ source: r.source, sites: sortKeys(r.sites) });
    addCounts(sites, r.sites);
  }
  const key = (r: AfterburnReport): string => `${r.source}\0${JSON.stringify(r.sites)}`;
  reports.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const total = Object.values(sites).reduce((a, b) => a + b, 0);
  return { files: reports.length, sites: sortKeys(sites), total, reports };
}
