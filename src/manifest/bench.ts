// The `bench:` section of world.yaml: the benchmark matrix (configurations x workloads) that
// `world bench` runs, and the transfer it uses. A configuration is a row of the slides' tables:
// a guest (package@variant), the back-end it runs on, and the wedge (package@variant) when the
// guest is afterburnt for a hypervisor (the shapes are harness/matrix.ts's). Names are checked here;
// whether a configuration can run in this tree (back-end present, packages declared) is decided
// at run time (src/runnable.ts), so
// the matrix can list the slides' six rows before all of them exist.
import type { Node } from 'yaml';
import { parseSize, SIZE_UNITS } from '../size.ts';
import { BACKENDS } from '../../emulator/hypervisors/backend-names.ts';
import { MAX_MESSAGE_BYTES, MAX_TRANSFER_BYTES, type BenchDecl, type ConfigurationDecl, type WorkloadDecl } from '../../harness/matrix.ts';
import { Checker, keyNodeOf, list, object, oneOf, record, shorten, string, valueNodeOf, type KeyPath, type Schema } from './check.ts';

export { BACKENDS, type BackendName } from '../../emulator/hypervisors/backend-names.ts';
export type { BenchDecl, ConfigurationDecl, WorkloadDecl } from '../../harness/matrix.ts';

export const BENCH_NAME = /^[a-z0-9][a-z0-9-]*$/;
const benchName = string({ pattern: BENCH_NAME, patternText: 'a name (lower-case letters, digits, -)' });
const unitRef = string({ pattern: /^[a-z0-9][a-z0-9-]*@[A-Za-z0-9][A-Za-z0-9._-]*$/, patternText: 'a package@variant, e.g. guest-kernel@native' });

function positive(n: number | undefined): number | undefined {
  return n !== undefined && n > 0 ? n : undefined;
}

function size(max: number, maxText: string): Schema<number> {
  const expected = `a size such as 4MiB, 32KiB or 1048576 (bytes), a whole number with an optional unit ${SIZE_UNITS}, ${maxText}`;
  return {
    expected,
    read(node, path, c) {
      const v = node && 'value' in node ? (node as { value: unknown }).value : undefined;
      const n = typeof v === 'number' ? (Number.isSafeInteger(v) && v > 0 ? v : undefined) : typeof v === 'string' ? positive(parseSize(v)) : undefined;
      if (n === undefined || n > max) c.report(node, path, `expected ${expected}, got ${shorten(JSON.stringify(v ?? null) ?? String(v))}`);
      return n === undefined || n > max ? undefined : n;
    },
  };
}

export const configurationSchema = object({
  title: { schema: string(), doc: 'the row name in the tables, as the slides write it', defaultText: 'the configuration name' },
  guest: { schema: unitRef, doc: 'the guest kernel: package@variant, built through the cache', required: true },
  backend: { schema: oneOf(BACKENDS), doc: 'where the guest runs: hardware, xen or l4', required: true },
  wedge: { schema: unitRef, doc: 'the in-place VMM (package@variant) loaded with an afterburnt guest on a hypervisor', defaultText: '(none)' },
}, 'a configuration');

export const workloadSchema = object({
  kind: { schema: oneOf(['netperf'] as const), doc: 'the workload: netperf (TCP_STREAM)', required: true },
  direction: { schema: oneOf(['send', 'receive'] as const), doc: 'netperf: send (guest to peer) or receive', required: true },
}, 'a workload');

/** The defaults of bench.transfer and bench.message, as the manifest's reference writes them and in bytes. */
const DEFAULT_TRANSFER_TEXT = '32MiB';
const DEFAULT_MESSAGE_TEXT = '32KiB';
export const DEFAULT_TRANSFER = parseSize(DEFAULT_TRANSFER_TEXT)!;
export const DEFAULT_MESSAGE = parseSize(DEFAULT_MESSAGE_TEXT)!;

export const expansionSchema = object({
  configurations: { schema: list(benchName), doc: 'the configurations whose runs fill the instruction-expansion table, a column each', defaultText: 'the first configuration' },
  configuration: { schema: benchName, doc: 'one configuration: the same as configurations with one name', defaultText: '(configurations)' },
  workload: { schema: benchName, doc: 'the workload of those runs', required: true },
}, 'runs (configurations and a workload)');

