// The DP83820 plugged into the machine, seen from a guest: a small multiboot kernel
// (test/netperf/guests/nicprobe.c) finds 100B:0022 in PCI configuration space, sizes BAR1, reads
// its IRQ line, the revision and the station address (RFCR/RFDR), takes a software interrupt
// through the PIC, then sends an ARP request through a TX descriptor and has the peer's reply
// DMA'd over code it has already run: the CPU must run the new bytes. Our emulator only: QEMU
// has no DP83820 model, so there is no second machine to compare against; the expected values
// come from what the test configures (the MAC, the ARP exchange) and from where the PCI bus says
// it put the function.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { runKernel } from '../../emulator/run.ts';
import { attachNetwork, type AttachedNetwork } from '../../emulator/net/attach.ts';
import { buildProbe } from './build.ts';

const MAC = '02:5a:a5:12:34:56';
const elf = readFileSync(await buildProbe('nicprobe'));

function probe(o: { invalidate?: boolean } = {}) {
  let net: AttachedNetwork | undefined;
  const r = runKernel({
    elf,
    mem: 64 << 20,
    maxInstructions: 50_000_000,
    setup: (m) => {
      // The peer listens and sends nothing unasked; it answers the guest's ARP request.
      net = attachNetwork(m, { nicMac: MAC, netperf: { direction: 'from-guest', transferBytes: 1, open: 'passive' } });
      if (o.invalidate === false) { m.cpu.invalidateCode = () => {}; m.cpu.dmaWritten = () => {}; }
    },
  });
  const serial = Buffer.from(r.serialOutput).toString('latin1');
  const kv = (key: string): number => {
    const m = new RegExp(`(?:^|\\s)${key}=([0-9a-f]{8})`).exec(serial);
    assert.ok(m, `'${key}=' in the guest's output:\n${serial}`);
    return parseInt(m[1]!, 16);
  };
  return { r, net: net!, serial, kv };
}

const run = probe();

test('the guest finds 100B:0022 where the PCI bus put it, with BAR1 of 4 KiB and its IRQ line', () => {
  const { r, net, kv } = run;
  assert.is(r.exitCode, 0, r.reason);
  assert.is(kv('nic slot'), net.slot.slot);
  assert.is(kv('class'), 0x020000);
  assert.is(kv('bar1'), net.slot.bars[1]);
  assert.is(kv('bar1 size'), 4096);
  assert.is(kv('command') & 0x6, 0x6, 'memory decoding and bus mastering enabled');
  assert.is(kv('irq'), net.slot.irq);
  assert.is(kv('pin'), 1);
  assert.is(kv('srr'), 0x0103);
});

test('the station address reads back through RFCR/RFDR', () => {
  assert.match(run.serial, new RegExp(`^mac ${MAC}$`, 'm'));
});

test('CR SWI raises ISR SWI on the PCI line; reading ISR clears it', () => {
  const { kv, r, net } = run;
  assert.is(kv('swi irqs'), 1);
  assert.is(kv('isr'), 0x1000);
  assert.is(kv('isr after'), 0);
  // Three interrupts on the NIC's line, counted by the PIC: SWI, then TXOK and RXOK (or both at once).
  const n = r.stats.interrupts[String(net.slot.irq)] ?? 0;
  assert.ok(n >= 2 && n <= 3, `${n} interrupts on IRQ ${net.slot.irq}`);
});

test('an ARP exchange over the rings: TX completes, the reply lands with OWN and OK', () => {
  const { kv, net } = run;
  assert.is(kv('tx cmdsts'), 0x08000000 | 60, 'OWN cleared, OK set, size kept');
  const rx = kv('rx cmdsts');
  assert.is((rx & 0x88000000) >>> 0, 0x88000000, 'OWN and OK');
  assert.is(rx & 0xffff, 60, 'a minimum-size frame without FCS (STRIPCRC)');
  assert.is(kv('ring isr'), 0x41, 'TXOK and RXOK');
  assert.is(net.wire.stats(0).frames, 1);
  assert.is(net.wire.stats(1).frames, 1);
  assert.is(net.nic.errors.length, 0);
});

test('NIC DMA over decoded code: the CPU runs the bytes the NIC wrote', () => {
  assert.is(run.kv('code before'), 5000, 'the old code ran (and got hot)');
  assert.is(run.kv('code after'), 0x11223344, 'mov $0x11223344, %eax from the reply frame ran');
  // The control: with the CPU told nothing, it keeps running the stale code, so the hook matters.
  const stale = probe({ invalidate: false });
  assert.is(stale.kv('code after'), 1);
});

test.run();
