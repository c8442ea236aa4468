// The unmodified guest kernel (guests/kernel, arch=native) under trap-and-emulate on the Xen
// model: its self-test programs must print what they print on the bare machine, except for the
// scheduling counters (documented: emulation costs cycles and the popf hole keeps the virtual IF
// off after an irq_restore that should turn it on, so preemption points move). The hole report must name the pushf
// and popf sites; the oracle is objdump's disassembly and nm's symbols of the same ELF.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { runKernel } from '../../emulator/run.ts';
import { buildKernel, buildMapHvNative } from './build.ts';
import { disassembly, symbolOwner } from './oracle.ts';
import { stoppedWhereHardwareRuns, withoutSchedCounters } from './versus-hardware.ts';

const MEM = 16 << 20;
const DOMAIN = MEM - (4 << 20);
const APPEND = 'run=init arg=1,2,1';
let elfPath = '';
let xen: ReturnType<typeof runKernel>;
let hw: ReturnType<typeof runKernel>;

test.before(async () => {
  elfPath = await buildKernel();
  const elf = readFileSync(elfPath);
  xen = runKernel({ elf, kernelName: 'kernel', mem: MEM, backend: 'xen', cmdline: APPEND, maxInstructions: 100_000_000 });
  // The same domain size on hardware, so the memory line matches.
  hw = runKernel({ elf, kernelName: 'kernel', mem: DOMAIN, cmdline: APPEND, maxInstructions: 100_000_000 });
});

test('the native guest runs to completion in ring 1', () => {
  assert.is(xen.backend.mode, 'trap-and-emulate');
  assert.is(hw.exitCode, 0, hw.reason);
  assert.is(xen.exitCode, 0, `${xen.reason}\n${Buffer.from(xen.serialOutput).toString()}`);
  assert.ok(xen.stats.sensitive.cli![1] > 0 && xen.stats.sensitive.cli![0] === 0, 'the kernel ran in ring 1, never ring 0');
});

test('same self-test output as on hardware, scheduling counters aside', () => {
  assert.equal(withoutSchedCounters(xen.serialOutput), withoutSchedCounters(hw.serialOutput));
});

test('the fault programs are killed with the same status and messages as on hardware', () => {
  const elf = readFileSync(elfPath);
  for (const arg of ['1', '2', '3']) {
    const cmdline = `run=fault arg=${arg}`;
    const x = runKernel({ elf, kernelName: 'kernel', mem: MEM, backend: 'xen', cmdline, maxInstructions: 50_000_000 });
    const h = runKernel({ elf, kernelName: 'kernel', mem: DOMAIN, cmdline, maxInstructions: 50_000_000 });
    assert.ok(h.exitCode !== null && h.exitCode > 64, h.reason);
    assert.is(x.exitCode, h.exitCode, `fault ${arg}: ${x.reason}`);
    assert.equal(withoutSchedCounters(x.serialOutput), withoutSchedCounters(h.serialOutput));
  }
});

test('isolation: a page directory mapping hypervisor memory is refused when paging goes on', async () => {
  const elf = readFileSync(await buildMapHvNative());
  const x = stoppedWhereHardwareRuns(elf, 'xen');
  assert.match(x.reason, 'xen: domain crashed: turning paging on');
  assert.match(x.reason, 'entry 3 (a 4 MiB page) maps machine address 0xc00000, which is hypervisor memory (0xc00000-0xffffff)');
});

test('privileged instructions were emulated', () => {
  const te = xen.backend.trap_and_emulate!;
  for (const name of ['cli', 'sti', 'lgdt', 'lidt', 'ltr', 'mov_to_cr3', 'out', 'iret', 'hlt']) {
    assert.ok((te.emulated[name] ?? 0) > 0, `${name} emulated`);
  }
  assert.is(te.address_space_switches, te.emulated.mov_to_cr3);
  assert.ok((te.reflected['128'] ?? 0) > 0, 'system calls reflected through the guest IDT');
  assert.ok((te.reflected['32'] ?? 0) > 0, 'timer interrupts reflected');
});

test('hole report: pushf/popf sites with their symbols (oracle: objdump and nm)', async () => {
  const dis = await disassembly(elfPath);
  const owner = await symbolOwner(elfPath);
  const sites = new Map<number, string>();
  for (const l of dis.split('\n')) {
    const m = /^\s*([0-9a-f]+):\s+(pushf|popf)l?\b/.exec(l);
    if (m) sites.set(parseInt(m[1]!, 16), m[2]!);
  }
  assert.ok(sites.size >= 2, 'objdump finds pushf and popf in the kernel');
  const holes = xen.backend.trap_and_emulate!.holes.filter((h) => h.instruction === 'pushf' || h.instruction === 'popf');
  assert.ok(holes.some((h) => h.instruction === 'pushf'), 'a pushf hole');
  assert.ok(holes.some((h) => h.instruction === 'popf'), 'a popf hole');
  for (const h of holes) {
    const addr = parseInt(h.address, 16);
    assert.is(sites.get(addr), h.instruction, `objdump shows ${h.instruction} at ${h.address}`);
    assert.is(h.symbol.split('+')[0], owner(addr), `symbol of ${h.address}`);
    assert.ok(h.count > 0);
  }
  // The segment reads of the entry stub are holes too.
  assert.ok(xen.backend.trap_and_emulate!.holes.some((h) => h.instruction === 'read_ds' && h.symbol.startsWith('alltraps')));
});

test.run();