export const benchSchema = object({
  transfer: { schema: size(MAX_TRANSFER_BYTES, 'less than 4GiB (the guests count it in 32 bits)'), doc: 'bytes each netperf run transfers (the slides used 1GiB)', defaultText: DEFAULT_TRANSFER_TEXT },
  message: { schema: size(MAX_MESSAGE_BYTES, 'at most 256KiB (the guests\' largest message)'), doc: 'bytes per send call (netperf -m)', defaultText: DEFAULT_MESSAGE_TEXT },
  profile: { schema: string({ pattern: /^[A-Za-z0-9._-]+$/, patternText: 'a cost profile name' }), doc: 'the cost profile (emulator/profiles/<name>.json)', defaultText: 'p4-2.8ghz' },
  configurations: { schema: record(configurationSchema, benchName), doc: 'the rows: configurations by name, in table order', required: true },
  workloads: { schema: record(workloadSchema, benchName), doc: 'the columns: workloads by name, in table order', required: true },
  expansion: { schema: expansionSchema, doc: 'which runs the instruction-expansion table reads', defaultText: 'the first configuration and workload' },
}, 'a benchmark matrix');

type BenchValue = NonNullable<ReturnType<typeof benchSchema.read>>;

/** The checked matrix, with defaults applied; references inside the section are checked here. */
export function readBench(b: BenchValue, c: Checker): BenchDecl | undefined {
  const path: KeyPath = ['bench'];
  const configurations: ConfigurationDecl[] = [];
  for (const [name, { value }] of b.configurations ?? []) {
    if (value.guest === undefined || value.backend === undefined) continue;
    configurations.push({ name, title: value.title ?? name, guest: value.guest, backend: value.backend, wedge: value.wedge ?? null });
  }
  const workloads: WorkloadDecl[] = [];
  for (const [name, { value }] of b.workloads ?? []) {
    if (value.kind === undefined || value.direction === undefined) continue;
    workloads.push({ name, kind: value.kind, direction: value.direction });
  }
  if (b.configurations && b.configurations.size === 0) c.report(valueNodeOf(b.node, 'configurations') ?? b.node, [...path, 'configurations'], 'expected at least one configuration');
  if (b.workloads && b.workloads.size === 0) c.report(valueNodeOf(b.node, 'workloads') ?? b.node, [...path, 'workloads'], 'expected at least one workload');
  const e = b.expansion;
  const expansion = {
    configurations: e?.configurations ?? (e?.configuration !== undefined ? [e.configuration] : configurations.slice(0, 1).map((x) => x.name)),
    workload: e?.workload ?? workloads[0]?.name ?? '',
  };
  if (e) {
    const known = configurations.map((x) => x.name);
    const where = (key: string, i?: number): Node => {
      const v = valueNodeOf(e.node, key) as (Node & { items?: Node[] }) | undefined;
      return (i !== undefined ? v?.items?.[i] : undefined) ?? v ?? keyNodeOf(e.node, key) ?? e.node;
    };
    if (e.configuration !== undefined && e.configurations !== undefined) {
      c.report(keyNodeOf(e.node, 'configuration') ?? e.node, [...path, 'expansion', 'configuration'], 'give configurations or configuration, not both');
    }
    if (e.configurations?.length === 0) c.report(where('configurations'), [...path, 'expansion', 'configurations'], 'expected at least one configuration');
    const names: [string, number | undefined, string][] = e.configurations !== undefined
      ? e.configurations.map((v, i) => ['configurations', i, v]) : e.configuration !== undefined ? [['configuration', undefined, e.configuration]] : [];
    for (const [key, i, v] of names) {
      if (!known.includes(v)) {
        c.report(where(key, i), [...path, 'expansion', key, ...(i !== undefined ? [i] : [])], `no configuration '${v}' in bench.configurations; expected one of: ${known.join(', ')}`);
      }
    }
    if (e.configurations && new Set(e.configurations).size !== e.configurations.length) {
      c.report(where('configurations'), [...path, 'expansion', 'configurations'], 'a configuration is named twice');
    }
    const wl = workloads.map((x) => x.name);
    if (e.workload !== undefined && !wl.includes(e.workload)) {
      c.report(where('workload'), [...path, 'expansion', 'workload'], `no workload '${e.workload}' in bench.workloads; expected one of: ${wl.join(', ')}`);
    }
  }
  if (c.issues.length > 0) return undefined;
  return {
    transferBytes: b.transfer ?? DEFAULT_TRANSFER,
    messageBytes: b.message ?? DEFAULT_MESSAGE,
    profile: b.profile ?? 'p4-2.8ghz',
    configurations, workloads, expansion,
  };
}
