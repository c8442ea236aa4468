// The slides' published figures (harness/published.json, which names its source), typed. The
// tables print them beside what the emulator measured.
import { readFileSync } from 'node:fs';

export interface PublishedNetperfRow { title: string; send_mb_s: number; send_cpu: number; receive_mb_s: number; receive_cpu: number }
export interface PublishedExpansionRow { operation: string; counters: string[]; count: number; per_interrupt: number }
export interface PublishedLocRow { component: string; slides: string; headers: number; sources: number }

export interface Published {
  source: string;
  netperf: Record<string, PublishedNetperfRow>;
  expansion: PublishedExpansionRow[];
  loc: PublishedLocRow[];
}

let cached: Published | undefined;

export function published(): Published {
  cached ??= JSON.parse(readFileSync(new URL('./published.json', import.meta.url), 'utf8')) as Published;
  return cached;
}
