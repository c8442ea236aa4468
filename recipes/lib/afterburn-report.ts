// Merges the afterburner's per-file reports (one JSON file per assembled file, each
// `{ "source": string, "sites": { "<mnemonic>": count } }`) into one report for a build:
// counts summed per mnemonic, keys sorted, file names left out so the artifact is the same
// wherever the build ran.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AfterburnReport { files: number; sites: Record<string, number> }

export function mergeAfterburnReports(dir: string): AfterburnReport {
  let names: string[];
  try { names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort(); } catch { names = []; }
  const totals = new Map<string, number>();
  for (const name of names) {
    const path = join(dir, name);
    const report = JSON.parse(readFileSync(path, 'utf8')) as { source?: unknown; sites?: unknown };
    if (typeof report.sites !== 'object' || report.sites === null) throw new Error(`${name}: expected an object 'sites'`);
    for (const [mnemonic, count] of Object.entries(report.sites as Record<string, unknown>)) {
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
        throw new Error(`${name}: sites.${mnemonic}: expected a count, got ${JSON.stringify(count)}`);
      }
      totals.set(mnemonic, (totals.get(mnemonic) ?? 0) + count);
    }
  }
  const sites: Record<string, number> = {};
  for (const m of [...totals.keys()].sort()) sites[m] = totals.get(m)!;
  return { files: names.length, sites };
}
