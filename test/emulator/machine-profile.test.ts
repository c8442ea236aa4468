// Cost profiles: the bundled p4-2.8ghz is complete and every figure carries a source; the loader
// refuses malformed files and names the key path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { loadProfile, parseProfile, COST_FIELDS, L4_COST_FIELDS, MECHANISMS, bundledProfiles, ProfileError } from '../../emulator/profiles/load.ts';

const raw = JSON.parse(readFileSync(new URL('../../emulator/profiles/p4-2.8ghz.json', import.meta.url), 'utf8'));
const clone = () => JSON.parse(JSON.stringify(raw));

test('p4-2.8ghz: every CostTable field, 2800 MHz, each figure sourced from COSTS.md, PAPER.md or the Intel SDM, or marked estimate', () => {
  const p = loadProfile('p4-2.8ghz');
  assert.is(p.cpuMhz, 2800);
  assert.equal(Object.keys(p.costs).sort(), [...COST_FIELDS].sort());
  for (const [key, source] of Object.entries(p.sources)) {
    assert.ok(/^estimate: \S/.test(source) || /(COSTS|PAPER)\.md|Intel SDM vol\. \d/.test(source), `${key}: ${source}`);
  }
  assert.ok(bundledProfiles().includes('p4-2.8ghz'));
});

test('figures that COSTS.md §8 gives as sourced keep their values', () => {
  // Values from COSTS.md §8 ("sourced" rows).
  const sourced = { load: 2, imul: 15, div: 60, locked_rmw_extra: 100, pushf: 6, popf: 54, cli: 20, rdtsc: 80, cpuid: 570, iret_cross_ring: 900, hw_interrupt_entry: 1300, port_io: 2400 };
  const p = loadProfile('p4-2.8ghz');
  for (const [k, v] of Object.entries(sourced)) {
    assert.is(p.costs[k as keyof typeof p.costs], v, k);
    assert.not.match(p.sources[k]!, /^estimate/, `${k} is sourced, not an estimate`);
  }
});

const refused = (mutate: (p: Record<string, any>) => void, message: RegExp) => { // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON under test
  const p = clone();
  mutate(p);
  assert.throws(() => parseProfile(p, 'x.json'), (e: Error) => e instanceof ProfileError && message.test(e.message));
};

test('malformed profiles are refused with the file and key path', () => {
  refused((p) => delete p.costs.iret_same_ring, /^x\.json: costs\.iret_same_ring: missing$/);
  refused((p) => (p.costs.flux_capacitor = { value: 1, source: 'estimate: x' }), /costs\.flux_capacitor: unknown cost field/);
  refused((p) => (p.costs.alu.value = -1), /costs\.alu\.value: expected a whole number of cycles >= 0, got -1/);
  refused((p) => (p.costs.alu.value = 1.5), /costs\.alu\.value: expected a whole number/);
  refused((p) => (p.costs.alu.value = '1'), /costs\.alu\.value: expected a whole number/);
  refused((p) => (p.costs.alu.source = ' '), /costs\.alu\.source: every figure needs a source/);
  refused((p) => (p.costs.alu = 1), /costs\.alu: expected \{ "value"/);
  refused((p) => (p.cpu_mhz.value = 0), /cpu_mhz\.value: must be greater than 0/);
  refused((p) => (p.extra = true), /extra: unknown key/);
  refused((p) => delete p.name, /name: expected a non-empty string/);
});

test('p4-2.8ghz: the l4 figures (ABI.md §9), l4_ipc_one_way sourced from COSTS.md, the rest estimates', () => {
  const p = loadProfile('p4-2.8ghz');
  assert.equal(Object.keys(p.l4!).sort(), [...L4_COST_FIELDS].sort());
  assert.is(p.l4!.l4_ipc_one_way, 1000);
  assert.not.match(p.sources['l4.l4_ipc_one_way']!, /^estimate/);
  assert.is(p.l4!.l4_ipc_intra_as, 400);
  for (const f of L4_COST_FIELDS) if (f !== 'l4_ipc_one_way') assert.match(p.sources[`l4.${f}`]!, /^estimate: /, f);
  refused((q) => delete q.l4.l4_syscall, /^x\.json: l4\.l4_syscall: missing$/);
  refused((q) => (q.l4.l4_warp = { value: 1, source: 'estimate: x' }), /l4\.l4_warp: unknown L4 cost field/);
});

test('mechanism switches: all on unless a profile turns one off; unknown names and non-booleans refused', () => {
  const p = loadProfile('p4-2.8ghz');
  assert.equal(Object.keys(p.mechanisms).sort(), [...MECHANISMS].sort());
  for (const m of MECHANISMS) assert.is(p.mechanisms[m], true, m);
  const q = clone();
  q.mechanisms = { global_pages: false };
  const off = parseProfile(q, 'x.json');
  assert.is(off.mechanisms.global_pages, false);
  assert.is(off.mechanisms.client_cpu, true, 'the others stay on');
  refused((r) => (r.mechanisms = { warp_drive: false }), /mechanisms\.warp_drive: unknown mechanism/);
  refused((r) => (r.mechanisms = { global_pages: 0 }), /mechanisms\.global_pages: expected true or false, got 0/);
  refused((r) => (r.mechanisms = []), /mechanisms: expected an object/);
});

test('unknown profile names list the bundled ones', () => {
  assert.throws(() => loadProfile('p3-1ghz'), /unknown profile 'p3-1ghz' \(bundled: p4-2\.8ghz\)/);
  assert.throws(() => loadProfile('../../etc/passwd'), /unknown profile/);
  assert.throws(() => loadProfile('missing.json'), /profile file missing\.json does not exist/);
});

test.run();
