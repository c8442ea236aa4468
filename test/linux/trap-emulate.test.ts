// Linux 6.1, unmodified (linux@native), under trap-and-emulate on the Xen model (kernel in ring 1)
// and on the L4 model (kernel in a user task under the user-level monitor). Under Xen it reaches
// /init and passes its self-test. Under L4 it cannot: its kernel-mode thread runs with the real IF
// on (a user thread always does), so the pushf of irqs_disabled() in irq_work_run_list, at the
// first timer tick, reads interrupts as enabled inside an interrupt handler and BUG_ON fires;
// the hole report names that pushf. Oracles: QEMU running the same bzImage and initramfs (native
// Linux on a PC) prints the self-test lines the Xen run must print; objdump's disassembly of
// vmlinux says which instruction lies at each reported hole site, and nm's symbols which function
// owns it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { linuxGuestWithSymbols } from './world-build.ts';
import { runLinuxOnQemu } from './qemu.ts';
import { SELFTEST_APPEND } from './selftest-append.ts';
import { runKernel, type RunKernelResult } from '../../emulator/run.ts';
import type { Machine } from '../../emulator/machine.ts';
import { parseSystemMap } from '../../emulator/hypervisors/system-map.ts';
import { disassembly, symbolOwner } from '../hypervisors/oracle.ts';
import { execFileSync } from 'node:child_process';

const MEM_MIB = 64;
const guest = await linuxGuestWithSymbols();
const bz = readFileSync(guest.bzImage);
const symbols = parseSystemMap(readFileSync(guest.systemMap, 'latin1'));
const selftestLines = (serial: string): string[] => serial.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.startsWith('selftest: '));

const runs = new Map<'xen' | 'l4', RunKernelResult>();
for (const backend of ['xen', 'l4'] as const) {
  // A panic ends the run at once (the kernel would spin until the budget).
  let machine: Machine | null = null;
  let text = '';
  runs.set(backend, runKernel({
    elf: bz, kernelName: 'bzImage', mem: MEM_MIB << 20, cmdline: SELFTEST_APPEND, initrd: guest.initrd, symbols, backend,
    maxInstructions: 4_000_000_000,
    setup: (m) => { machine = m; },
    serial: (bytes) => {
      text += Buffer.from(bytes).toString('latin1');
      if (text.includes('end Kernel panic')) machine!.abort('the guest kernel panicked');
    },
  }));
}
const serialOf = (r: RunKernelResult): string => Buffer.from(r.serialOutput).toString('latin1');

test('xen: the unmodified kernel reaches /init in ring 1 and its self-test passes', () => {
  const r = runs.get('xen')!;
  const serial = serialOf(r);
  assert.is(r.backend.mode, 'trap-and-emulate');
  assert.is(r.exitCode, 0, `${r.reason}\n${serial.slice(-4000)}`);
  assert.ok(selftestLines(serial).includes('selftest: done failures=0'), serial.slice(-3000));
  for (const bad of ['Oops', 'WARNING:', 'BUG:', 'Call Trace', 'Kernel panic', 'unchecked MSR access']) assert.not.ok(serial.includes(bad), bad);
  // Its cli ran in ring 1, never in ring 0, and Xen emulated it.
  const cli = r.stats.sensitive.cli!;
  assert.is(cli[0], 0);
  assert.ok(cli[1]! > 0, JSON.stringify(cli));
  assert.ok((r.backend.trap_and_emulate?.emulated.cli ?? 0) > 0);
});

test('xen: the self-test lines are those native Linux prints on a PC (QEMU)', () => {
  const q = runLinuxOnQemu(guest.bzImage, guest.initrd, SELFTEST_APPEND, MEM_MIB);
  assert.is(q.error, null, q.error ?? '');
  assert.is(q.exitValue, 0, q.serial.slice(-3000));
  const want = selftestLines(q.serial);
  assert.ok(want.length >= 10 && want.includes('selftest: done failures=0'));
  assert.equal(selftestLines(serialOf(runs.get('xen')!)), want);
});

