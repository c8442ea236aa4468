// Figures of the guest's network path, for the report (not a test): one netperf run per
// direction through runNetperf, then throughput and CPU from the peer's window, NIC interrupts
// per MiB, and the sensitive instructions the whole run executed, per NIC interrupt (the
// paper's instruction-expansion table counts the same operations).
// usage: node --import tsx test/guests-kernel/net-figures.ts [MiB] [send|receive|both]
import { readFileSync } from 'node:fs';
import { runNetperf, type NetperfDirection } from '../../emulator/net/netperf-run.ts';
import { machineStats } from '../../emulator/stats.ts';
import { defaultGuest } from '../../src/commands/netperf.ts';

const mib = Number(process.argv[2] ?? 16);
const which = process.argv[3] ?? 'both';
const dirs: NetperfDirection[] = which === 'both' ? ['send', 'receive'] : [which as NetperfDirection];
const guestPath = await defaultGuest();
const elf = readFileSync(guestPath);
// The rows of the paper's instruction-expansion table.
const SHOWN = ['cli', 'sti', 'pushf', 'popf', 'hlt', 'iret', 'write_ds', 'write_es', 'read_ds', 'read_es', 'read_fs', 'read_gs', 'out', 'in'];

for (const direction of dirs) {
  const r = runNetperf({ elf, kernelName: guestPath, direction, bytes: mib * 2 ** 20, messageBytes: 32768 });
  const rep = r.report;
  const irq = String(r.net.slot.irq);
  const nicIrqs = rep.interrupts[irq] ?? 0;
  const s = machineStats(r.machine, r.stop);
  const guestLine = r.serial.split('\n').filter((l) => l.startsWith('netperf:')).pop() ?? '(no result line)';
  console.log(`${direction} ${mib} MiB: ${rep.throughput.value.toFixed(2)} MiB/s, cpu ${(rep.cpu.utilization * 100).toFixed(1)}%, ` +
    `${rep.verified ? 'verified' : 'NOT VERIFIED'}, NIC irqs ${nicIrqs} (${(nicIrqs / mib).toFixed(1)}/MiB), timer irqs ${rep.interrupts['0'] ?? 0}`);
  console.log(`  guest: ${guestLine}`);
  const parts: string[] = [];
  for (const name of SHOWN) {
    const total = (s.sensitive[name] ?? [0]).reduce((a, b) => a + b, 0);
    parts.push(`${name} ${total} (${nicIrqs ? (total / nicIrqs).toFixed(1) : '-'})`);
  }
  console.log(`  whole run, count (per NIC interrupt): ${parts.join(', ')}`);
}
