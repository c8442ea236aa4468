// The unmodified guest kernel (guests/kernel, arch=native) under trap-and-emulate on the L4
// model: a user-level monitor is its pager and exception handler. Its self-test programs must
// print what they print on the bare machine with the same memory (the oracle), scheduling
// counters aside (emulation costs cycles, so preemption points move). The fault programs, which
// touch kernel memory from user mode, must be killed as on hardware: that is the user-mode space
// mapping only the U pages. The hole report's sites are checked against objdump and nm.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { runKernel } from '../../emulator/run.ts';
import { runNetperf } from '../../harness/workloads/netperf.ts';
import { buildKernel, buildMapHvTouch } from './build.ts';
import { disassembly, symbolOwner } from './oracle.ts';
import { stoppedWhereHardwareRuns, withoutSchedCounters } from './versus-hardware.ts';
import { assertTransferVerified } from '../netperf/checks.ts';

const MEM = 32 << 20;
const PHYS_END = MEM - (8 << 20); // L4 keeps the top 8 MiB (ABI.md §1)
const APPEND = 'run=init arg=1,2,1';
let elfPath = '';
let l4: ReturnType<typeof runKernel>;
let hw: ReturnType<typeof runKernel>;

const runL4 = (cmdline: string, max = 100_000_000): ReturnType<typeof runKernel> =>
  runKernel({ elf: readFileSync(elfPath), kernelName: 'kernel', mem: MEM, backend: 'l4', cmdline, maxInstructions: max });

test.before(async () => {
  elfPath = await buildKernel();
  l4 = runL4(APPEND);
  hw = runKernel({ elf: readFileSync(elfPath), kernelName: 'kernel', mem: PHYS_END, cmdline: APPEND, maxInstructions: 100_000_000 });
});

test('the native guest runs to completion as an L4 user task', () => {
  assert.is(l4.backend.mode, 'trap-and-emulate');
  assert.is(hw.exitCode, 0, hw.reason);
  assert.is(l4.exitCode, 0, `${l4.reason}\n${Buffer.from(l4.serialOutput).toString()}`);
  const cli = l4.stats.sensitive.cli!;
  assert.ok(cli[3] > 0 && cli[0] === 0, 'the kernel ran in ring 3, never ring 0');
  assert.is(l4.backend.l4!.crash, null);
});

test('same self-test output as on hardware with the same memory, scheduling counters aside', () => {
  assert.ok(Buffer.from(l4.serialOutput).toString().includes(`memory: ${PHYS_END >> 10} KiB`));
  assert.equal(withoutSchedCounters(l4.serialOutput), withoutSchedCounters(hw.serialOutput));
});

test('the fault programs are killed with the same status and messages as on hardware', () => {
  for (const arg of ['1', '2', '3']) {
    const cmdline = `run=fault arg=${arg}`;
    const x = runL4(cmdline, 50_000_000);
    const h = runKernel({ elf: readFileSync(elfPath), kernelName: 'kernel', mem: PHYS_END, cmdline, maxInstructions: 50_000_000 });
    assert.ok(h.exitCode !== null && h.exitCode > 64, h.reason);
    assert.is(x.exitCode, h.exitCode, `fault ${arg}: ${x.reason}`);
    assert.equal(withoutSchedCounters(x.serialOutput), withoutSchedCounters(h.serialOutput));
  }
});

test('privileged instructions arrive as exception IPC and are emulated; faults as page-fault IPC', () => {
  const te = l4.backend.trap_and_emulate!;
  const k = l4.backend.l4!;
  for (const name of ['cli', 'sti', 'lgdt', 'lidt', 'ltr', 'mov_to_cr3', 'out', 'iret', 'hlt', 'invlpg']) {
    assert.ok((te.emulated[name] ?? 0) > 0, `${name} emulated`);
  }
  assert.is(te.address_space_switches, te.emulated.mov_to_cr3);
  assert.ok((te.reflected['128'] ?? 0) > 0, 'system calls reflected through the guest IDT');
  assert.ok((te.reflected['32'] ?? 0) > 0, 'timer interrupts reflected');
  // Every emulated instruction and every int $0x80 was one exception IPC (#GP) with its reply.
  const emulated = Object.values(te.emulated).reduce((a, b) => a + b, 0);
  assert.is(k.exceptions['13'], emulated + te.reflected['128']!);
  assert.is(k.messages.exception, k.exceptions['13']);
  assert.ok(k.messages.pagefault > 0 && k.pages_mapped >= k.messages.pagefault);
  assert.ok(k.pages_unmapped > 0, 'CR3 loads emptied the mirrors');
  // Each system call enters the kernel-mode thread and its iret leaves it: two switches of space.
  assert.ok(k.address_space_switches >= 2 * te.reflected['128']!);
  assert.is(k.spaces_created, 3, 'the monitor\'s space, the kernel-mode and the user-mode space');
});

