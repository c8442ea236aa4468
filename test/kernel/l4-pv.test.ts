// The para-virtual L4 build of the guest kernel (ARCH=l4-pv, the L4Ka::Linux row) on the L4
// model must print what the native build prints on hardware. Lines that legitimately differ:
//   [kernel] world guest kernel, arch=...   names the arch layer (checked: native / l4-pv)
//   [kernel] memory: ...  under L4 the task's memory is RAM less the microkernel's 8 MiB, less
//                         the bootstrap region at its top (the boot info's boot_phys); checked:
//                         the size is boot_phys, and the free pages differ by the missing RAM
//                         (less the page tables it no longer needs) plus the pages the larger
//                         image takes
//   ticks= switches= preempted= and "slept N ms in T ticks": the timer is the interrupt
//                         thread's receive timeout and L4 operations cost cycles, so ticks land
//                         elsewhere
//   the order of lines from concurrently running processes may change with the scheduling, so
//                         lines are compared as a multiset, with the first and last line fixed
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { runKernel } from '../../emulator/run.ts';
import { attachNetwork, type AttachedNetwork } from '../../emulator/net/attach.ts';
import type { Machine } from '../../emulator/machine.ts';
import { BUDGET, MEM, buildPair, compareWithNative } from './pv-output.ts';

const L4_RESERVED = 8 << 20;
let native: Uint8Array, pv: Uint8Array;
let extraImagePages = 0;
let pvPath = '';
let pvSymbols = '';

interface L4Stats {
  system_calls: Record<string, number>;
  messages: Record<string, number>;
  interrupts: Record<string, number>;
  crash: string | null;
}

const l4stats = (r: ReturnType<typeof runKernel>): L4Stats => r.backend.l4 as L4Stats;

test.before(async () => {
  ({ native, pv, pvPath, extraImagePages } = await buildPair('l4-pv'));
  pvSymbols = (await execa('nm', [pvPath])).stdout;
});

// A 32-bit kernel variable after a run, found by nm and read through the direct map.
function guestWord(m: Machine, name: string): number {
  const sym = new RegExp(`^([0-9a-f]{8}) [bBdD] ${name}$`, 'm').exec(pvSymbols);
  assert.ok(sym, `the l4-pv kernel has '${name}'`);
  const pa = parseInt(sym![1]!, 16) - 0xC0000000;
  return Buffer.from(m.bus.ram.buffer, m.bus.ram.byteOffset + pa, 4).readUInt32LE(0);
}

test('the ELF is the L4 model\'s privileged task: __l4_guest as ABI.md section 8 says', async () => {
  const r = await execa('readelf', ['--string-dump=__l4_guest', pvPath]);
  assert.match(r.stdout, /\[\s*0\]\s+GUEST_OS=[^,\s]+,L4_API=x2,VIRT_BASE=0xC0000000\n/);
});

test('init, cpu and sys on L4 (para-virtual) print what they print on hardware', () => {
  const args = 'run=init arg=3,20,2';
  const { other: l4, kib } = compareWithNative(native, pv, args, 'l4', 0, 'l4-pv on L4', extraImagePages);
  // The task's memory is RAM less the kernel's 8 MiB; the bootstrap region (4 MiB) sits on top.
  assert.is(kib * 1024, MEM - L4_RESERVED - (4 << 20), 'memory ends at the boot info\'s boot_phys');
  // The kernel runs in ring 3 and keeps segments, descriptor tables and the interrupt flag in
  // variables: no sensitive instruction may run outside what the L4 interface allows.
  assert.equal(l4.r.backend.holes, [], 'no sensitive instruction ran outside the para-virtual interface');
  const s = l4stats(l4.r);
  assert.is(s.crash, null);
  for (const name of ['Ipc', 'ThreadControl', 'ExchangeRegisters', 'Unmap', 'SystemClock', 'Schedule']) {
    assert.ok((s.system_calls[name] ?? 0) > 0, `system call ${name} used: ${JSON.stringify(s.system_calls)}`);
  }
  // Processes are L4 threads: started by message, paged by main, system calls as exceptions.
  for (const kind of ['startup', 'pagefault', 'exception', 'sigma0']) {
    assert.ok((s.messages[kind] ?? 0) > 0, `${kind} messages: ${JSON.stringify(s.messages)}`);
  }
});

