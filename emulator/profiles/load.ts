// Cost profiles: data files (emulator/profiles/NAME.json) giving the cycle cost of each
// instruction and event class plus the CPU clock rate. Every figure is { value, source } where
// the source cites COSTS.md or starts with "estimate". Loading validates the whole file and names
// the file and key path of anything wrong, so a bad profile never runs with a silent default.
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { CostTable } from '../types.ts';

export const DEFAULT_PROFILE = 'p4-2.8ghz';

/** The CostTable fields, in the order a profile lists them. */
export const COST_FIELDS: readonly (keyof CostTable)[] = [
  'alu', 'load', 'store', 'branch_taken', 'branch_not_taken', 'imul', 'div', 'rep_movs_setup',
  'rep_per_element', 'locked_rmw_extra', 'pushf', 'popf', 'cli', 'sti', 'mov_to_sreg',
  'mov_from_sreg', 'rdtsc', 'cpuid', 'int_n_cross_ring', 'int_n_same_ring', 'iret_cross_ring',
  'iret_same_ring', 'hw_interrupt_entry', 'exception_entry', 'mov_cr3', 'mov_cr_other',
  'tlb_miss_refill', 'invlpg', 'descriptor_table_load', 'wbinvd', 'port_io', 'mmio_read',
  'mmio_write', 'far_transfer', 'bus_cycles_per_kib', 'lea', 'shift', 'adc', 'l2_miss_to_memory',
  'dtlb_entries', 'itlb_entries',
];

/** Xen hypervisor operation costs (optional profile key `xen`; see emulator/hypervisors/xen/ABI.md §9). */
export const XEN_COST_FIELDS = [
  'xen_hypercall', 'xen_iret_hypercall', 'xen_event_upcall', 'xen_trap_bounce', 'xen_mmu_update_per_pte',
  'xen_pt_validate_per_entry', 'xen_io_emulation', 'xen_privop_emulation', 'xen_domain_switch', 'xen_netback_frame',
] as const;
export type XenCostTable = Record<(typeof XEN_COST_FIELDS)[number], number>;

/** L4 microkernel operation costs (optional profile key `l4`; see emulator/hypervisors/l4/ABI.md §9). */
export const L4_COST_FIELDS = [
  'l4_ipc_intra_as', 'l4_ipc_one_way', 'l4_pagefault_ipc', 'l4_exception_ipc', 'l4_irq_ipc', 'l4_syscall',
  'l4_map_per_page', 'l4_thread_switch', 'l4_netserver_frame',
] as const;
export type L4CostTable = Record<(typeof L4_COST_FIELDS)[number], number>;

/**
 * Modelled mechanisms that are code paths, not figures (optional profile key `mechanisms`, each
 * true or false, all true when absent): a profile can turn one off to measure what it contributes
 * (`npm run bench:ablation`). The bundled profile leaves them all on.
 * - global_pages: a CR3 load keeps the TLB entries of global pages (CR4.PGE);
 * - hypervisor_int_entry: the CPU's cross-ring entry of an `int n` into Xen or L4 (the hypercall's
 *   `int $0x82`, the system call's `int $0x30`) is charged as int_n_cross_ring;
 * - host_pic_port_io: Xen's and L4's own 8259A writes (mask, EOI, unmask) each cost port_io;
 * - client_cpu: the netperf peer's CPU (emulator/net/peer/client-p4-1.4ghz.json) paces it.
 */
export const MECHANISMS = ['global_pages', 'hypervisor_int_entry', 'host_pic_port_io', 'client_cpu'] as const;
export type Mechanisms = Record<(typeof MECHANISMS)[number], boolean>;

export interface Profile {
  /** Which modelled code-path mechanisms are on (all unless the profile turns one off). */
  mechanisms: Mechanisms;
  /** Xen figures, when the profile has them (the xen back-end requires them). */
  xen?: XenCostTable;
  /** L4 figures, when the profile has them (the l4 back-end requires them). */
  l4?: L4CostTable;
  name: string;
  description: string;
  cpuMhz: number;
  costs: CostTable;
  /** The source cited for each figure, by field (and `cpu_mhz`). */
  sources: Record<string, string>;
  /** The file it came from. */
  file: string;
}

export class ProfileError extends Error {}

const PROFILE_DIR = dirname(fileURLToPath(import.meta.url));

