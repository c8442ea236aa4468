// The Xen model through a ring-1 test guest (test/hypervisors/guests/xentest.c): hypercalls,
// traps bounced through the trap table, port I/O emulation, event channels with the upcall
// mask/pending rules of ABI.md §6, a physical interrupt as a pirq event, a ring-3 system call,
// and page-table validation stopping a guest that maps hypervisor memory or writes a page table.
// Expected values come from ABI.md (Xen 3.0's numbers) and from the machine layout, not from
// a previous run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { runKernel } from '../../emulator/run.ts';
import { parseProfile } from '../../emulator/profiles/load.ts';
import { buildXenTestGuest } from './build.ts';

const MEM = 32 << 20;
const XEN_RESERVED = 4 << 20;
let elf: Uint8Array;
let elfPath = '';

const runs = new Map<string, ReturnType<typeof runOnce>>();
/** One boot per scenario, shared by the tests that read it. */
function run(cmdline = '') {
  if (!runs.has(cmdline)) runs.set(cmdline, runOnce(cmdline));
  return runs.get(cmdline)!;
}

function runOnce(cmdline: string) {
  const r = runKernel({ elf, kernelName: 'xentest', mem: MEM, backend: 'xen', cmdline, maxInstructions: 5_000_000 });
  const out = Buffer.from(r.serialOutput).toString();
  const kv = new Map<string, number>();
  for (const l of out.split('\n')) {
    const m = /^(\w+)=0x([0-9a-f]{8})$/.exec(l);
    if (m) kv.set(m[1]!, parseInt(m[2]!, 16) | 0);
  }
  const get = (k: string): number => {
    const v = kv.get(k);
    if (v === undefined) assert.unreachable(`no ${k}= line in:\n${out}\n(${r.reason})`);
    return v!;
  };
  return { r, out, get };
}

test.before(async () => {
  elfPath = await buildXenTestGuest();
  elf = readFileSync(elfPath);
});

test('start of day: start_info, version, unknown hypercall', () => {
  const { r, out, get } = run();
  assert.ok(out.startsWith('xentest xen-3.0-x86_32\n'));
  assert.is(get('nr_pages'), (MEM - XEN_RESERVED) / 4096);
  assert.is(get('flags'), 3); // SIF_PRIVILEGED | SIF_INITDOMAIN
  assert.is(get('virt_base'), 0xc0000000 | 0);
  assert.is(get('map_shared'), 0);
  assert.is(get('upcall_mask_at_start'), 1);
  assert.is(get('version'), 0x30000);
  assert.is(get('bad_hypercall'), -38); // -ENOSYS
  assert.is(get('multicall'), 0);
  assert.is(get('multicall_0'), 0x30000, 'xen_version through a multicall');
  assert.is(get('multicall_1'), -38, 'an unknown call inside a multicall gets -ENOSYS in its slot');
  assert.is(r.exitCode, 0, r.reason);
  assert.is(r.backend.mode, 'pv');
});

test('traps: #DE in ring 1 bounced, PIC port refused with #GP, UART port emulated', () => {
  const { r, out, get } = run();
  assert.is(get('set_trap_table'), 0);
  assert.is(get('trap_vector'), 0);
  assert.is(get('trap_ring'), 1);
  assert.ok(out.includes('\nio\n'), 'bytes written to port 0x3f8 from ring 1 reach the UART');
  assert.is(get('pf_vector'), 14);
  assert.is(get('pf_err'), 0, 'not present, read, supervisor (ring 1)');
  assert.is(get('pf_cr2'), 0xd0000000 | 0, 'the faulting address in vcpu_info.arch.cr2');
  assert.is(get('pic_read_trapped'), 1);
  assert.is(get('pic_read_vector'), 13);
  const x = r.backend.xen!;
  assert.is(x.bounced_traps['0'], 1);
  assert.is(x.bounced_traps['13'], 1);
  assert.is(x.bounced_traps['14'], 1);
  // Emulated: 'i','o','\n', UART IER on and off, and the debug-exit write.
  assert.is(x.io_emulated, 6);
});

test('events: timer VIRQ wakes a blocked vCPU after its deadline', () => {
  const { r, get } = run();
  assert.is(get('bind_virq'), 0);
  assert.is(get('timer_port'), 1); // ports are allocated from 1
  assert.is(get('block'), 0);
  assert.is(get('upcalls_after_block'), 1);
  assert.is(get('upcall_port'), 1);
  assert.is(get('woke_after_deadline'), 1);
  assert.is(r.backend.xen!.timer_virqs, 1);
});

test('events: upcall mask and per-port mask follow the pending rules', () => {
  const { get } = run();
  assert.is(get('send'), 0);
  assert.is(get('masked_upcalls'), 0, 'no upcall while evtchn_upcall_mask = 1');
  assert.is(get('masked_pending'), 1, 'evtchn_upcall_pending set');
  assert.is(get('unmasked_upcalls'), 1, 'clearing the mask and making a hypercall delivers it');
  assert.is(get('portmasked_upcalls'), 0, 'a masked port raises no upcall');
  assert.is(get('portmasked_pending_bit'), 1, 'but its pending bit is set');
  assert.is(get('unmask'), 0);
  assert.is(get('after_unmask_upcalls'), 1, 'EVTCHNOP_unmask of a pending port raises the upcall');
});

