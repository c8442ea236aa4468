// What each modelled mechanism contributes to each row: the slides' six configurations, netperf
// send and receive, run with everything on (the bundled profile) and then with one mechanism off
// at a time, printing the CPU of each run and its change against everything on. A mechanism that
// is a cost figure is turned off by zeroing or resetting the figure in a copy of the profile; one
// that is a code path by the profile's `mechanisms` switches (emulator/profiles/load.ts); the
// guest's untouched netperf buffer by `world netperf --check`; the page-table mechanisms by the
// configurations world.yaml already has for them (shadow page tables, profile feedback). Nothing
// here changes the default path: each run is `world netperf --config NAME --profile FILE`.
// usage: npm run bench:ablation -- [--transfer 4MiB] [-j 2] [--only NAME,...] [--configs C,...] [--json FILE]
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/atomic.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROWS = ['hardware', 'afterburnt-hardware', 'xenolinux', 'afterburnt-xen', 'l4ka-linux', 'afterburnt-l4'];
const DIRECTIONS = ['send', 'receive'] as const;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- the profile's JSON, edited by key

interface Variant {
  name: string;
  /** What is off, in words (and which issue point's mechanism it is). */
  what: string;
  /** Edits a copy of the bundled profile (absent: the bundled profile as is). */
  profile?: (p: Json) => void;
  /** More `world netperf` arguments. */
  args?: string[];
  /** Runs another configuration in place of a row (rows without one are not run). */
  config?: Record<string, string>;
}

const VARIANTS: Variant[] = [
  { name: 'all-on', what: 'every mechanism on (the bundled profile)' },
  { name: 'tlb-capacity', what: 'unbounded TLB: dtlb_entries = itlb_entries = 0 (point 4, TLB capacity)',
    profile: (p) => { p.costs.dtlb_entries.value = 0; p.costs.itlb_entries.value = 0; } },
  { name: 'global-pages', what: 'CR3 loads drop global pages too: mechanisms.global_pages false (point 4)',
    profile: (p) => { p.mechanisms = { ...p.mechanisms, global_pages: false }; } },
  { name: 'cold-dma', what: 'DMA-written lines not cache-cold: l2_miss_to_memory = 0 (point 4)',
    profile: (p) => { p.costs.l2_miss_to_memory.value = 0; } },
  { name: 'cost-classes', what: 'lea, shift and adc cost alu, as before their classes (point 4)',
    profile: (p) => { for (const k of ['lea', 'shift', 'adc']) p.costs[k].value = p.costs.alu.value; } },
  { name: 'exception-entry', what: 'exception_entry = 900, the whole #DE round trip of COSTS.md §2, as before (point 4)',
    profile: (p) => { p.costs.exception_entry.value = 900; } },
  { name: 'rep-bus', what: 'rep movs/stos bytes free: bus_cycles_per_kib = 0 (the size of the per-byte bus charge, point 4)',
    profile: (p) => { p.costs.bus_cycles_per_kib.value = 0; } },
  { name: 'int-entry', what: 'the int $0x82 / int $0x30 entry into Xen or L4 not charged: mechanisms.hypervisor_int_entry false (point 4)',
    profile: (p) => { p.mechanisms = { ...p.mechanisms, hypervisor_int_entry: false }; } },
  { name: 'host-pic', what: "Xen's and L4's 8259A mask/EOI/unmask writes free: mechanisms.host_pic_port_io false (point 4)",
    profile: (p) => { p.mechanisms = { ...p.mechanisms, host_pic_port_io: false }; } },
  { name: 'client-cpu', what: "the peer not paced by the 1.4 GHz client's CPU: mechanisms.client_cpu false (point 4)",
    profile: (p) => { p.mechanisms = { ...p.mechanisms, client_cpu: false }; } },
  { name: 'check', what: "the guest's netperf checks every received byte: --check (point 4; send unchanged)", args: ['--check'] },
  { name: 'pt-shadow', what: 'afterburn Xen with shadow page tables instead of annotated sites (point 3)',
    config: { 'afterburnt-xen': 'afterburnt-xen-shadow' } },
  { name: 'pt-feedback', what: 'afterburnt rows annotated from profile feedback alone (point 3)',
    config: { 'afterburnt-xen': 'afterburnt-xen-feedback', 'afterburnt-l4': 'afterburnt-l4-feedback' } },
];

const { values } = parseArgs({
  options: {
    transfer: { type: 'string', default: '4MiB' },
    jobs: { type: 'string', short: 'j', default: '2' },
    only: { type: 'string' },
    configs: { type: 'string' },
    json: { type: 'string' },
  },
});
const jobs = Number(values.jobs);
const only = values.only ? values.only.split(',') : null;
const rows = values.configs ? values.configs.split(',') : ROWS;
for (const n of only ?? []) if (!VARIANTS.some((v) => v.name === n)) fail(`--only: unknown mechanism '${n}' (known: ${VARIANTS.map((v) => v.name).join(', ')})`);
if (!(jobs >= 1)) fail('-j must be a positive number');
const variants = VARIANTS.filter((v) => v.name === 'all-on' || only === null || only.includes(v.name));

