// The para-virtual Xen build of the guest kernel (ARCH=xen-pv, the XenoLinux row) on the Xen
// model must print what the native build prints on hardware. Lines that legitimately differ:
//   [kernel] world guest kernel, arch=...   names the arch layer (checked: native / xen-pv)
//   [kernel] memory: ...  under Xen the domain is RAM less Xen's 4 MiB, less the bootstrap region
//                         at its top (start_info's boot_phys); checked: the size is boot_phys,
//                         and the free pages differ by the missing RAM (less the page tables it
//                         no longer needs) plus the pages the larger image takes
//   ticks= switches= preempted= and "slept N ms in T ticks": the timer is Xen's one-shot timer,
//                         re-armed per tick, and hypercalls cost cycles, so ticks land elsewhere
//   the order of lines from concurrently running processes may change with the scheduling, so
//                         lines are compared as a multiset, with the first and last line fixed
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { runKernel } from '../../emulator/run.ts';
import { attachNetwork, type AttachedNetwork } from '../../emulator/net/attach.ts';
import { BUDGET, MEM, buildPair, compareWithNative } from './pv-output.ts';

const XEN_RESERVED = 4 << 20;
let native: Uint8Array, pv: Uint8Array;
let extraImagePages = 0;
let pvPath = '';

test.before(async () => {
  ({ native, pv, pvPath, extraImagePages } = await buildPair('xen-pv'));
});

test('the ELF is a para-virtual Xen kernel: __xen_guest as ABI.md section 3 says', async () => {
  const r = await execa('readelf', ['--string-dump=__xen_guest', pvPath]);
  assert.match(r.stdout, /\[\s*0\]\s+GUEST_OS=[^,\s]+,XEN_VER=xen-3\.0,VIRT_BASE=0xC0000000\n/);
});

test('init, cpu and sys on Xen (para-virtual) print what they print on hardware', () => {
  const args = 'run=init arg=3,20,2';
  const { other: xen, kib } = compareWithNative(native, pv, args, 'xen', 0, 'xen-pv on Xen', extraImagePages);
  // The domain is RAM less Xen's 4 MiB; the bootstrap region (one 4 MiB unit here) sits on top.
  assert.is(kib * 1024, MEM - XEN_RESERVED - (4 << 20), 'memory ends at start_info.boot_phys');
  // Reading a segment register (the entry stubs' pushes, savesegment) is harmless in ring 1 and
  // is what XenoLinux does too; any other unvirtualized sensitive instruction would be a bug.
  const holes = xen.r.backend.holes as { instruction: string }[];
  assert.equal(holes.filter((h) => !/^read_(ds|es|fs|gs)$/.test(h.instruction)), [],
    'no sensitive instruction other than segment reads ran outside the para-virtual interface');
  const hc = (xen.r.backend.xen as { hypercalls: Record<string, number> }).hypercalls;
  for (const name of ['set_trap_table', 'mmu_update', 'stack_switch', 'set_callbacks', 'update_va_mapping',
    'set_timer_op', 'iret', 'mmuext_op', 'sched_op', 'event_channel_op']) {
    assert.ok((hc[name] ?? 0) > 0, `hypercall ${name} used: ${JSON.stringify(hc)}`);
  }
});

test('user faults reach the kernel through the trap table: page fault and #GP kill the process alike', () => {
  for (const [arg, status] of [[1, 78], [2, 77]] as const) {
    compareWithNative(native, pv, `run=fault arg=${arg}`, 'xen', status, `fault ${arg}`, extraImagePages);
  }
});

test('netperf over the assigned DP83820: both directions arrive verified, the NIC IRQ as a physical IRQ', () => {
  const bytes = 256 << 10;
  for (const dir of ['send', 'receive'] as const) {
    let net: AttachedNetwork | undefined;
    const r = runKernel({
      elf: pv, kernelName: 'kernel', mem: 256 << 20, backend: 'xen', maxInstructions: BUDGET,
      cmdline: `run=netperf arg=${dir},${bytes},32768`,
      setup: (m) => {
        net = attachNetwork(m, { netperf: { direction: dir === 'send' ? 'from-guest' : 'to-guest', transferBytes: bytes,
          messageBytes: 32768, open: 'passive', peerPort: 12866 } });
      },
    });
    const out = Buffer.from(r.serialOutput).toString();
    assert.is(r.exitCode, 0, `${dir}: ${r.reason}\n${out}`);
    const peer = net!.finish();
    assert.ok(peer.verified, `${dir}: the peer saw every byte of the pattern`);
    assert.is(peer.bytes, bytes);
    const x = r.backend.xen as { physical_irqs: Record<string, number>; hypercalls: Record<string, number> };
    assert.ok((x.physical_irqs['10'] ?? 0) > 0, `${dir}: NIC interrupts taken by Xen: ${JSON.stringify(x.physical_irqs)}`);
    assert.ok((x.hypercalls['physdev_op'] ?? 0) >= x.physical_irqs['10']! - 1, `${dir}: each one ended with PHYSDEVOP_eoi`);
  }
});

test.run();