test('holes: pushf in ring 1 shows the real IF and is reported at its symbol (oracle: nm)', async () => {
  const { r, get } = run();
  assert.is(get('pushf_if_while_masked'), 1);
  const nm = (await execa('nm', [elfPath])).stdout;
  const addr = parseInt(/^([0-9a-f]+) T probe_pushf$/m.exec(nm)![1]!, 16);
  const site = r.backend.holes!.find((h) => h.instruction === 'pushf');
  assert.ok(site, JSON.stringify(r.backend.holes));
  assert.is(site!.symbol.split('+')[0], 'probe_pushf');
  assert.ok(parseInt(site!.address, 16) >= addr && parseInt(site!.address, 16) < addr + 16);
});

test('physical interrupt: UART IRQ 4 arrives as its pirq event, line masked until eoi', () => {
  const { r, get } = run();
  assert.is(get('bind_pirq'), 0);
  assert.is(get('pirq_upcalls'), 1);
  assert.is(get('pirq_port_seen'), 1);
  assert.is(get('eoi'), 0);
  assert.is(r.backend.xen!.physical_irqs['4'], 1);
});

test('page tables: pin and load a new page directory, update an entry with mmu_update', () => {
  const { r, get } = run();
  assert.is(get('pd_readonly'), 0);
  assert.is(get('pin_and_switch'), 0);
  assert.is(get('mmuext_done'), 2);
  assert.is(get('mmu_update'), 0);
  assert.is(get('mmu_update_done'), 1);
  assert.is(get('tlb_flush'), 0);
  assert.is(r.backend.xen!.address_space_switches, 1);
  assert.is(r.exitCode, 0, 'the guest ran on in the new address space');
});

test('descriptors: set_gdt installs a guest descriptor, update_descriptor changes it', () => {
  const { get } = run();
  assert.is(get('gdt_readonly'), 0);
  assert.is(get('set_gdt'), 0);
  assert.is(get('fs'), 9, 'a selector of the guest GDT loads in ring 1');
  assert.is(get('update_descriptor'), 0);
});

test('isolation: pinning a frame that is mapped writable is refused', () => {
  const { r, out } = run('pinwritable');
  assert.not.ok(out.includes('still running'));
  assert.match(r.reason, /mmuext_op\(0\): frame 0x[0-9a-f]+ cannot become a L1 page table: 1 writable mapping\(s\) of it exist/);
});

test('ring 3: iret hypercall to user mode, int $0x80 bounced with DPL 3', () => {
  const { r, out } = run();
  assert.ok(out.includes('syscall ring=3 eax=42 ebx=7\n'), out);
  assert.is(r.backend.xen!.bounced_traps['128'], 1);
  assert.ok(r.backend.xen!.hypercalls.iret! >= 5);
  assert.is(r.exitCode, 0);
});

test('isolation: mapping hypervisor memory stops the domain, naming the frame', () => {
  const { r, out } = run('maphv');
  assert.not.ok(out.includes('still running'));
  assert.is(r.stop.kind, 'shutdown');
  const frame = (MEM - XEN_RESERVED) / 4096 + 1;
  assert.match(r.reason, `update_va_mapping`);
  assert.match(r.reason, `maps machine frame 0x${frame.toString(16)}, which is hypervisor memory`);
});

test('isolation: a writable mapping of the page directory is refused', () => {
  const { r, out } = run('writablept');
  assert.not.ok(out.includes('still running'));
  assert.match(r.reason, /is a writable mapping of machine frame 0x[0-9a-f]+, which is a L2 page directory/);
});

test('isolation: a direct write to the page directory stops the domain', () => {
  const { r, out } = run('writept');
  assert.not.ok(out.includes('still running'));
  assert.match(r.reason, /wrote L2 page directory frame 0x[0-9a-f]+ directly at eip 0x[0-9a-f]+/);
});

test('costs: Xen work is charged from the profile', () => {
  const { r } = run();
  const x = r.backend.xen!;
  const prof = JSON.parse(readFileSync(new URL('../../emulator/profiles/p4-2.8ghz.json', import.meta.url), 'utf8'));
  const hc = Object.entries(x.hypercalls).filter(([n]) => n !== 'iret').reduce((n, [, v]) => n + v, 0);
  const atLeast = hc * prof.xen.xen_hypercall.value + x.hypercalls.iret! * prof.xen.xen_iret_hypercall.value + x.upcalls * prof.xen.xen_event_upcall.value;
  assert.ok(x.xen_cycles >= atLeast, `${x.xen_cycles} >= ${atLeast}`);
  assert.ok(r.stats.cycles.total > x.xen_cycles);
});

test('costs: the int $0x82 entry of a hypercall is charged as the CPU cross-ring int n entry', () => {
  // The same boot under a profile whose int_n_cross_ring is 1,000 cycles dearer: the guest's own
  // rdtsc around one hypercall must see exactly those 1,000 cycles more.
  const raw = JSON.parse(readFileSync(new URL('../../emulator/profiles/p4-2.8ghz.json', import.meta.url), 'utf8'));
  raw.costs.int_n_cross_ring.value += 1000;
  const dearer = parseProfile(raw, 'dearer.json');
  const r = runKernel({ elf, kernelName: 'xentest', mem: MEM, backend: 'xen', cmdline: '', maxInstructions: 5_000_000, profile: dearer });
  const m = /hypercall_cycles=0x([0-9a-f]{8})/.exec(Buffer.from(r.serialOutput).toString());
  assert.ok(m, 'hypercall_cycles line');
  assert.is(parseInt(m![1]!, 16) - run().get('hypercall_cycles'), 1000);
});

test('determinism: the same boot twice gives the same bytes, cycles and statistics', () => {
  const a = runOnce(''), b = runOnce('');
  assert.is(a.out, b.out);
  assert.is(a.r.stats.cycles.total, b.r.stats.cycles.total);
  assert.is(JSON.stringify(a.r.backend), JSON.stringify(b.r.backend));
});

test.run();
