// The L4 model through a privileged test task (test/hypervisors/guests/l4test.c): σ0's memory and
// port requests, a second address space whose page faults and exceptions arrive at the task as
// IPC, ExchangeRegisters, Unmap revoking a derived mapping, receive timeouts measured against
// SystemClock, an interrupt IPC and its acknowledgement, and the isolation stops. Expected values
// come from ABI.md's numbers and from checks the task makes itself, not from a previous run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { runKernel } from '../../emulator/run.ts';
import { elfSymbols } from '../../emulator/hypervisors/elf.ts';
import { attachNetwork } from '../../emulator/net/attach.ts';
import { loadProfile } from '../../emulator/profiles/load.ts';
import { SRR_VALUE } from '../../emulator/devices/dp83820.ts';
import { buildL4TestGuest, buildXenTestGuest } from './build.ts';

const MEM = 32 << 20;
const L4_RESERVED = 8 << 20;
const PHYS_END = MEM - L4_RESERVED;
const tid = (n: number): number => (n << 14) | 1;
let elf: Uint8Array;
let xenElf: Uint8Array;

type Run = ReturnType<typeof runOnce>;
const runs = new Map<string, Run>();
function run(cmdline = ''): Run {
  if (!runs.has(cmdline)) runs.set(cmdline, runOnce(cmdline));
  return runs.get(cmdline)!;
}

function runOnce(cmdline: string, wedge = false) {
  // The NIC is on the PCI bus for the scenario that drives it (the others never look).
  const setup = cmdline === 'nic'
    ? (m: Parameters<typeof attachNetwork>[0]): void => { attachNetwork(m, { netperf: { direction: 'to-guest', transferBytes: 1024, open: 'passive' } }); }
    : undefined;
  const r = wedge
    ? runKernel({ elf: xenElf, kernelName: 'xentest', mem: MEM, backend: 'l4', cmdline, wedge: elf, wedgeName: 'l4test', maxInstructions: 5_000_000 })
    : runKernel({ elf, kernelName: 'l4test', mem: MEM, backend: 'l4', cmdline, maxInstructions: 5_000_000, setup });
  const out = Buffer.from(r.serialOutput).toString();
  const kv = new Map<string, number[]>();
  for (const l of out.split('\n')) {
    const m = /^(\w+)=0x([0-9a-f]{8})$/.exec(l);
    if (m) kv.set(m[1]!, [...(kv.get(m[1]!) ?? []), parseInt(m[2]!, 16)]);
  }
  const all = (k: string): number[] => {
    const v = kv.get(k);
    if (v === undefined) assert.unreachable(`no ${k}= line in:\n${out}\n(${r.reason})`);
    return v!;
  };
  return { r, out, get: (k: string): number => all(k)[0]!, all };
}

const sym = (name: string): number => {
  const s = elfSymbols(elf).find((x) => x.name === name);
  if (!s) throw new Error(`no symbol ${name}`);
  return s.value;
};

test.before(async () => {
  elf = readFileSync(await buildL4TestGuest());
  xenElf = readFileSync(await buildXenTestGuest());
});

test('start of day: boot info, KIP, UTCB, exit through σ0-granted ports', () => {
  const { r, out, get } = run();
  assert.ok(out.startsWith('l4test l4-x2-model\n'), out);
  assert.is(r.exitCode, 0, r.reason);
  assert.is(get('version'), 1);
  assert.is(get('phys_end'), PHYS_END);
  assert.is(get('virt_base'), 0xc0000000);
  assert.is(get('my_tid'), 0x48001);
  assert.is(get('sigma0_tid'), 0x40001);
  assert.is(get('cpu_khz'), 2_800_000);
  assert.is(get('utcb_id'), 0x48001);
  assert.is(get('kip_magic'), 0x4be6344c); // "L4\xE6K"
  assert.is(get('kip_version'), 0x84);
  assert.is(get('kip_phys_end'), PHYS_END);
  assert.is(get('mod_len'), 0);
  assert.is(get('mod_start_ok'), 1);
  assert.is(get('boot_phys_ok'), 1);
  assert.is(get('pushf_if'), 1, 'user threads run with IF = 1');
  assert.is(r.backend.backend, 'l4');
  assert.is(r.backend.mode, 'pv');
});

