// Synthetic results files for the harness tests: the shape `world bench` writes, with figures
// chosen by the test (so expected tables and comparisons are computed in the test, not copied
// from a run).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESULTS_SCHEMA, RESULTS_VERSION, formatResults, type NetperfFigures, type Results, type RunResult } from '../../harness/results.ts';
import { writeFileAtomic } from '../../src/atomic.ts';

export const worldBin = new URL('../../bin/world.js', import.meta.url).pathname;

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'world-harness-'));
}

export function figures(o: { mbs: number; cpu: number; sensitive?: Record<string, number[]>; interrupts?: Record<string, number>; expansion?: NetperfFigures['expansion'] }): NetperfFigures {
  return {
    throughput_mib_s: o.mbs,
    cpu_percent: o.cpu,
    busy_cycles: 1000,
    window_cycles: 4000,
    window_instructions: 3000,
    window_ns: 123456,
    bytes: 1 << 20,
    verified: true,
    retransmissions: { guest: 0, peer: 0 },
    frames: { from_guest: 700, to_guest: 350 },
    interrupts: { 10: 90 },
    run: {
      instructions: 5_000_000,
      cycles: { total: 9_000_000, busy: 6_000_000, idle: 3_000_000 },
      interrupts: o.interrupts ?? { 0: 3, 10: 100 },
      sensitive: o.sensitive ?? { cli: [500, 0, 0, 0], sti: [40, 0, 0, 0] },
      software_interrupts: { 128: 12 },
      exceptions: {},
      hypercalls: {},
    },
    ...(o.expansion ? { expansion: o.expansion } : {}),
  };
}

export const CONFIGS = [
  { name: 'hardware', title: 'hardware', guest: 'guest-kernel@native', backend: 'hardware', wedge: null },
  { name: 'afterburnt-hardware', title: 'afterburnt hardware', guest: 'guest-kernel@afterburnt', backend: 'hardware', wedge: null },
  { name: 'xenolinux', title: 'XenoLinux', guest: 'guest-kernel@xen', backend: 'xen', wedge: null },
];
export const WORKLOADS = [
  { name: 'netperf-send', kind: 'netperf', direction: 'send' },
  { name: 'netperf-receive', kind: 'netperf', direction: 'receive' },
];

export function results(runs: RunResult[], extra: Partial<Results> = {}): Results {
  return {
    schema: RESULTS_SCHEMA,
    version: RESULTS_VERSION,
    bench: {
      transfer_bytes: 1 << 20, message_bytes: 32768, profile: 'p4-2.8ghz',
      configurations: CONFIGS, workloads: WORKLOADS, expansion: { configurations: ['hardware'], workload: 'netperf-receive' },
    },
    provenance: { git_commit: 'abc', world_yaml_sha256: 'def' },
    loc: null,
    runs,
    host: { hostname: 'test', seconds: 1 },
    ...extra,
  };
}

export function ok(configuration: string, workload: string, f: NetperfFigures): RunResult {
  return { configuration, workload, status: 'ok', images: { 'guest-kernel@native': 'ff' }, figures: f };
}

export function notRun(configuration: string, workload: string, reason: string): RunResult {
  return { configuration, workload, status: 'not run', reason };
}

/** The usual file: hardware measured both ways, the other two configurations not run. */
export function standard(mbsSend = 54.15, expansion?: NetperfFigures['expansion']): Results {
  return results([
    ok('hardware', 'netperf-send', figures({ mbs: mbsSend, cpu: 14.4 })),
    ok('hardware', 'netperf-receive', figures({ mbs: 97.6, cpu: 70.8, expansion })),
    notRun('afterburnt-hardware', 'netperf-send', 'no afterburner'),
    notRun('afterburnt-hardware', 'netperf-receive', 'no afterburner'),
    notRun('xenolinux', 'netperf-send', 'no xen'),
    notRun('xenolinux', 'netperf-receive', 'no xen'),
  ]);
}

export function save(dir: string, name: string, r: Results): string {
  const p = join(dir, name);
  writeFileAtomic(p, formatResults(r));
  return p;
}