/** Names of the bundled profiles (the .json files next to this module). */
export function bundledProfiles(): string[] {
  return readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

/** Loads a bundled profile by name, or a profile file by path (anything ending in .json). */
export function loadProfile(nameOrPath: string): Profile {
  const file = nameOrPath.endsWith('.json') ? nameOrPath : join(PROFILE_DIR, `${nameOrPath}.json`);
  if (!/^[A-Za-z0-9._-]+$/.test(nameOrPath) && !nameOrPath.endsWith('.json')) {
    throw new ProfileError(`unknown profile '${nameOrPath}': a profile is a name (e.g. ${DEFAULT_PROFILE}) or a .json file`);
  }
  if (!existsSync(file)) {
    const known = bundledProfiles().join(', ');
    throw new ProfileError(nameOrPath.endsWith('.json')
      ? `profile file ${nameOrPath} does not exist`
      : `unknown profile '${nameOrPath}' (bundled: ${known})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ProfileError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  return parseProfile(data, file);
}

/** Validates parsed profile JSON; errors name `file` and the key path. */
export function parseProfile(data: unknown, file: string): Profile {
  const fail = (path: string, msg: string): never => {
    throw new ProfileError(`${file}: ${path}: ${msg}`);
  };
  if (!isObject(data)) return fail('(top level)', 'expected an object with name, description, cpu_mhz and costs');
  for (const key of Object.keys(data)) {
    if (!['name', 'description', 'cpu_mhz', 'costs', 'xen', 'l4', 'mechanisms'].includes(key)) fail(key, 'unknown key (expected name, description, cpu_mhz, costs, xen, l4, mechanisms)');
  }
  if (typeof data.name !== 'string' || data.name === '') fail('name', 'expected a non-empty string');
  if (typeof data.description !== 'string') fail('description', 'expected a string');
  const sources: Record<string, string> = {};
  const figure = (path: string, v: unknown, positive: boolean): number => {
    if (!isObject(v)) return fail(path, 'expected { "value": <number>, "source": "<COSTS.md reference or estimate: why>" }');
    for (const key of Object.keys(v)) if (key !== 'value' && key !== 'source') fail(`${path}.${key}`, 'unknown key (expected value, source)');
    const value = v.value;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(`${path}.value`, `expected a whole number of cycles >= 0, got ${JSON.stringify(value)}`);
    if (positive && (value as number) <= 0) fail(`${path}.value`, 'must be greater than 0');
    if (typeof v.source !== 'string' || v.source.trim() === '') fail(`${path}.source`, 'every figure needs a source: cite COSTS.md or write "estimate: <why>"');
    sources[path.replace(/^costs\./, '')] = v.source as string;
    return value as number;
  };
  const cpuMhz = figure('cpu_mhz', data.cpu_mhz, true);
  // costs, xen and l4 are each a table with exactly the given fields, every one a figure.
  const table = <F extends string>(key: string, what: string, fields: readonly F[], x: unknown): Record<F, number> => {
    if (!isObject(x)) return fail(key, `expected an object with one figure per ${what} field`);
    for (const k of Object.keys(x)) {
      if (!(fields as readonly string[]).includes(k)) fail(`${key}.${k}`, `unknown ${what} field (known: ${fields.join(', ')})`);
    }
    const t = {} as Record<F, number>;
    for (const field of fields) {
      if (!(field in x)) fail(`${key}.${field}`, 'missing');
      t[field] = figure(`${key}.${field}`, x[field], false);
    }
    return t;
  };
  const costs: CostTable = table('costs', 'cost', COST_FIELDS, data.costs);
  const xen: XenCostTable | undefined = data.xen === undefined ? undefined : table('xen', 'Xen cost', XEN_COST_FIELDS, data.xen);
  const l4: L4CostTable | undefined = data.l4 === undefined ? undefined : table('l4', 'L4 cost', L4_COST_FIELDS, data.l4);
  const mechanisms = Object.fromEntries(MECHANISMS.map((m) => [m, true])) as Mechanisms;
  if (data.mechanisms !== undefined) {
    const m = data.mechanisms;
    if (!isObject(m)) return fail('mechanisms', `expected an object of true/false switches (${MECHANISMS.join(', ')})`);
    for (const [key, on] of Object.entries(m)) {
      if (!(MECHANISMS as readonly string[]).includes(key)) fail(`mechanisms.${key}`, `unknown mechanism (known: ${MECHANISMS.join(', ')})`);
      if (typeof on !== 'boolean') fail(`mechanisms.${key}`, `expected true or false, got ${JSON.stringify(on)}`);
      mechanisms[key as keyof Mechanisms] = on as boolean;
    }
  }
  return { mechanisms, name: data.name as string, description: data.description as string, cpuMhz, costs, sources, file, ...(xen ? { xen } : {}), ...(l4 ? { l4 } : {}) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