test('σ0: the reply is one map item of the flexpage asked for; aliases and page faults are physical', () => {
  const { get } = run();
  assert.is(get('s0_err'), 0);
  assert.is(get('s0_tag'), (2 << 6) | 0, 'label 0, t = 2, u = 0');
  assert.is(get('s0_item'), 0x100000 | 8);
  assert.is(get('s0_fpage'), 0x100000 | (12 << 4) | 6);
  assert.is(get('s0_alias'), 0x5a5a1234, 'both window pages map physical 0x100000');
  assert.is(get('s0_idempotent'), 0xfeedf00d, 'σ0 mapped physical 0x200000 at 0x200000 on the fault');
});

test('costs: a system call is charged the int $0x30 entry plus l4_syscall (rdtsc in the task)', () => {
  const p = loadProfile('p4-2.8ghz');
  assert.is(run().get('syscall_cycles'), p.costs.int_n_cross_ring + p.l4!.l4_syscall);
});

test('Ipc errors: no partner in the send phase, poll timeout in the receive phase', () => {
  const { get } = run();
  assert.is(get('send_nothread'), 0, 'EAX = nilthread');
  assert.is(get('send_nothread_err'), (2 << 1) | 0);
  assert.is(get('recv_poll_err'), (1 << 1) | 1);
});

test('ThreadControl: create a space and thread; refused numbers and spaces', () => {
  const { get } = run();
  assert.is(get('tc_create'), 1);
  assert.is(get('tc_low'), 0, 'thread 20 is below the first free thread (32)');
  assert.is(get('tc_low_err'), 2);
  assert.is(get('tc_badspace'), 0);
  assert.is(get('tc_badspace_err'), 3);
  assert.is(get('schedule'), 1);
  assert.is(get('start_err'), 0);
});

test('page faults of the child arrive as IPC with the rwx label, address and EIP', () => {
  const { get } = run();
  assert.is(get('pf1_from'), tid(40));
  assert.ok(get('pf1_label') === 0xffe1 || get('pf1_label') === 0xffe4, 'an instruction fetch: x (or r)');
  assert.is(get('pf1_u'), 2);
  assert.is(get('pf1_addr_ok'), 1);
  assert.is(get('pf1_eip_ok'), 1);
  assert.is(get('pf2_label'), 0xffe2, 'a write');
  assert.is(get('pf2_addr'), 0x10000000);
  assert.is(get('pf2_eip_ok'), 1);
  assert.is(get('data_first'), 0x1234, 'the child\'s store landed in the page mapped in reply');
});

test('int $0x80 arrives as #GP 0x402 at the int with the registers; the reply sets them', () => {
  const { get } = run();
  assert.is(get('exc_label'), 0xffb0);
  assert.is(get('exc_u'), 12);
  assert.is(get('exc_eip_ok'), 1);
  assert.is(get('exc_number'), 13);
  assert.is(get('exc_error'), (0x80 << 3) | 2);
  assert.equal(['exc_eax', 'exc_ebx', 'exc_ecx', 'exc_edx', 'exc_esi', 'exc_edi', 'exc_ebp'].map(get), [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77]);
  assert.is(get('exc_if'), 1);
  assert.is(get('ret_eax'), 0xaaaa);
  assert.is(get('ret_ebx'), 0xbbbb);
  assert.is(get('ret_ebp'), 0x77, 'a register the reply left alone keeps its value');
});

test('a system call from an unprivileged space is an exception, not executed', () => {
  const { r, get } = run();
  assert.is(get('sys_label'), 0xffb0);
  assert.is(get('sys_eip_ok'), 1);
  assert.is(get('sys_error'), (0x30 << 3) | 2);
  assert.is(get('sys_eax'), 5, 'EAX = 5 (SystemClock) was not executed');
  assert.equal(r.backend.l4!.exceptions, { 13: 2 });
});

test('receive timeouts are absolute SystemClock times; a lower-priority spinner is preempted', () => {
  const { get } = run();
  assert.is(get('spin_timeout_err'), (1 << 1) | 1);
  assert.is(get('spin_waited_ok'), 1);
  assert.is(get('timeout_err'), (1 << 1) | 1);
  assert.is(get('timeout_elapsed_ok'), 1, 'woke within [100, 200) µs of SystemClock');
});