test('user faults reach the kernel as IPC: page faults and #GP kill the process as on hardware', () => {
  for (const [arg, status] of [[1, 78], [2, 77], [3, 78]] as const) {
    compareWithNative(native, pv, `run=fault arg=${arg}`, 'l4', status, `fault ${arg}`, extraImagePages);
  }
});

function netperf(dir: 'send' | 'receive', bytes: number) {
  let net: AttachedNetwork | undefined;
  let machine: Machine | undefined;
  const r = runKernel({
    elf: pv, kernelName: 'kernel', mem: 256 << 20, backend: 'l4', maxInstructions: BUDGET,
    // check: the process fills and checks its buffer, so it runs long enough in user mode for
    // interrupts to land there (without it, user time is a few instructions per message and
    // whether any interrupt meets it depends on timing).
    cmdline: `run=netperf arg=${dir},${bytes},32768,check`,
    setup: (m) => {
      machine = m;
      net = attachNetwork(m, { netperf: { direction: dir === 'send' ? 'from-guest' : 'to-guest', transferBytes: bytes,
        messageBytes: 32768, open: 'passive', peerPort: 12866 } });
    },
  });
  const paths = {
    redirect: guestWord(machine!, 'l4pv_stat_redirect'), halt: guestWord(machine!, 'l4pv_stat_halt'),
    notify: guestWord(machine!, 'l4pv_stat_notify'),
  };
  return { r, out: Buffer.from(r.serialOutput).toString(), peer: net!.finish(), paths };
}

test('netperf over the DP83820 through σ0\'s mappings: both directions arrive verified, the NIC IRQ as interrupt IPC', () => {
  const bytes = 1 << 20;
  const taken = { redirect: 0, halt: 0, notify: 0 };
  for (const dir of ['send', 'receive'] as const) {
    const { r, out, peer, paths } = netperf(dir, bytes);
    for (const k of Object.keys(taken) as (keyof typeof taken)[]) taken[k] += paths[k];
    assert.is(r.exitCode, 0, `${dir}: ${r.reason}\n${out}`);
    assert.ok(peer.verified, `${dir}: the peer saw every byte of the pattern`);
    assert.is(peer.bytes, bytes);
    const s = l4stats(r);
    assert.ok((s.interrupts['10'] ?? 0) > 0, `${dir}: NIC interrupts taken by L4: ${JSON.stringify(s.interrupts)}`);
    assert.ok((s.messages['interrupt'] ?? 0) >= s.interrupts['10']!, `${dir}: each one delivered as IPC`);
    assert.equal(r.backend.holes, [], `${dir}: no sensitive instruction outside the interface`);
  }
  // Interrupts reached main while a process ran (halted) and while main was idle (notified);
  // the transfers above are their check. Redirecting kernel code is not asserted: it needs an
  // interrupt to land while main runs kernel code with the virtual IF set, which these runs
  // hit 0 or 1 times in 2 MiB depending on where the code layout puts the few instructions
  // between events (any change to the guest moves it), so it would test the layout.
  // TODO: a workload that keeps main in kernel code with interrupts enabled, to check it.
  assert.ok(taken.halt > 0 && taken.notify > 0, `delivery paths taken: ${JSON.stringify(taken)}`);
});

test('world netperf --backend l4 with the l4-pv kernel: verified and deterministic (two runs, one report)', async () => {
  const world = new URL('../../bin/world.js', import.meta.url).pathname;
  const run = async () => {
    const r = await execa('node', [world, 'netperf', '--direction', 'receive', '--bytes', '256KiB', '--backend', 'l4',
      '--guest', pvPath, '--json'], { reject: false });
    assert.is(r.exitCode, 0, r.stderr || r.stdout);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    delete report.host;                // host seconds: the one field that may differ
    return report;
  };
  const a = await run(), b = await run();
  assert.is(a.verified, true);
  assert.is(a.bytes, 256 << 10);
  assert.equal(b, a);
});

test.run();
