// Merges the afterburner's per-file reports (one JSON file per assembled file, each
// `{ "source": string, "object"?: string, "sites": { "<mnemonic>": count } }`) into one report
// for a build: counts summed per mnemonic, keys sorted, file names left out so the artifact is the
// same wherever the build ran. A report that names its object counts only while that object is
// still a file: the assembler runs of a build's compiler probes (Kbuild's cc-option and as-instr
// write into a directory named by the probing shell's pid and remove it) leave reports under new
// names in every make run, so counting them made a build done in two make runs (a killed one taken
// up again) report more files than a build done in one. Whether an object is still a file is
// afterburner/report.ts's objectExists, the one test of it (an input of every afterburnt build).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { objectExists } from '../../afterburner/report.ts';

export interface AfterburnReport { files: number; sites: Record<string, number> }

export function mergeAfterburnReports(dir: string): AfterburnReport {
  let names: string[];
  try { names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort(); } catch { names = []; }
  const totals = new Map<string, number>();
  let files = 0;
  for (const name of names) {
    const path = join(dir, name);
    const report = JSON.parse(readFileSync(path, 'utf8')) as { source?: unknown; object?: unknown; sites?: unknown };
    if (typeof report.sites !== 'object' || report.sites === null) throw new Error(`${name}: expected an object 'sites'`);
    if (report.object !== undefined && typeof report.object !== 'string') throw new Error(`${name}: expected a path 'object'`);
    if (!objectExists(report)) continue;
    files += 1;
    for (const [mnemonic, count] of Object.entries(report.sites as Record<string, unknown>)) {
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
        throw new Error(`${name}: sites.${mnemonic}: expected a count, got ${JSON.stringify(count)}`);
      }
      totals.set(mnemonic, (totals.get(mnemonic) ?? 0) + count);
    }
  }
  const sites: Record<string, number> = {};
  for (const m of [...totals.keys()].sort()) sites[m] = totals.get(m)!;
  return { files, sites };
}