test('ExchangeRegisters: halt stops the thread, resume restarts it; old state bits', () => {
  const { get } = run();
  assert.is(get('xr_ret'), tid(40));
  assert.is(get('xr_state'), 0, 'running: no state bits');
  assert.is(get('xr_eip_ok'), 1, 'old EIP inside the spin loop');
  assert.is(get('xr_state_halted'), 1);
  assert.is(get('halted_still'), 1);
  assert.is(get('resumed_moves'), 1);
  assert.is(get('xr_state_faulting'), 8, 'waiting for a page-fault reply');
});

test('Unmap revokes the derived mapping: the child faults again; the caller keeps its own', () => {
  const { get } = run();
  assert.is(get('refault_from'), tid(40));
  assert.is(get('refault_label'), 0xffe2);
  assert.is(get('refault_addr'), 0x10000010);
  assert.is(get('own_still_mapped'), 0x1234);
  assert.is(get('tc_delete'), 1);
  assert.is(get('xr_deleted'), 0, 'a deleted thread is gone');
});

test('interrupts as IPC: attach refused for line 0; UART IRQ 4 delivered, masked until the ack', () => {
  const { get, all, r } = run();
  assert.is(get('tc_irq0'), 0);
  assert.is(get('tc_irq0_err'), 2);
  assert.is(get('tc_irq4'), 1);
  assert.equal(all('irq_err'), [0, 0]);
  assert.equal(all('irq_from'), [tid(4), tid(4)]);
  assert.equal(all('irq_label'), [0xfff0, 0xfff0]);
  assert.equal(all('irq_ack_err'), [0, 0]);
  assert.is(get('irq_quiet_err'), (1 << 1) | 1);
  assert.is(r.backend.device_interrupts, 2);
  assert.equal(r.backend.l4!.interrupts, { 4: 2 });
});

test('threads of one space: calls, reply-and-wait, overflow, priorities, ThreadSwitch, deletion, 12-word start', () => {
  const { get } = run();
  assert.is(get('intra_calls_ok'), 12, 'three calls, each with sender, error, label and value right');
  assert.is(get('grant_err'), (4 << 1) | 0, 'a grant item: message overflow in the send phase');
  assert.is(get('replywait_err'), (1 << 1) | 0, 'partner not receiving: timeout in the send phase, no receive phase');
  assert.is(get('replywait_from'), 0);
  assert.is(get('hi_after_start'), 1, 'priority 200 ran as soon as its start message arrived');
  assert.is(get('hi_after_send'), 2);
  assert.is(get('yields_0'), 0, 'an equal priority does not preempt');
  assert.is(get('yields_1'), 1);
  assert.is(get('yields_2'), 2);
  assert.is(get('tc_delete_worker'), 1);
  assert.is(get('hi_after_delete'), 3);
  assert.is(get('hi_err'), (2 << 1) | 1, 'its receive partner was deleted');
  assert.is(get('regs_wait_err'), (1 << 1) | 1);
  assert.is(get('started_eax'), 0xa0a);
  assert.is(get('started_ebx'), 0xb0b);
  assert.is(get('started_esp_ok'), 1);
  assert.is(get('after_flush'), 0xfeedf00d, 'flushed, faulted again, σ0 mapped the same physical page');
});

test('the DP83820 under l4: PCI ports and its register window from σ0, its PCI line as interrupt IPC', () => {
  const { r, get } = run('nic');
  assert.is(r.exitCode, 0, r.reason);
  assert.is(get('nic_found'), 1);
  assert.ok(get('nic_bar1') >= 0xfeb00000 && get('nic_bar1') < 0xfec00000, 'BAR1 in the PCI window σ0 hands out');
  assert.ok(get('nic_line') === 10 || get('nic_line') === 11, 'a PCI line (PIRQ A-D -> IRQ 10, 11)');
  assert.is(get('nic_map_err'), 0);
  assert.is(get('nic_srr'), SRR_VALUE, 'the DP83820 revision register (SRR), read through the mapping');
  assert.is(get('nic_attach'), 1);
  assert.is(get('nic_irq_err'), 0);
  assert.is(get('nic_irq_from'), tid(get('nic_line')));
  assert.is(get('nic_irq_label'), 0xfff0);
  assert.is(get('nic_isr'), 0x1000, 'ISR.SWI was the cause');
  assert.is(get('nic_quiet_err'), (1 << 1) | 1, 'no second interrupt after ISR was read and the line acknowledged');
  assert.equal(r.backend.l4!.interrupts, { [get('nic_line')]: 1 });
});