function fail(msg: string): never {
  console.error(`bench:ablation: ${msg}`);
  process.exit(2);
}

const bundled = JSON.parse(readFileSync(join(ROOT, 'emulator/profiles/p4-2.8ghz.json'), 'utf8')) as Json;
const dir = mkdtempSync(join(tmpdir(), 'ablation-'));
interface Run { variant: Variant; row: string; config: string; direction: string; args: string[] }
const runs: Run[] = [];
for (const variant of variants) {
  const args: string[] = [...(variant.args ?? [])];
  if (variant.profile) {
    const p = JSON.parse(JSON.stringify(bundled)) as Json;
    p.name = `${bundled.name}-without-${variant.name}`;
    variant.profile(p);
    const file = join(dir, `${variant.name}.json`);
    writeFileSync(file, JSON.stringify(p, null, 2));
    args.push('--profile', file);
  }
  for (const row of rows) {
    const config = variant.config ? variant.config[row] : row;
    if (config === undefined) continue;
    for (const direction of DIRECTIONS) runs.push({ variant, row, config, direction, args });
  }
}

interface Result { cpu: number; throughput: number; verified: boolean }
const results = new Map<Run, Result | string>();
function runOne(r: Run): Promise<void> {
  const argv = [join(ROOT, 'bin/world.js'), 'netperf', '--config', r.config, '--direction', r.direction,
    '--bytes', values.transfer!, '--json', ...r.args];
  return new Promise((done) => {
    const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (b: Buffer) => { out += b; });
    child.stderr.on('data', (b: Buffer) => { err += b; });
    child.on('close', (code) => {
      try {
        const j = JSON.parse(out) as Json;
        results.set(r, { cpu: j.cpu.utilization * 100, throughput: j.throughput.value, verified: j.verified === true });
      } catch {
        results.set(r, `exit ${code}: ${err.trim().split('\n').pop() ?? ''}`);
      }
      done();
    });
  });
}
let next = 0;
const start = Date.now();
await Promise.all(Array.from({ length: jobs }, async () => {
  while (next < runs.length) {
    const r = runs[next++]!;
    await runOne(r);
    process.stderr.write(`\r${results.size}/${runs.length} runs (${Math.round((Date.now() - start) / 1000)} s)`);
  }
}));
process.stderr.write('\n');
rmSync(dir, { recursive: true, force: true });

// The table: a line per mechanism, a column per row and direction; the all-on line gives CPU %,
// the others the change in points of CPU against it.
const find = (v: Variant, row: string, d: string): Result | string | undefined => {
  for (const [r, res] of results) if (r.variant === v && r.row === row && r.direction === d) return res;
  return undefined;
};
const allOn = variants[0]!;
const cols = rows.flatMap((row) => DIRECTIONS.map((d) => [row, d] as const));
const lines: string[] = [];
lines.push(`CPU % with every mechanism on, and the change in points of CPU with one mechanism off (${values.transfer} per run):`);
lines.push('');
lines.push(`| mechanism off | ${cols.map(([row, d]) => `${row} ${d}`).join(' | ')} |`);
lines.push(`|---|${cols.map(() => '---:').join('|')}|`);
const problems: string[] = [];
for (const v of variants) {
  const cells = cols.map(([row, d]) => {
    const res = find(v, row, d), base = find(allOn, row, d);
    if (res === undefined) return '';
    if (typeof res === 'string') { problems.push(`${v.name} ${row} ${d}: ${res}`); return 'failed'; }
    if (!res.verified) problems.push(`${v.name} ${row} ${d}: transfer not verified`);
    if (v === allOn) return res.cpu.toFixed(2);
    if (typeof base !== 'object') return '?';
    const delta = res.cpu - base.cpu;
    return `${delta >= 0 ? '+' : ''}${delta.toFixed(2)}`;
  });
  lines.push(`| ${v.name} | ${cells.join(' | ')} |`);
}
lines.push('');
for (const v of variants) lines.push(`- ${v.name}: ${v.what}`);
console.log(lines.join('\n'));
for (const p of problems) console.error(`bench:ablation: ${p}`);
if (values.json) {
  const out = runs.map((r) => ({ mechanism: r.variant.name, row: r.row, config: r.config, direction: r.direction, result: results.get(r) }));
  writeFileAtomic(values.json, JSON.stringify(out, null, 2) + '\n');
}
if (problems.length > 0) process.exit(1);