test('hole report: pushf/popf and segment reads with their symbols (oracle: objdump and nm)', async () => {
  const dis = await disassembly(elfPath);
  const owner = await symbolOwner(elfPath);
  const sites = new Map<number, string>();
  for (const l of dis.split('\n')) {
    const m = /^\s*([0-9a-f]+):\s+(pushf|popf)l?\b/.exec(l) ?? /^\s*([0-9a-f]+):\s+(push|mov)\s+%(ds)\b/.exec(l);
    if (m) sites.set(parseInt(m[1]!, 16), m[3] ? `read_${m[3]}` : m[2]!);
  }
  const te = l4.backend.trap_and_emulate!;
  const holes = te.holes.filter((h) => ['pushf', 'popf', 'read_ds'].includes(h.instruction));
  for (const name of ['pushf', 'popf', 'read_ds']) assert.ok(holes.some((h) => h.instruction === name), `a ${name} hole`);
  for (const h of holes) {
    const addr = parseInt(h.address, 16);
    assert.is(sites.get(addr), h.instruction, `objdump shows ${h.instruction} at ${h.address}`);
    assert.is(h.symbol.split('+')[0], owner(addr), `symbol of ${h.address}`);
    assert.ok(h.count > 0);
  }
  assert.ok(holes.some((h) => h.instruction === 'read_ds' && h.symbol.startsWith('alltraps')));
  assert.ok(te.popf_if_lost > 0, 'irq_restore\'s popf cannot set the virtual IF');
});

test('isolation: a guest page table naming L4\'s reserved memory stops the run when the guest uses it', async () => {
  const elf = readFileSync(await buildMapHvTouch());
  const x = stoppedWhereHardwareRuns(elf, 'l4'); // on hardware it reads 12 MiB
  assert.match(x.reason, 'l4: trap-and-emulate: the guest\'s page tables map physical 0xc00000, which is neither its memory (below 0x800000) nor the PCI window');
  assert.is(x.backend.l4!.crash, x.reason.replace(/^l4: /, ''));
});

test('determinism: two runs give the same output and statistics', () => {
  const again = runL4(APPEND);
  assert.is(Buffer.from(again.serialOutput).toString(), Buffer.from(l4.serialOutput).toString());
  assert.equal(again.backend, l4.backend);
  assert.equal(again.stats, l4.stats);
});

for (const direction of ['send', 'receive'] as const) {
  test(`netperf ${direction}: the NIC's interrupts arrive as interrupt IPC, the pattern is verified`, () => {
    const bytes = 128 << 10;
    const run = runNetperf({
      elf: readFileSync(elfPath), kernelName: 'kernel.elf', direction, bytes, messageBytes: 32 << 10, backend: 'l4', mem: 64 << 20,
    });
    assertTransferVerified(run, direction, bytes);
    const { report } = run;
    const b = report.backend!;
    assert.is(b.mode, 'trap-and-emulate');
    const irqs = Object.entries(b.l4!.interrupts);
    assert.is(irqs.length, 1, 'one device line (the NIC\'s) reached the kernel');
    const [line, n] = irqs[0]!;
    assert.ok(n > 0);
    assert.is(b.l4!.messages.interrupt, n, 'each as interrupt IPC to the monitor');
    assert.is(b.device_interrupts, n);
    // ... and each was reflected through the guest's IDT at its virtual PIC's vector (base 32).
    assert.is(b.trap_and_emulate!.reflected[String(32 + Number(line))], n);
  });
}

test.run();
