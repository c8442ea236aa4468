// Figures of the guest's network path, for the report (not a test): one netperf transfer per
// direction on the machine with the NIC attached, measured over the peer's window (connection
// established to closed): throughput, busy share of the window, NIC interrupts per MiB, and the
// sensitive instructions executed in the window per NIC interrupt (the operations of the
// paper's instruction-expansion table). Boot is outside the window, so it does not count.
// usage: node --import tsx test/kernel/net-figures.ts [MiB] [send|receive|both]
import { readFileSync } from 'node:fs';
import { Machine } from '../../emulator/machine.ts';
import { attachNetwork } from '../../emulator/net/attach.ts';
import { loadProfile, DEFAULT_PROFILE } from '../../emulator/profiles/load.ts';
import { defaultGuest } from '../../src/commands/netperf.ts';

const mib = Number(process.argv[2] ?? 16);
const which = process.argv[3] ?? 'both';
const dirs = which === 'both' ? ['send', 'receive'] : [which];
const guestPath = await defaultGuest();
const elf = readFileSync(guestPath);
// The rows of the paper's instruction-expansion table, in its order.
const ROWS = ['cli', 'sti', 'pushf', 'popf', 'hlt', 'iret', 'write_ds', 'write_es', 'read_ds',
  'read_es', 'read_fs', 'read_gs', 'out'] as const;

interface Snap { cycles: number; busy: number; irqs: number[]; sens: Record<string, number> }

for (const direction of dirs) {
  const machine = new Machine({ memBytes: 256 << 20, profile: loadProfile(DEFAULT_PROFILE) });
  const snaps: Snap[] = [];
  const snap = (): void => {
    const sens: Record<string, number> = {};
    for (const [name, c] of Object.entries(machine.cpu.stats.sensitive)) sens[name] = c.reduce((a, b) => a + b, 0);
    snaps.push({ cycles: machine.clock.now(), busy: machine.clock.busyCycles(), irqs: [...machine.pic.delivered], sens });
  };
  const bytes = mib * 2 ** 20;
  const net = attachNetwork(machine, {
    netperf: {
      direction: direction === 'send' ? 'from-guest' : 'to-guest', transferBytes: bytes, messageBytes: 32768,
      open: 'passive', peerPort: 12866, onStart: snap, onEnd: snap,
    },
  });
  machine.boot(elf, guestPath, `run=netperf arg=${direction},${bytes},32768`);
  const stop = machine.run({ maxInstructions: 1e11 });
  const peer = net.finish();
  const [a, b] = snaps;
  if (!a || !b || stop.kind !== 'exit' || stop.value !== 0 || !peer.verified) {
    console.log(`${direction}: failed (${JSON.stringify(stop)}, verified ${peer.verified})`);
    process.exitCode = 1;
    continue;
  }
  const irq = net.slot.irq!;
  const nicIrqs = b.irqs[irq]! - a.irqs[irq]!;
  const rate = bytes / 2 ** 20 / ((b.cycles - a.cycles) / machine.clock.hz);
  console.log(`${direction} ${mib} MiB: ${rate.toFixed(2)} MiB/s, cpu ${((100 * (b.busy - a.busy)) / (b.cycles - a.cycles)).toFixed(1)}%, ` +
    `NIC irqs ${nicIrqs} (${((nicIrqs * 2 ** 20) / bytes).toFixed(1)} per MiB), timer irqs ${b.irqs[0]! - a.irqs[0]!}`);
  console.log('  per NIC interrupt: ' + ROWS.map((r) => `${r} ${((b.sens[r]! - a.sens[r]!) / nicIrqs).toFixed(1)}`).join(', '));
}