test('l4: the unmodified kernel boots deprivileged to its first timer tick, where the pushf hole trips BUG_ON in irq_work_run_list', async () => {
  const r = runs.get('l4')!;
  const serial = serialOf(r);
  assert.is(r.backend.mode, 'trap-and-emulate');
  assert.is(r.exitCode, null, 'it cannot reach /init');
  assert.ok(serial.includes('invalid opcode'), serial.slice(-3000));
  const eip = /^EIP: 0x([0-9a-f]+)/m.exec(serial);
  assert.ok(eip, serial.slice(-3000));
  const owner = await symbolOwner(guest.vmlinux);
  assert.is(owner(parseInt(eip![1]!, 16)), 'irq_work_run_list');
  // The hole report names the pushf of that function that read IF = 1 (objdump's check of every site follows).
  const site = r.backend.trap_and_emulate!.holes.find((h) => h.instruction === 'pushf' && h.symbol.startsWith('irq_work_run_list+'));
  assert.ok(site, JSON.stringify(r.backend.trap_and_emulate!.holes));
  assert.is(r.stats.sensitive.cli![0], 0);
});

/** objdump's rendering of each hole kind (AT&T syntax, as objdump -d prints it). */
const MNEMONIC: Record<string, RegExp> = {
  pushf: /^pushf/, popf: /^popf/, sgdt: /^sgdt/, sidt: /^sidt/, sldt: /^sldt/, str: /^str\b/, smsw: /^smsw/,
  lar: /^lar/, lsl: /^lsl/, verr: /^verr/, verw: /^verw/, arpl: /^arpl/,
  read_cs: /^(mov|push)l?\s+%cs\b/, read_ss: /^(mov|push)l?\s+%ss\b/, read_ds: /^(mov|push)l?\s+%ds\b/,
  read_es: /^(mov|push)l?\s+%es\b/, read_fs: /^(mov|push)l?\s+%fs\b/, read_gs: /^(mov|push)l?\s+%gs\b/,
};

test('every hole site is that instruction in vmlinux, named by the function nm says owns it', async () => {
  const dis = await disassembly(guest.vmlinux);
  const owner = await symbolOwner(guest.vmlinux);
  // Sites Linux ran before paging are at physical addresses: nm's phys_startup_32 and startup_32 give the offset.
  const nm = execFileSync('nm', [guest.vmlinux], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const sym = (n: string): number => parseInt(new RegExp(`^([0-9a-f]+) \\S ${n}$`, 'm').exec(nm)![1]!, 16);
  const pageOffset = sym('startup_32') - sym('phys_startup_32');
  const at = new Map<number, string>();
  for (const line of dis.split('\n')) {
    const m = /^\s*([0-9a-f]+):\s+(.*)$/.exec(line);
    if (m) at.set(parseInt(m[1]!, 16), m[2]!.trim());
  }
  for (const backend of ['xen', 'l4'] as const) {
    const holes = runs.get(backend)!.backend.trap_and_emulate!.holes;
    assert.ok(holes.some((h) => h.instruction === 'pushf'), `${backend}: Linux saves its flags with pushf (arch_local_save_flags); no pushf site in ${JSON.stringify(holes)}`);
    for (const h of holes) {
      const reported = parseInt(h.address, 16);
      const addr = reported < pageOffset ? reported + pageOffset : reported;
      const insn = at.get(addr);
      assert.ok(insn !== undefined, `${backend}: ${h.address} (${h.symbol}) is not an instruction boundary in vmlinux`);
      assert.ok(MNEMONIC[h.instruction]!.test(insn!), `${backend}: ${h.address} is '${insn}', reported as ${h.instruction}`);
      assert.is(h.symbol.replace(/\+0x[0-9a-f]+$/, ''), owner(addr), `${backend}: ${h.address}`);
    }
  }
});

test.run();