test('statistics follow from what the task did', () => {
  const l4 = run().r.backend.l4!;
  assert.is(l4.crash, null);
  // child: create, two refused, delete; irq 0 and 4; worker, stranger, high, yielder, regs: create and delete each.
  assert.is(l4.system_calls.ThreadControl, 4 + 2 + 10);
  // halt, read, resume, halt the faulting child, the deleted thread.
  assert.is(l4.system_calls.ExchangeRegisters, 5);
  assert.is(l4.system_calls.Unmap, 2);
  assert.is(l4.system_calls.Schedule, 2);
  assert.is(l4.system_calls.ThreadSwitch, 4, 'main twice, the yielder twice');
  assert.is(l4.system_calls.SystemClock >= 4, true, 'at least the four measured ones');
  // σ0: two port ranges and three memory pages; faults: three of the child, two of the task at 0x200000.
  // Start messages: the child, worker, high, yielder, regs.
  assert.equal(l4.messages, { pagefault: 5, exception: 2, interrupt: 2, sigma0: 5, startup: 5, other: l4.messages.other });
  assert.is(l4.threads_created, 7);
  assert.is(l4.spaces_created, 2);
  // The 4 MiB bootstrap region, three σ0 pages, two faults at 0x200000, two pages for the child.
  assert.is(l4.pages_mapped, 1024 + 3 + 2 + 2);
  // Unmap took the child's data page; deleting its space the code page; the flush the task's own page.
  assert.is(l4.pages_unmapped, 3);
  assert.ok(l4.address_space_switches >= 6, 'main <-> child at least three times each way');
  assert.ok(l4.l4_cycles > 0);
});

test('holes: the task\'s pushf is reported at its symbol', () => {
  const holes = run().r.backend.holes!;
  const h = holes.find((x) => x.instruction === 'pushf');
  assert.ok(h, JSON.stringify(holes));
  assert.is(parseInt(h!.address, 16), sym('hole_pushf'));
  assert.match(h!.symbol, /^main\+0x/, 'named by the function that contains it');
  assert.is(h!.count, 1);
});

test('isolation: σ0 refuses the kernel\'s reserved memory and the PIC, naming the request', () => {
  let { r } = run('refuse-reserved');
  assert.is(r.exitCode, null);
  assert.match(r.reason, `l4: σ0 refused thread 0x48001's request for memory 0x${PHYS_END.toString(16)}-0x${(PHYS_END + 0xfff).toString(16)}: L4's reserved memory`);
  assert.is(r.backend.l4!.crash!.startsWith('σ0 refused'), true);
  ({ r } = run('refuse-pic'));
  assert.match(r.reason, "request for ports 0x20-0x21: the PIC is the kernel's");
});

test('isolation: a map item landing in the kernel area stops the run', () => {
  const { r } = run('map-kernel');
  assert.match(r.reason, 'would land at 0xfc002000 in the kernel area');
});

test('--wedge: the wedge is the privileged task, the guest its module; counters read from its memory', () => {
  const w = runOnce('', true);
  assert.is(w.r.exitCode, 0, w.r.reason);
  assert.is(w.r.backend.mode, 'pv-wedge');
  assert.is(w.get('mod_len'), xenElf.length);
  assert.is(w.get('mod_start_ok'), 1);
  assert.equal(w.r.backend.wedge, { alpha: 7, beta: 9 });
});

test('a plain multiboot kernel (no __l4_guest) runs under trap-and-emulate; a Xen kernel is refused', () => {
  const native = readFileSync(new URL('../../.world/test-hypervisors/xentest/maphv-native.elf', import.meta.url).pathname);
  const r = runKernel({ elf: native, kernelName: 'native', mem: MEM, backend: 'l4', maxInstructions: 10_000 });
  assert.is(r.backend.mode, 'trap-and-emulate');
  assert.is(r.exitCode, 0x11, r.reason); // as on hardware: maphv-native.S
  assert.throws(() => runKernel({ elf: xenElf, kernelName: 'xentest', mem: MEM, backend: 'l4' }),
    /xentest: a Xen para-virtual kernel \(__xen_guest section\), neither an L4 task image/);
});

test('determinism: two runs give the same output and statistics', () => {
  const a = run();
  const b = runOnce('');
  assert.is(b.out, a.out);
  assert.equal(b.r.backend, a.r.backend);
  assert.equal(b.r.stats, a.r.stats);
});

test.run();
